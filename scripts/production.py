"""Serve the app as the Docker image does, on a fresh PostgreSQL database.

Shared by `make bench-api` (bench/api.py) and `make fuzz` (scripts/fuzz.py).
"""

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def server_command(port: int) -> list[str]:
    """The Dockerfile's CMD, listening on 127.0.0.1:``port`` instead of 0.0.0.0:8000."""
    text = (ROOT / "Dockerfile").read_text()
    found = re.search(r"^CMD (\[.*?\])", text, re.S | re.M)
    assert found, "no CMD in the Dockerfile"
    cmd: list[str] = json.loads(found.group(1).replace("\\\n", ""))
    replace = {"--host": "127.0.0.1", "--port": str(port)}
    cmd = [replace.get(cmd[i - 1], part) if i else part for i, part in enumerate(cmd)]
    beside_python = Path(sys.executable).parent / cmd[0]  # the virtualenv's, if not on PATH
    return [str(beside_python) if beside_python.exists() else cmd[0], *cmd[1:]]


def recreate_database(pg: str, db_name: str, env: Mapping[str, str]) -> None:
    """Drop and create ``db_name`` on the server at ``pg``, then migrate it."""
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )


def post_json(url: str, payload: dict[str, str]) -> dict[str, str]:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wait_until_up(base: str, seconds: float = 60) -> None:
    """Wait for the server at ``base`` to answer (a busy machine may take a while)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/lotteries", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")
