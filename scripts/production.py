"""Serve the app as the Docker image does, on a fresh PostgreSQL database.

Shared by the benchmarks (bench/) and `make fuzz` (scripts/fuzz.py).
"""

import json
import os
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


def create_database(database_url: str) -> None:
    """Create the database ``database_url`` names unless it exists (a bench keeps its data)."""
    server, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_bench_django(database_url: str) -> None:
    """Set Django up in this process on ``database_url``, quietly, for a bench to use the ORM.

    A bench is one address asking thousands of times: the per-address limit on ballot pages
    and proofs is lifted here and for the servers it starts (they inherit the environment).
    """
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("PUBLIC_READ_RATE_LIMIT_PER_MINUTE", "1000000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


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
