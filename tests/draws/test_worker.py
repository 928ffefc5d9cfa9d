"""The draw task through a real Celery worker consuming from the local Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from draws.tasks import lottery_draw_closed_days
from tests.conftest import D, on, the_day_after

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def drawn(response) -> bool:
    return response.status_code == 200 and response.json()["state"] == "drawn"


def test_a_worker_runs_the_task_sent_through_the_broker(client, ballots_on):
    ids = ballots_on(D, 3)
    app.control.purge()  # nothing left over from an earlier run

    with (
        on(the_day_after(D)),
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30),
    ):
        lottery_draw_closed_days.apply_async()
        deadline = time.monotonic() + 30
        response = client.get(f"/draws/{D}")
        # 404 until the close commits, then "drawing" while the delay function runs.
        while not drawn(response) and time.monotonic() < deadline:
            time.sleep(0.2)
            response = client.get(f"/draws/{D}")

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "drawn"
    assert body["ballot_count"] == 3
    assert body["winning_ballot_id"] in ids


def test_the_worker_emails_the_winner_once_after_the_draw_commits(ballots_on, mailoutbox):
    ballots_on(D, 3)
    app.control.purge()

    with (
        on(the_day_after(D)),
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30),
    ):
        lottery_draw_closed_days.apply_async()
        lottery_draw_closed_days.apply_async()  # a doubled beat: one draw, one email
        deadline = time.monotonic() + 30
        while not mailoutbox and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # room for a wrong second email to arrive

    assert [mail.to for mail in mailoutbox] == [["a@example.com"]]


def test_a_consuming_worker_keeps_its_heartbeat_fresh_for_the_healthcheck(tmp_path, settings):
    heartbeat = tmp_path / "heartbeat"
    settings.LOTTERY_WORKER_HEARTBEAT_FILE = str(heartbeat)
    script = Path(__file__).resolve().parents[2] / "scripts" / "container_probe.py"
    env = {**os.environ, "LOTTERY_WORKER_HEARTBEAT_FILE": str(heartbeat)}

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        deadline = time.monotonic() + 20
        while not heartbeat.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        well = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, str(script), "worker"], env=env, capture_output=True, check=False
        )

    assert well.returncode == 0, well.stderr
