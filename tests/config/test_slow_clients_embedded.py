"""The embedded mode's answer to slow clients: `make run` serves with Django's runserver,
which gives every connection a thread of its own, so slow bodies hold only their own thread.

(The production shape's answer is the buffering proxy in front of Granian.) Bounded: 16
slow clients, then five /health/live probes, each of which must answer within 1 s.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sixteen_slow_bodies_do_not_stop_the_embedded_server(tmp_path):
    port = free_port()
    env = {**os.environ, "LOTTERY_VAR_DIR": str(tmp_path), "DEBUG": "true"}
    server = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    slow: list[socket.socket] = []

    def answers() -> bool:
        assert server.poll() is None, "runserver exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1):
                return True
        except OSError:
            return False

    try:
        wait_for(answers, 30, "runserver to answer /health/live")
        # The kernel hands connections to accept() in the order they came: the server takes
        # all 16 slow ones (each sends its headers and one byte of 100) before any probe.
        for _ in range(16):
            # A server that stopped taking connections fails the test in 5 s, not in minutes.
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.sendall(
                b"POST /token/pair HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            slow.append(client)

        took = []
        for _ in range(5):
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1) as r:
                assert r.status == 200
            took.append(time.monotonic() - started)
            for client in slow:
                client.sendall(b" ")  # a byte now and then, as the attack does
    finally:
        for client in slow:
            client.close()
        server.terminate()
        server.wait(timeout=10)

    assert max(took) < 1
