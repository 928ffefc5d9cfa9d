"""The draw task through a real Celery worker consuming from the local Redis."""

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import after_task_publish, task_postrun

from config.celery import app
from draws.tasks import lottery_draw_closed_days
from tests.conftest import D, on, the_day_after

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


class SentAndFinished:
    """The tasks this process sent and those its in-process worker finished, told by Celery's
    signals: a test waits until the worker has done all it was sent, then asserts."""

    def __init__(self) -> None:
        self.sent: set[str] = set()
        self.finished: set[str] = set()
        self._changed = threading.Condition()

    def on_sent(self, headers: dict[str, Any], **kwargs: Any) -> None:
        with self._changed:
            self.sent.add(headers["id"])
            self._changed.notify_all()

    def on_finished(self, task_id: str, **kwargs: Any) -> None:
        with self._changed:
            self.finished.add(task_id)
            self._changed.notify_all()

    def wait_until_all_finished(self, timeout: float = 30) -> None:
        """Until every task sent so far has run, those sent by the tasks themselves (the
        winner's email, sent on the draw's commit, before the draw task ends) included."""
        with self._changed:
            done = self._changed.wait_for(lambda: self.sent <= self.finished, timeout)
            assert done, f"the worker did not finish {self.sent - self.finished} in {timeout} s"


@contextmanager
def watching_tasks() -> Iterator[SentAndFinished]:
    """Track the tasks sent from here on (not those sent earlier and purged)."""
    tracked = SentAndFinished()
    after_task_publish.connect(tracked.on_sent, weak=False)
    task_postrun.connect(tracked.on_finished, weak=False)
    try:
        yield tracked
    finally:
        after_task_publish.disconnect(tracked.on_sent)
        task_postrun.disconnect(tracked.on_finished)


def test_a_worker_runs_the_task_sent_through_the_broker(client, ballots_on):
    ids = ballots_on(D, 3)
    app.control.purge()  # nothing left over from an earlier run

    with (
        on(the_day_after(D)),
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30),
        watching_tasks() as tasks,
    ):
        lottery_draw_closed_days.apply_async()
        tasks.wait_until_all_finished()
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
        watching_tasks() as tasks,
    ):
        lottery_draw_closed_days.apply_async()
        lottery_draw_closed_days.apply_async()  # a doubled beat: one draw, one email
        tasks.wait_until_all_finished()  # both runs, and every email task they queued

    assert [mail.to for mail in mailoutbox] == [["a@example.com"]]


def test_a_consuming_worker_keeps_its_heartbeat_fresh_for_the_healthcheck(tmp_path, settings):
    heartbeat = tmp_path / "heartbeat"
    settings.LOTTERY_WORKER_HEARTBEAT_FILE = str(heartbeat)
    script = Path(__file__).resolve().parents[2] / "scripts" / "container_probe.py"
    env = {**os.environ, "LOTTERY_WORKER_HEARTBEAT_FILE": str(heartbeat)}

    # start_worker returns once the consumer has started every step, the heartbeat's (which
    # touches the file at its start) included: no wait for the file.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        well = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, str(script), "worker"], env=env, capture_output=True, check=False
        )

    assert well.returncode == 0, well.stderr
