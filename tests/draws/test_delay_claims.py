"""The draw's delay step with real processes on PostgreSQL: the count and root are public from
the close, one worker at a time computes a day's delay function, and a worker killed in the
middle of it leaves the day to the sweep once its claim lapses."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from ballots.models import Lottery
from draws.errors import DrawInProgress
from draws.models import Draw
from draws.services import CLAIM_SECONDS, lottery_draw, lottery_draw_closed
from tests.conftest import D, forget_rendered_results
from tests.waiting import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
# Long enough to be caught in the middle (seconds here), and the same code as 2**27.
DELAY_LOG2 = 21


def draw_in_a_worker_process(day: str) -> subprocess.Popen[str]:
    """`manage.py draw --date DAY` in a process of its own, on the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL": "false",
    }
    return subprocess.Popen(  # noqa: S603 - our own manage.py, no shell
        [sys.executable, str(ROOT / "manage.py"), "draw", "--date", day],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_the_claim(day: Lottery, worker: subprocess.Popen[str]) -> Draw:
    """The worker process's claim on the day's delay function, once its row shows it."""

    def claimed() -> Draw | None:
        draw = Draw.objects.filter(lottery=day, computing_until__isnull=False).first()
        assert draw is not None or worker.poll() is None, worker.communicate()[0]
        return draw

    return wait_for(claimed, 60, "the worker to claim the day's delay function")


def test_the_root_is_public_at_the_close_and_a_killed_worker_leaves_the_day_to_the_sweep(
    ballots_on, client
):
    ballots_on(D, 40)
    day = Lottery.objects.get(date=D)
    day.vdf_delay_log2 = DELAY_LOG2
    day.save(update_fields=["vdf_delay_log2"])

    worker = draw_in_a_worker_process(str(D))
    claimed = wait_for_the_claim(day, worker)

    # Closed and published while the delay function runs: anyone can record the root now.
    forget_rendered_results()
    during = client.get(f"/draws/{D}")
    assert during.status_code == 200
    assert during["Cache-Control"] == "no-cache"
    body = during.json()
    assert (body["state"], body["ballot_count"], body["winning_ballot_id"]) == ("drawing", 40, None)
    assert body["merkle_root"] == claimed.merkle_root
    assert body["vdf_delay_log2"] == DELAY_LOG2
    # A second worker does not compute the same day at once.
    with pytest.raises(DrawInProgress):
        lottery_draw(lottery_date=D)

    worker.send_signal(signal.SIGKILL)  # killed mid-evaluation: its claim is never released
    worker.wait(timeout=30)
    assert Draw.objects.get(pk=claimed.pk).state == Draw.State.DRAWING
    assert D not in [draw.lottery.date for draw in lottery_draw_closed()]  # a live claim
    assert Draw.objects.get(pk=claimed.pk).state == Draw.State.DRAWING

    # Once the claim lapses, the next sweep computes the day itself.
    later = timezone.now() + timedelta(seconds=CLAIM_SECONDS + 1)
    with time_machine.travel(later, tick=True):
        drawn = lottery_draw_closed()
    (resumed,) = [draw for draw in drawn if draw.lottery.date == D]
    assert resumed.state == Draw.State.DRAWN
    assert resumed.winning_ballot_id is not None
    assert resumed.merkle_root == claimed.merkle_root
    assert Draw.objects.filter(lottery=day).count() == 1
