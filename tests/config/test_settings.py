import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from common.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-real-secret-" + "x" * 50,
    "ALLOWED_HOSTS": "lottery.example.com",
    "LOTTERY_LOG_KEY_FILE": str(ROOT / "tests" / "log_key.test"),
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("TRUE", True), ("0", False), ("false", False), ("off", False)],
)
def test_env_bool_reads_the_usual_spellings(raw, expected):
    assert env_bool("X", default=not expected, environ={"X": raw}) is expected


@pytest.mark.parametrize("raw", ["flase", "2", "enabled"])
def test_env_bool_refuses_anything_else(raw):
    with pytest.raises(ImproperlyConfigured, match="X="):
        env_bool("X", default=False, environ={"X": raw})


def test_env_helpers_fall_back_to_defaults_when_unset_or_blank():
    assert env_bool("X", default=True, environ={"X": " "}) is True
    assert env_int("X", 7, environ={}) == 7
    assert env_str("X", "d", environ={"X": ""}) == "d"
    assert env_list("X", ["a"], environ={}) == ["a"]


def test_env_int_refuses_non_integers_and_values_below_the_minimum():
    with pytest.raises(ImproperlyConfigured):
        env_int("X", 1, environ={"X": "seven"})
    with pytest.raises(ImproperlyConfigured):
        env_int("X", 1, minimum=1, environ={"X": "0"})


def test_env_list_splits_on_commas_and_drops_blanks():
    assert env_list("X", [], environ={"X": "a.com, b.com,,"}) == ["a.com", "b.com"]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "LOTTERY_VAR_DIR": str(ROOT / "var" / "settings-test"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def open_yesterday(env: dict[str, str]) -> None:
    """In a fresh database, make yesterday a day that was open (its row made yesterday).

    A day never open gets no draw; a test that wants `manage.py draw` to draw something
    opens it first.
    """
    code = (
        "from datetime import timedelta; from django.utils import timezone; "
        "from ballots.calendar import lottery_today; from ballots.models import Lottery; "
        "Lottery.objects.create(date=lottery_today() - timedelta(days=1), "
        "created_at=timezone.now() - timedelta(days=1))"
    )
    result = run_manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", env={"DEBUG": "false"})

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_misspelt_boolean_stops_the_process():
    result = run_manage("check", env={"DEBUG": "ture"})

    assert result.returncode != 0
    assert "DEBUG='ture' is not a boolean" in result.stderr


def test_an_unknown_time_zone_stops_the_process():
    result = run_manage("check", env={"TIME_ZONE": "Mars/Olympus"})

    assert result.returncode != 0
    assert "is not an IANA time zone" in result.stderr


def test_check_deploy_is_clean_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_default_uses_sqlite_with_wal_and_immediate_transactions(settings):
    if "DATABASE_URL" in os.environ:
        pytest.skip("DATABASE_URL selects another database")
    options = settings.DATABASES["default"]["OPTIONS"]

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5


def test_database_connections_persist_across_requests(settings):
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        assert database["OPTIONS"]["pool"]["min_size"] >= 1
    else:
        assert database["CONN_MAX_AGE"] > 0
        assert database["CONN_HEALTH_CHECKS"] is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_requests_reuse_one_postgresql_connection(client):
    def backend_pid() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    pids = set()
    for _ in range(10):
        client.get("/lotteries")  # at its end Django hands the connection back to the pool
        pids.add(backend_pid())

    # Without reuse, every request would have opened (and closed) a connection of its own.
    assert len(pids) <= 2


def print_secret_key(var_dir: Path) -> str:
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = run_manage("shell", "-v", "0", "-c", code, env={"LOTTERY_VAR_DIR": str(var_dir)})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_embedded_mode_makes_its_own_secret_key_once_per_installation(tmp_path):
    first = print_secret_key(tmp_path / "one")

    assert len(first) >= 50
    assert print_secret_key(tmp_path / "one") == first  # kept: tokens survive a restart
    assert print_secret_key(tmp_path / "two") != first  # another installation, another key
    key_file = tmp_path / "one" / "secret_key"
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only


def scheme_seen_with_forged_proto(num_proxies: str) -> str:
    """A request over plain HTTP that claims X-Forwarded-Proto: https, in production settings."""
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client(HTTP_HOST='lottery.example.com').get(\n"
        "    '/openapi.json', HTTP_X_FORWARDED_PROTO='https')\n"
        "print(r.status_code, r.get('Location', ''), r.get('Strict-Transport-Security', ''))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "NUM_PROXIES"}},
            **PRODUCTION,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOTTERY_VAR_DIR": str(ROOT / "var" / "settings-test"),
            "NUM_PROXIES": num_proxies,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_a_proxy_a_clients_x_forwarded_proto_is_not_believed():
    # The client can send the header itself: it is still plain HTTP, so the redirect holds.
    assert scheme_seen_with_forged_proto("0").startswith(
        "301 https://lottery.example.com/openapi.json"
    )


def test_behind_a_proxy_its_x_forwarded_proto_is_believed():
    status, _, hsts = scheme_seen_with_forged_proto("1").partition(" ")
    assert status == "200"
    assert "max-age=31536000" in hsts
