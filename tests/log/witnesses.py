"""Witness processes for tests: scripts/witness.py started for real, always stopped after."""

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "witness.py"
# Debian's faketime package puts the library under the architecture's folder.
LIBFAKETIME = next(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"), Path("/nonexistent"))
TIMEOUT = 30.0  # a witness under faketime on a busy machine starts slowly


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    vkey: str
    url: str


class Launcher:
    """Starts witness processes and makes sure every one of them is gone at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []

    def popen(self, *args: str, clock: str | None = None) -> subprocess.Popen[bytes]:
        # ``clock`` (e.g. "2026-11-21 00:00:30") starts the witness's clock there, through
        # libfaketime: its cosignatures carry that time, as a witness's own clock would.
        environment = None
        if clock:
            if not LIBFAKETIME.exists():
                pytest.skip("needs libfaketime (apt-get install faketime; .ci/run installs it)")
            # The library itself, not the faketime wrapper: the wrapper makes a named
            # semaphore per process that a killed one leaves behind, and a later process
            # given the same pid then fails to start ("sem_open: File exists").
            environment = {**os.environ, "LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": f"@{clock}"}
        log = (self.tmp_path / f"witness-{len(self.procs)}.stderr").open("wb")
        proc = subprocess.Popen(  # noqa: S603 - our own script, our own arguments
            [sys.executable, str(SCRIPT), *args],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=log,
            bufsize=0,
            start_new_session=True,  # a kill reaches whatever it started
        )
        log.close()
        self.procs.append(proc)
        return proc

    def start(
        self,
        key_file: Path,
        *log_vkeys: str,
        extra: tuple[str, ...] = (),
        clock: str | None = None,
    ) -> Running:
        args = ["--port", "0", "--key-file", str(key_file), *extra]
        for vkey in log_vkeys:
            args += ["--log-key", vkey]
        proc = self.popen(*args, clock=clock)
        deadline = time.monotonic() + TIMEOUT
        vkey = read_line(proc, deadline)
        listening = read_line(proc, deadline)
        match = re.fullmatch(r"witness listening on (http://127\.0\.0\.1:[0-9]+)", listening)
        assert match, listening
        return Running(proc, vkey, match[1])

    def refused(self, *args: str) -> str:
        """Run a witness that must refuse to start; its stderr."""
        proc = self.popen("--port", "0", *args)
        assert proc.wait(timeout=TIMEOUT) == 2
        assert proc.stdout is not None
        assert proc.stdout.read() == b""
        return (self.tmp_path / f"witness-{len(self.procs) - 1}.stderr").read_text()

    def stop(self, running: Running) -> None:
        _kill(running.proc)

    def stop_all(self) -> None:
        for proc in self.procs:
            _kill(proc)
            if proc.stdout:
                proc.stdout.close()


def read_line(proc: subprocess.Popen[bytes], deadline: float) -> str:
    """One line of the process's stdout, without ever blocking past the deadline."""
    assert proc.stdout is not None
    fd, line = proc.stdout.fileno(), b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError(f"no line from the witness; so far {line!r}")
        chunk = os.read(fd, 1)
        if not chunk:
            raise EOFError(f"the witness exited ({proc.wait(TIMEOUT)}); so far {line!r}")
        line += chunk
    return line.decode()[:-1]


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=TIMEOUT)
    # libfaketime keeps a semaphore and a shared-memory file per process, removed at a clean
    # exit only: left behind, a later process given the same pid could not make its own.
    for name in (f"faketime_shm_{proc.pid}", f"sem.faketime_sem_{proc.pid}"):
        Path("/dev/shm", name).unlink(missing_ok=True)  # noqa: S108 - libfaketime's own files
