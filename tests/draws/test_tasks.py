import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from celery.exceptions import Retry
from celery.schedules import crontab
from django.conf import settings
from django.db import OperationalError

from draws.models import Draw
from draws.tasks import lottery_draw_closed_days
from tests.conftest import D, on, the_day_after

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_the_task_draws_every_closed_day(ballots_on):
    ballots_on(D, 2)

    with on(D + timedelta(2)):
        result = lottery_draw_closed_days.apply()

    assert result.successful()
    assert result.result == [str(D), str(D + timedelta(1))]
    assert Draw.objects.count() == 2


@pytest.mark.django_db
def test_a_redelivered_task_changes_nothing(ballots_on):
    # acks_late: a worker that dies mid-task gets the message again.
    assert lottery_draw_closed_days.acks_late is True
    ballots_on(D, 5)
    with on(the_day_after(D)):
        lottery_draw_closed_days.apply()
        before = list(Draw.objects.values_list("lottery__date", "winning_ballot", "drawn_at"))
    with on(the_day_after(D), hour=13):
        again = lottery_draw_closed_days.apply()

    assert again.successful()
    assert again.result == []
    assert list(Draw.objects.values_list("lottery__date", "winning_ballot", "drawn_at")) == before


@pytest.mark.django_db
def test_a_failing_draw_is_retried_every_minute_then_given_up_after_ten_retries(caplog):
    failing = mock.patch(
        "draws.tasks.lottery_draw_closed", side_effect=OperationalError("database is down")
    )
    retry = mock.patch.object(
        lottery_draw_closed_days, "retry", wraps=lottery_draw_closed_days.retry
    )
    with failing as draw, retry as spy, caplog.at_level(logging.WARNING, logger="draws.tasks"):
        result = lottery_draw_closed_days.apply()

    assert draw.call_count == 11  # the first run and ten retries
    assert spy.call_count == 10
    assert {call.kwargs["countdown"] for call in spy.call_args_list} == {60}
    assert result.failed()
    assert isinstance(result.result, OperationalError)
    messages = [record.getMessage() for record in caplog.records]
    assert "retry 1 of 10 in 60 s" in messages[0]
    assert "retry 10 of 10 in 60 s" in messages[9]
    assert "giving up after 10 retries" in messages[10]


@pytest.mark.django_db
def test_a_retry_is_sent_to_the_broker_with_a_60_second_countdown():
    # What a worker does with the Retry: re-send the task with countdown=60.
    task = lottery_draw_closed_days
    failing = mock.patch("draws.tasks.lottery_draw_closed", side_effect=OperationalError("x"))
    with failing, mock.patch.object(task, "apply_async") as resend:
        task.push_request(id="abc", retries=3, is_eager=False, called_directly=False)  # type: ignore[call-arg]
        try:
            with pytest.raises(Retry):
                task.run()
        finally:
            task.pop_request()

    assert resend.call_args.kwargs["countdown"] == 60
    assert resend.call_args.kwargs["retries"] == 4


def test_beat_runs_the_draw_task_daily_at_midnight():
    entry = settings.CELERY_BEAT_SCHEDULE["lottery-draw"]
    schedule = entry["schedule"]

    assert entry["task"] == lottery_draw_closed_days.name
    assert isinstance(schedule, crontab)
    assert (schedule.hour, schedule.minute) == ({0}, {0})  # type: ignore[attr-defined]


def beat_next_run(env: dict[str, str], last_run_utc: str) -> str:
    """Ask a fresh process (settings read from ``env``) when beat next runs the draw."""
    code = (
        "import datetime, django; django.setup()\n"
        "from django.conf import settings\n"
        "from config.celery import app\n"
        "entry = settings.CELERY_BEAT_SCHEDULE['lottery-draw']['schedule']\n"
        "entry.app = app\n"
        f"last = datetime.datetime.fromisoformat('{last_run_utc}')\n"
        "start, forward, _ = entry.remaining_delta(last)\n"
        "print(app.conf.timezone, (start + forward).isoformat())\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"TIME_ZONE", "DATABASE_URL"}}
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOTTERY_VAR_DIR": str(ROOT / "var" / "schedule-test"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_beats_midnight_is_midnight_in_the_lottery_time_zone():
    # Last run at 12:00 UTC on 2026-11-20; in Amsterdam (UTC+1) the next midnight is
    # 2026-11-20 23:00 UTC.
    out = beat_next_run({"TIME_ZONE": "Europe/Amsterdam"}, "2026-11-20T12:00:00+00:00")

    zone, next_run = out.split()
    assert zone == "Europe/Amsterdam"
    nxt = datetime.fromisoformat(next_run)
    assert nxt.astimezone(ZoneInfo("Europe/Amsterdam")).time().isoformat() == "00:00:00"
    assert nxt.astimezone(UTC) == datetime(2026, 11, 20, 23, tzinfo=UTC)


def test_the_every_minute_switch_needs_no_code_change():
    out = beat_next_run({"LOTTERY_DRAW_EVERY_MINUTE": "1"}, "2026-11-20T12:00:00+00:00")

    nxt = datetime.fromisoformat(out.split()[1])
    assert nxt.astimezone(UTC) == datetime(2026, 11, 20, 12, 1, tzinfo=UTC)
