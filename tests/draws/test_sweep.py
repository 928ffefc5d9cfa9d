"""The safety net: the sweep, the worker-start run, and what "nothing pending" costs."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from celery.signals import worker_ready
from django.conf import settings
from django.db import OperationalError

from ballots.calendar import closes_at
from ballots.models import Lottery
from ballots.services import lottery_ensure
from draws.models import Draw
from draws.services import lottery_draw, lottery_draw_closed
from draws.tasks import lottery_draw_closed_days
from tests.conftest import D, on, submit, the_day_after

ROOT = Path(__file__).resolve().parents[2]


def settings_in_fresh_process(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOTTERY_", "CELERY_", "DATABASE_URL"))
    }
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_beat_sweeps_for_undrawn_days_every_five_minutes_besides_midnight():
    entry = settings.CELERY_BEAT_SCHEDULE["lottery-draw-sweep"]

    assert entry["task"] == lottery_draw_closed_days.name
    assert entry["schedule"] == timedelta(minutes=5)
    assert entry["kwargs"] == {"retry": False}  # the next sweep is its retry


def test_the_sweep_interval_is_read_from_the_environment(tmp_path):
    result = settings_in_fresh_process(
        {"LOTTERY_SWEEP_MINUTES": "2", "LOTTERY_VAR_DIR": str(tmp_path / "var")},
        "from django.conf import settings\n"
        "print(settings.CELERY_BEAT_SCHEDULE['lottery-draw-sweep']['schedule'].total_seconds())",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "120.0"


def test_with_postgres_and_redis_urls_beat_still_has_a_folder_for_its_schedule(tmp_path):
    # A fresh clone has no var/: beat used to crash writing var/celerybeat-schedule.
    var = tmp_path / "fresh-clone" / "var"
    result = settings_in_fresh_process(
        {
            "LOTTERY_VAR_DIR": str(var),
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        },
        "from django.conf import settings\nprint(settings.CELERY_BEAT_SCHEDULE_FILENAME)",
    )

    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).parent == var
    assert var.is_dir()


def test_on_redis_a_killed_workers_task_returns_within_five_minutes(tmp_path):
    result = settings_in_fresh_process(
        {"LOTTERY_VAR_DIR": str(tmp_path), "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"},
        "import json; from django.conf import settings\n"
        "print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS))",
    )

    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    assert options["visibility_timeout"] == 300
    # ... and kombu looks for expired messages every 10 s, not every 100 s.
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] == 10


def test_a_visibility_timeout_below_the_retry_countdown_is_refused(tmp_path):
    result = settings_in_fresh_process(
        {
            "LOTTERY_VAR_DIR": str(tmp_path),
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
            "CELERY_VISIBILITY_TIMEOUT": "60",
        },
        "",
    )

    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must exceed LOTTERY_RETRY_DELAY_SECONDS" in result.stderr


def test_a_starting_worker_asks_for_a_draw_of_every_closed_day():
    with mock.patch.object(lottery_draw_closed_days, "apply_async") as send:
        worker_ready.send(sender=None)

    send.assert_called_once_with()


@pytest.mark.django_db
def test_with_nothing_pending_the_sweep_costs_two_queries(
    ballots_on, django_assert_num_queries, django_capture_on_commit_callbacks, mailoutbox
):
    ballots_on(D, 3)
    with on(the_day_after(D)):
        with django_capture_on_commit_callbacks(execute=True):  # the winner is emailed
            assert len(lottery_draw_closed()) == 1
        # Winners' emails never queued (none), then undrawn days (none).
        with django_assert_num_queries(2):
            assert lottery_draw_closed() == []
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_the_sweep_leaves_a_day_alone_whose_row_was_made_after_its_midnight(client):
    # Its commitment was never public while the day was open: no ballot could have been
    # placed, and a result would claim a lottery that never took place.
    with on(D):
        lottery_ensure(lottery_dates=[D - timedelta(1)])
        assert lottery_draw_closed() == []
    assert client.get(f"/draws/{D - timedelta(1)}").status_code == 404


@pytest.mark.django_db
def test_a_ballot_accepted_on_a_row_made_just_after_midnight_is_still_drawn(auth_client):
    # A request that began at 23:59:59 on day D (a fresh install's first sight of D) makes
    # D's row just after midnight: its ballot got a 201, so D must be drawn with it.
    still_day_d = mock.patch("ballots.services.lottery_today", return_value=D)
    with on(D + timedelta(1), hour=0), still_day_d:
        response = submit(auth_client, D)
    assert response.status_code == 201
    assert Lottery.objects.get(date=D).created_at >= closes_at(D)

    with on(D + timedelta(1)):
        (draw,) = lottery_draw_closed()

    assert (draw.lottery.date, draw.ballot_count) == (D, 1)


@pytest.mark.django_db
def test_the_sweep_draws_an_undrawn_day_older_than_the_last_drawn_one(ballots_on):
    ballots_on(D, 2)
    ballots_on(D + timedelta(1), 2)
    with on(D + timedelta(3)):
        lottery_draw(lottery_date=D + timedelta(1))  # an operator drew one day by hand
        drawn = [draw.lottery.date for draw in lottery_draw_closed()]

    assert drawn == [D, D + timedelta(2)]
    assert Draw.objects.count() == 3
    assert not Lottery.objects.filter(date__lt=D + timedelta(3)).exclude(state="drawn").exists()


class HandClock:
    """A monotonic clock that moves only when the test moves it (time_machine moves the
    wall clock, not time.monotonic, which the task measures its attempt with)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.django_db
def test_the_time_a_failed_attempt_took_counts_toward_the_retry_delay(settings):
    # The first attempt waited 1.5 s (a pool or connect timeout) before failing: the retry
    # is due 60 s after that attempt started, not 60 s after it failed.
    settings.LOTTERY_RETRY_DELAY_SECONDS = 60
    clock = HandClock()

    def slow_failure() -> None:
        clock.advance(1.5)
        raise OperationalError("connection timeout expired")

    task = lottery_draw_closed_days
    failing = mock.patch("draws.tasks.lottery_draw_closed", side_effect=slow_failure)
    with (
        failing,
        mock.patch("draws.tasks.time", clock),
        mock.patch.object(task, "apply_async") as resend,
    ):
        task.push_request(id="abc", retries=0, is_eager=False, called_directly=False)  # type: ignore[call-arg]
        try:
            with pytest.raises(Exception, match="Retry"):
                task.run()
        finally:
            task.pop_request()

    assert resend.call_args.kwargs["countdown"] == 58.5


@pytest.mark.django_db
def test_a_failed_sweep_is_not_retried_the_next_sweep_is_its_retry():
    failing = mock.patch("draws.tasks.lottery_draw_closed", side_effect=OperationalError("x"))
    with failing as draw, mock.patch.object(lottery_draw_closed_days, "retry") as retry:
        result = lottery_draw_closed_days.apply(kwargs={"retry": False})

    assert result.failed()
    assert draw.call_count == 1
    retry.assert_not_called()
