"""The app's real processes (Granian web, Celery worker, Celery beat) for the fault tests.

Each runs as its own process group and reaches PostgreSQL and Redis through the test's
relays. Settings are the production ones (DEBUG off) with the sweep, retries and timeouts
scaled from minutes to seconds (SCALED below), so a scenario takes seconds.

The clock: rather than moving it (libfaketime also fakes CLOCK_MONOTONIC, and Python's
timed lock waits then never wake), the processes run in a time zone made for the test, a
TZif file whose UTC offset puts the lottery's midnight a little under a minute ahead.
Django and Celery read TIME_ZONE through zoneinfo, which finds it through PYTHONTZPATH.
"""

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
# Django accepts only a name from the system's zone database, so the test's zone borrows one
# that nothing else here uses; the processes find the test's file first (PYTHONTZPATH).
ZONE = "Etc/GMT-14"

# Production value -> the fault tests' value.
SCALED = {
    "LOTTERY_SWEEP_SECONDS": "6",  # 300
    "LOTTERY_RETRY_DELAY_SECONDS": "3",  # 60
    "LOTTERY_MAX_RETRIES": "10",  # 10
    "CELERY_VISIBILITY_TIMEOUT": "10",  # 300
    "DATABASE_CONNECT_TIMEOUT": "2",  # 5 (libpq's minimum is 2)
    "DATABASE_POOL_TIMEOUT": "2",  # 10
    "LOTTERY_VDF_DELAY_LOG2": "12",  # 27: the same two-step draw, in milliseconds
}


