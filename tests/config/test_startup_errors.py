"""A bad DATABASE_URL stops manage.py (and so `make run`) in one line that names the cause.

Each case runs `manage.py migrate`, the first thing `make run` does, in a fresh process.
The servers that refuse a password or never answer are the test's own.
"""

import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def migrate(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "LOTTERY_", "CELERY_", "CACHE_"))
    }
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input"],
        cwd=tmp_path,
        env={**clean, "LOTTERY_VAR_DIR": str(tmp_path / "var"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result, time.monotonic() - started


def assert_one_line(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no traceback, no pool warnings
    for text in expected:
        assert text in lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[socket.socket, list[socket.socket]]]:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    yield listener, accepted
    listener.close()
    for conn in accepted:
        conn.close()


def serve(listener: socket.socket, accepted: list[socket.socket], handle) -> None:
    def loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def refuse_password(conn: socket.socket) -> None:
    """Speak just enough of PostgreSQL's protocol to ask for a password and refuse it."""
    try:
        while True:
            (length,) = struct.unpack("!i", conn.recv(4, socket.MSG_WAITALL))
            body = conn.recv(length - 4, socket.MSG_WAITALL)
            if length == 8 and struct.unpack("!i", body)[0] in (80877103, 80877104):
                conn.sendall(b"N")  # no SSL, no GSS encryption: ask again in plain
                continue
            break  # the startup message
        conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
        conn.recv(1, socket.MSG_WAITALL)  # 'p'
        (length,) = struct.unpack("!i", conn.recv(4, socket.MSG_WAITALL))
        conn.recv(length - 4, socket.MSG_WAITALL)
        fields = b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "ann"\0\0'
        conn.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)
    except OSError:
        pass


def test_an_unknown_scheme_names_what_is_expected(tmp_path):
    result, _ = migrate(tmp_path, DATABASE_URL="foo")

    assert_one_line(result, "DATABASE_URL='foo'", "expected sqlite:///", "postgres://")
    assert "UnknownSchemeError" not in result.stderr


def test_a_closed_port_is_named_at_once(tmp_path):
    port = free_port()
    result, _ = migrate(tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/x")

    assert_one_line(result, "Cannot connect to the database", f"port {port}", "Connection refused")


def test_a_refused_password_is_named_and_the_password_is_not_shown(tmp_path, server):
    listener, accepted = server
    serve(listener, accepted, refuse_password)
    port = listener.getsockname()[1]

    result, _ = migrate(tmp_path, DATABASE_URL=f"postgres://ann:hunter22@127.0.0.1:{port}/x")

    assert_one_line(result, "password authentication failed", "ann:***@")
    assert "hunter22" not in result.stderr


@pytest.mark.postgres
def test_an_unknown_role_is_named(tmp_path):
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = f"postgres://no_such_role_17@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    result, _ = migrate(tmp_path, DATABASE_URL=url)

    assert_one_line(result, 'role "no_such_role_17" does not exist')


def test_a_server_that_never_answers_fails_within_the_connect_timeout(tmp_path, server):
    listener, accepted = server
    serve(listener, accepted, lambda conn: None)  # accepts, then says nothing
    port = listener.getsockname()[1]

    # The pool used to keep retrying until DATABASE_POOL_TIMEOUT (here 60 s) with the cause
    # only in its warnings; a command now gives up after the connect timeout (2 s).
    result, elapsed = migrate(
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/x",
        DATABASE_CONNECT_TIMEOUT="2",
        DATABASE_POOL_TIMEOUT="60",
    )

    assert_one_line(result, "Cannot connect to the database", "timeout expired")
    assert elapsed < 60


@pytest.mark.parametrize("relative", [True, False])
def test_a_sqlite_folder_that_does_not_exist_is_named_and_not_created(tmp_path, relative):
    # sqlite:///no/such/... is relative to the working folder; sqlite:////... is absolute.
    url = "sqlite:///no/such/dir/db.sqlite3" if relative else f"sqlite:///{tmp_path}/no/such.db"
    result, _ = migrate(tmp_path, DATABASE_URL=url)

    assert_one_line(result, "does not exist", "create it")
    assert not (tmp_path / "no").exists()


def test_the_embedded_default_still_makes_its_own_folder(tmp_path):
    result, _ = migrate(tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "db.sqlite3").is_file()
