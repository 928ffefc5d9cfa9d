"""GET /health/live, /health/ready, /health/draws and `manage.py healthcheck`."""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from unittest import mock

import pytest
import time_machine
from django.core.management import CommandError, call_command

from ballots.models import Lottery
from config.celery import app as celery_app
from draws import vdf
from draws.services import lottery_draw_closed
from tests.conftest import D, on, the_day_after


@pytest.fixture
def broker_down():
    # A broker URL whose port nothing listens on: a real refused connection.
    unreachable = partial(celery_app.connection_for_write, url="redis://127.0.0.1:1/0")
    with mock.patch.object(celery_app, "connection_for_write", unreachable):
        yield


def test_live_answers_without_touching_anything(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_checks_the_database_and_the_broker(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "broker": "ok"},
    }


@pytest.mark.django_db
def test_ready_is_503_while_migrations_are_not_applied(client, settings, monkeypatch):
    # The suite's database is built without migrations (--no-migrations), so with the real
    # migration modules back every migration of the project is unapplied there.
    settings.MIGRATION_MODULES = {}
    monkeypatch.setattr("common.probes._migrated", False)  # a fresh process

    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert "migrations not applied" in body["detail"]
    assert body["checks"]["database"] == "ok"
    assert "run: python manage.py migrate" in body["checks"]["migrations"]


def test_the_healthcheck_command_is_unwell_until_migrate_has_run(tmp_path):
    # What a fresh deploy's database looks like, in a process of its own.
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "LOTTERY_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "filesystem://",
    }
    command = [sys.executable, "manage.py", "healthcheck", "--database", "--migrations"]

    def healthcheck() -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own interpreter
            command, env=env, capture_output=True, text=True, check=False
        )

    before = healthcheck()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], env=env, check=True
    )
    after = healthcheck()

    assert before.returncode == 1
    assert "migrations not applied" in before.stderr
    assert after.returncode == 0, after.stderr
    assert after.stdout.strip() == "ok"


@pytest.mark.django_db
def test_ready_is_503_when_the_broker_is_unreachable(client, broker_down):
    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["detail"].startswith("broker unreachable")
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_draws_is_200_while_every_closed_day_is_drawn_or_within_its_grace(client, ballots_on):
    ballots_on(D, 1)
    with on(the_day_after(D), hour=0):  # 00:00: D closed just now, within the grace period
        assert client.get("/health/draws").json() == {
            "status": "ok",
            "overdue": [],
            "unwitnessed": [],
        }
    with on(the_day_after(D)):
        lottery_draw_closed()
        assert client.get("/health/draws").status_code == 200


@pytest.mark.django_db
def test_draws_is_503_with_the_overdue_days_past_the_grace_period(client, ballots_on, settings):
    settings.LOTTERY_DRAW_GRACE_MINUTES = 10
    ballots_on(D, 1)
    with on(D + timedelta(2)):  # D and D+1 (no ballots, no row) are both overdue
        response = client.get("/health/draws")

    assert response.status_code == 503
    assert response.json()["overdue"] == [str(D), str(D + timedelta(1))]
    assert str(D) in response.json()["detail"]


@pytest.mark.django_db
def test_the_healthcheck_command_checks_what_it_is_asked_to(tmp_path, capsys, broker_down):
    call_command("healthcheck", "--database")
    assert capsys.readouterr().out.strip() == "ok"
    with pytest.raises(CommandError, match="broker unreachable"):
        call_command("healthcheck", "--database", "--broker")


def test_the_healthcheck_command_finds_a_beat_that_stopped_writing(tmp_path):
    schedule = tmp_path / "celerybeat-schedule"
    with pytest.raises(CommandError, match="no schedule"):
        call_command("healthcheck", "--beat-schedule", str(schedule))
    schedule.with_suffix(".db").write_bytes(b"")  # some dbm modules add a suffix
    call_command("healthcheck", "--beat-schedule", str(schedule))
    old = time.time() - 700
    os.utime(schedule.with_suffix(".db"), (old, old))
    with pytest.raises(CommandError, match="700 s ago"):
        call_command("healthcheck", "--beat-schedule", str(schedule), "--max-age", "600")


@pytest.mark.django_db
def test_draws_allows_a_day_the_time_its_published_delay_takes(client, ballots_on, settings):
    # A day of the production delay (2^27) is still drawing well past the plain grace: not
    # overdue until the grace plus what 2^27 squarings may take here (vdf.seconds_bound).
    settings.LOTTERY_DRAW_GRACE_MINUTES = 10
    ballots_on(D, 1)
    Lottery.objects.filter(date=D).update(vdf_delay_log2=27)
    allowance = timedelta(minutes=10, seconds=vdf.seconds_bound(27))
    midnight = datetime.combine(the_day_after(D), datetime.min.time(), tzinfo=UTC)
    assert allowance > timedelta(minutes=15)  # the delay counts, whatever the backend

    with time_machine.travel(midnight + allowance - timedelta(seconds=5), tick=False):
        assert client.get("/health/draws").status_code == 200
    with time_machine.travel(midnight + allowance + timedelta(seconds=5), tick=False):
        response = client.get("/health/draws")
    assert response.status_code == 503
    assert str(D) in response.json()["overdue"]


@pytest.fixture
def broker_silent():
    # A broker that accepts the connection and never answers (tests/silent.py).
    from tests.silent import SilentServer

    server = SilentServer()
    silent = partial(celery_app.connection_for_write, url=f"redis://127.0.0.1:{server.port}/0")
    with mock.patch.object(celery_app, "connection_for_write", silent):
        yield server
    server.close()


@pytest.mark.django_db
def test_ready_answers_503_in_bounded_time_when_the_broker_never_answers(client, broker_silent):
    started = time.monotonic()
    response = client.get("/health/ready")
    took = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "broker unreachable"
    assert broker_silent.accepted >= 1  # it did connect: the wait was for an answer
    assert took < 10


@pytest.mark.django_db
def test_ready_does_not_tell_anyone_where_the_broker_is(client, broker_down):
    response = client.get("/health/ready")

    assert response.status_code == 503
    assert "127.0.0.1" not in response.content.decode()
    assert ":1" not in response.content.decode()