class Cluster:
    def __init__(
        self, tmp: Path, *, database_url: str, broker_url: str, midnight_in: int = 12
    ) -> None:
        self.tmp = tmp
        self.set_midnight(midnight_in)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("LOTTERY_", "CELERY_"))},
            **SCALED,
            "DEBUG": "false",
            "SECRET_KEY": "fault-tests-" + "s" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CACHE_URL": "locmem://",
            "AUTH_RATE_LIMIT_PER_MINUTE": "1000",
            "TIME_ZONE": ZONE,
            "PYTHONTZPATH": os.pathsep.join([str(tmp / "zoneinfo"), *zoneinfo.TZPATH]),
            # A fresh folder that does not exist yet, as in a fresh clone.
            "LOTTERY_VAR_DIR": str(tmp / "var"),
            "LOTTERY_LOG_KEY_FILE": str(ROOT / "tests" / "log_key.test"),
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        # Where each process's log stood when it was last started: a process started again
        # appends to the same log, and is ready only when the new run says so.
        self.log_starts: dict[str, int] = {}

    # --- processes ---------------------------------------------------------------------

    def start(self, name: str, **env: str) -> None:
        commands = {
            "web": _server_command(self.port),
            "worker": [sys.executable, "-m", "celery", "-A", "config", "worker",
                       "--loglevel=INFO", "--concurrency=2", f"--hostname={name}@%h"],
            "beat": [sys.executable, "-m", "celery", "-A", "config", "beat",
                     "--loglevel=INFO"],
        }  # fmt: skip
        kind = re.sub(r"\d+$", "", name)
        if kind == "worker":
            env = {"DATABASE_POOL": "false", **env}  # as docker-compose.yml runs it
        log = (self.tmp / f"{name}.log").open("ab")
        self.log_starts[name] = log.tell()
        self.processes[name] = subprocess.Popen(  # noqa: S603 - our own commands
            commands[kind],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to kill it whole
        )

    def wait_ready(self, *names: str, timeout: float = 90) -> None:
        """Until each of ``names`` is ready, all within ``timeout`` s; fails at once if one
        exits."""
        deadline = time.monotonic() + timeout
        for name in names:
            wait_for(
                partial(self._is_ready, name),
                max(0.0, deadline - time.monotonic()),
                f"{name} to be ready",
                details=partial(self.log_tail, name),
            )

    def wait_for_line(self, name: str, text: str, timeout: float) -> None:
        """Until ``name`` logs ``text`` (since it was last started): a sign from the process
        that it did what the test waits for."""
        wait_for(
            lambda: text in self.log_since_start(name),
            timeout,
            f"{name} to log {text!r}",
            details=partial(self.log_tail, name),
        )

    def _is_ready(self, name: str) -> bool:
        if name == "web":
            ready = self.get("/health/live")[0] == 200
        else:
            marker = "ready." if name.startswith("worker") else "Starting..."
            ready = marker in self.log_since_start(name)
        if not ready and self.processes[name].poll() is not None:
            raise AssertionError(f"{name} exited:\n{self.log_tail(name)}")
        return ready

    def kill(self, name: str) -> None:
        """SIGKILL the process's whole group (a worker's pool children included)."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()  # the main process shuts its children down itself
        for name, process in list(self.processes.items()):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            del self.processes[name]

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a command with the processes' environment (what a container healthcheck runs)."""
        return subprocess.run(  # noqa: S603 - our own commands
            [sys.executable, *command], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_since_start(self, name: str) -> str:
        """What the process has logged since it was last started."""
        path = self.tmp / f"{name}.log"
        data = path.read_bytes() if path.exists() else b""
        return data[self.log_starts.get(name, 0) :].decode(errors="replace")

    def log_tail(self, name: str, lines: int = 40) -> str:
        return "\n".join(self.log(name).splitlines()[-lines:])

    def set_midnight(self, midnight_in: int) -> None:
        """Processes started from now on see midnight 0-60 s after ``midnight_in`` seconds."""
        # On a whole UTC minute: zones (and Celery's ISO 8601 ETAs) have whole-minute offsets.
        soonest = datetime.now(UTC) + timedelta(seconds=midnight_in)
        self.midnight = soonest.replace(second=0, microsecond=0) + timedelta(minutes=1)
        utc_offset = -(self.midnight - self.midnight.replace(hour=0, minute=0, second=0))
        seconds = int(utc_offset.total_seconds()) % 86400
        seconds -= 86400 if seconds > 43200 else 0
        _write_tzif(self.tmp / "zoneinfo" / ZONE, seconds)
        # Beat's saved schedule holds its last runs in the zone's old offset: in the new one
        # they could lie minutes ahead, and a restarted beat would not sweep until then.
        for saved in (self.tmp / "var").glob("celerybeat-schedule*"):
            saved.unlink()
        # The lottery day that closes at ``self.midnight``.
        self.day: date = (self.midnight + timedelta(seconds=seconds) - timedelta(days=1)).date()

    def seconds_to_midnight(self) -> float:
        return (self.midnight - datetime.now(UTC)).total_seconds()

    # --- HTTP --------------------------------------------------------------------------

    def request(
        self, method: str, path: str, payload: Any = None, token: str = ""
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base + path, data, headers, method=method)  # noqa: S310 - http://127.0.0.1
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read()), _lower(response.headers)
        except urllib.error.HTTPError as error:
            body = error.read()
            return error.code, json.loads(body) if body else None, _lower(error.headers)
        except OSError:
            return 0, None, {}

    def get(self, path: str) -> tuple[int, Any]:
        status, body, _ = self.request("GET", path)
        return status, body

    def participant(self, username: str) -> str:
        password = "fault-test-pass-phrase-1"
        status, body, _ = self.request(
            "POST", "/accounts/register", {"username": username, "password": password}
        )
        assert status == 201, body
        status, body, _ = self.request(
            "POST", "/token/pair", {"username": username, "password": password}
        )
        assert status == 200, body
        return str(body["access"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_tzif(path: Path, utc_offset: int) -> None:
    """A TZif (version 1) zone with one fixed UTC offset in seconds and no transitions."""
    counts = struct.pack(">6l", 0, 0, 0, 0, 1, 4)  # isut, isstd, leap, transitions, types, chars
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"TZif\0" + bytes(15) + counts + struct.pack(">lBB", utc_offset, 0, 0) + b"FLT\0"
    )


def _server_command(port: int) -> list[str]:
    """The Dockerfile's CMD (Granian), one process, on 127.0.0.1:port."""
    text = (ROOT / "Dockerfile").read_text()
    found = re.search(r"^CMD (\[.*?\])", text, re.S | re.M)
    assert found, "no CMD in the Dockerfile"
    cmd: list[str] = json.loads(found.group(1).replace("\\\n", ""))
    replace = {"--host": "127.0.0.1", "--port": str(port), "--workers": "1"}
    cmd = [replace.get(cmd[i - 1], part) if i else part for i, part in enumerate(cmd)]
    cmd[0] = str(Path(sys.executable).parent / cmd[0])
    return cmd


def _lower(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}
