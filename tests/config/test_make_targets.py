"""The Makefile as a newcomer uses it: one port setting, no uv needed on PATH, no needless work.

Each test runs the real `make` in the worktree, with the embedded database in a folder of
its own (LOTTERY_VAR_DIR) and no PostgreSQL, Redis or cache URLs from the suite's run.
"""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
    pytest.mark.no_database,
]


def make(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run make in its own process group, so a server it starts by mistake is stopped too."""
    process = subprocess.Popen(  # noqa: S603 - make, from PATH
        ["make", "--no-print-directory", *args],  # noqa: S607
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        stdout, stderr = process.communicate()
        raise AssertionError(f"make {' '.join(args)} did not finish:\n{stdout}\n{stderr}") from None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def embedded_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "LOTTERY_", "CELERY_", "CACHE_", "MAKE", "PORT"))
        and k not in {"DEBUG", "BASE_URL"}
    }
    return {**clean, "LOTTERY_VAR_DIR": str(tmp_path / "var"), **extra}


def without_uv_on_path(env: dict[str, str]) -> dict[str, str]:
    """PATH with no folder holding a uv binary, and no virtualenv: what a fresh shell has."""
    folders = [
        folder
        for folder in env.get("PATH", "").split(os.pathsep)
        if folder and not (Path(folder) / "uv").exists() and ".venv" not in folder
    ]
    rest = {k: v for k, v in env.items() if k not in {"VIRTUAL_ENV", "UV"}}
    return {**rest, "PATH": os.pathsep.join(folders)}


@pytest.fixture(scope="module", autouse=True)
def _environment_synced() -> None:
    # What `make test` and `make install` leave behind; the tests look at what comes after.
    result = make(".venv/.make-synced", env=dict(os.environ))
    assert result.returncode == 0, result.stderr


def taken_port() -> socket.socket:
    listener = socket.create_server(("127.0.0.1", 0))
    return listener


def test_make_run_stops_in_one_line_before_the_worker_and_beat_when_the_port_is_taken(tmp_path):
    with taken_port() as listener:
        port = listener.getsockname()[1]
        result = make("run", env=embedded_env(tmp_path, PORT=str(port)))

    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make: ***")]
    assert ours == [
        f"Port {port} is in use (another make run?): stop that server, or choose another port: "
        f"PORT={port + 1} make run"
    ]
    output = result.stdout + result.stderr
    assert "celery" not in output.lower()  # neither a worker nor beat started
    assert not (tmp_path / "var" / "celerybeat-schedule").exists()


def test_make_run_refuses_a_port_that_is_not_a_number(tmp_path):
    result = make("run", env=embedded_env(tmp_path, PORT="80a"))

    assert result.returncode != 0
    assert "PORT=80a is not a port number" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_get_token_test_user_asks_the_server_on_port_with_no_uv_on_the_host(live_server, tmp_path):
    call_command("create_test_user")
    port = live_server.url.rsplit(":", 1)[1]

    result = make("get-token-test-user", env=without_uv_on_path(embedded_env(tmp_path, PORT=port)))

    assert result.returncode == 0, result.stderr
    assert '"access"' in result.stdout
    assert '"refresh"' in result.stdout


def test_get_token_test_user_says_why_when_no_server_answers(tmp_path):
    with taken_port() as probe:
        port = probe.getsockname()[1]
    # Closed again: nothing listens there now.
    result = make("get-token-test-user", env=embedded_env(tmp_path, PORT=str(port)))

    assert result.returncode != 0
    assert f"No tokens from http://localhost:{port}: is make run going (PORT={port})?" in (
        result.stderr
    )


def test_make_createsuperuser_works_with_no_uv_on_path(tmp_path):
    env = without_uv_on_path(embedded_env(tmp_path))
    has_uv_module = subprocess.run(
        ["python3", "-m", "uv", "--version"],  # noqa: S607
        env=env,
        capture_output=True,
        check=False,
    )
    if has_uv_module.returncode != 0:
        pytest.skip("this host's uv is a binary on PATH, not python3's uv module")
    env |= {
        "DJANGO_SUPERUSER_USERNAME": "root",
        "DJANGO_SUPERUSER_PASSWORD": "a-long-admin-passphrase",
        "DJANGO_SUPERUSER_EMAIL": "root@example.com",
    }

    result = make("createsuperuser", env=env)

    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "var" / "db.sqlite3") as db:
        rows = db.execute("SELECT username, is_superuser FROM accounts_user").fetchall()
    assert rows == [("root", 1)]


def test_a_command_target_migrates_only_when_the_database_needs_it(tmp_path):
    env = embedded_env(tmp_path)

    first = make("draw", env=env)
    again = make("draw", env=env)
    (tmp_path / "var" / "db.sqlite3").unlink()
    after_the_file_is_gone = make("draw", env=env)
    other_database = make(
        "draw", env={**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'other.sqlite3'}"}
    )

    for result in (first, again, after_the_file_is_gone, other_database):
        assert result.returncode == 0, result.stderr
        assert "Nothing to draw" in result.stdout
    assert "manage.py migrate" in first.stdout
    assert "migrate" not in again.stdout
    assert "uv sync" not in again.stdout + again.stderr
    assert "manage.py migrate" in after_the_file_is_gone.stdout
    assert "manage.py migrate" in other_database.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "8123"}, "http://localhost:8123"),
        ({}, "http://localhost:8000"),
        (
            {"PORT": "8123", "LOTTERY_PUBLIC_URL": "https://lottery.example.com/"},
            "https://lottery.example.com",
        ),
    ],
)
def test_the_links_in_emails_follow_port_unless_lottery_public_url_is_set(tmp_path, env, expected):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.LOTTERY_PUBLIC_URL)",
        ],
        cwd=ROOT,
        env={**embedded_env(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
