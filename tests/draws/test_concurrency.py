"""Invariants 1 and 2 under real concurrency, on PostgreSQL's row locks."""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test import Client

from accounts.models import User
from ballots.models import Ballot, Lottery
from draws.errors import DrawInProgress
from draws.models import Draw
from draws.services import lottery_draw, lottery_draw_closed
from tests.conftest import (
    D,
    bearer_client,
    on,
    submit,
    the_day_after,
    wait_until_a_query_waits_on_a_lock,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_ballot_quota(settings):
    # One user races thousands of ballots here; the per-user limit is tested on its own.
    settings.BALLOT_RATE_LIMIT_PER_MINUTE = 10**9


def in_thread(target: Callable[[], None]) -> threading.Thread:
    """Run ``target`` on its own thread, hence its own database connection."""

    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("round_", range(5))
def test_two_draws_of_one_day_at_the_same_moment_produce_one_result(ballots_on, round_):
    day = D + timedelta(days=round_)
    ballots_on(day, 30)
    start = threading.Barrier(2)
    results: list[Draw] = []
    errors: list[BaseException] = []

    def draw() -> None:
        start.wait()
        try:
            results.append(lottery_draw(lottery_date=day))
        except BaseException as exc:
            errors.append(exc)

    with on(the_day_after(day)):
        threads = [in_thread(draw) for _ in range(2)]
        for thread in threads:
            thread.join(timeout=30)

    # The second either waited on the lock and found the result, or found the first one's
    # delay function running and left the day to it; never a second computation or result.
    assert all(isinstance(error, DrawInProgress) for error in errors), errors
    assert len(results) + len(errors) == 2
    assert results
    assert {draw.pk for draw in results} == {Draw.objects.get(lottery__date=day).pk}
    assert {draw.winning_ballot_id for draw in results} == {
        Draw.objects.get(lottery__date=day).winning_ballot_id
    }
    assert all(draw.state == Draw.State.DRAWN for draw in results)


def race_the_draw(
    post: Callable[[Client], Any], draw_now: Callable[[], list[Draw]] | None
) -> tuple[list[tuple[int, dict]], Draw]:
    """Four submitters ``post`` for day D in a loop while D is drawn; (status, body) each.

    Requests that began before midnight meet the draw that starts just after it. "beat"
    runs what the midnight task runs (close every past day, then draw); "one-day" (None)
    draws D alone, as `manage.py draw --date` does.
    """
    outcomes: list[tuple[int, dict]] = []
    answered = threading.Condition()  # told of each outcome
    stop = threading.Event()

    def submitter() -> None:
        client = Client(HTTP_AUTHORIZATION=token)
        while not stop.is_set():
            response = post(client)
            with answered:
                outcomes.append((response.status_code, response.json()))
                answered.notify_all()

    def wait_for(count: int) -> None:
        with answered:
            arrived = answered.wait_for(lambda: len(outcomes) >= count, timeout=30)
        assert arrived, f"the submitters answered {len(outcomes)} of {count} in 30 s"

    token = bearer_client(User.objects.get()).defaults["HTTP_AUTHORIZATION"]
    # The web processes still believe it is day D (their requests started at 23:59:59);
    # the clock, and so the draw, is already past D's midnight.
    still_day_d = mock.patch("ballots.services.lottery_today", return_value=D)
    with on(the_day_after(D), hour=0), still_day_d:
        threads = [in_thread(submitter) for _ in range(4)]
        wait_for(40)
        if draw_now is None:
            draw = lottery_draw(lottery_date=D)
        else:
            (draw,) = [d for d in draw_now() if d.lottery.date == D]
        wait_for(len(outcomes) + 40)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    return outcomes, draw


DRAW_NOW = pytest.mark.parametrize("draw_now", [lottery_draw_closed, None], ids=["beat", "one-day"])


@DRAW_NOW
def test_submitters_racing_the_draw_are_either_counted_or_refused(user, draw_now):
    outcomes, draw = race_the_draw(lambda client: submit(client, D), draw_now)

    statuses = {status for status, _ in outcomes}
    accepted = {body["id"] for status, body in outcomes if status == 201}
    assert statuses == {201, 422}, "no third outcome, and the race really happened"
    assert draw.ballot_count == len(accepted)
    stored = {str(i) for i in Ballot.objects.filter(lottery__date=D).values_list("id", flat=True)}
    assert stored == accepted
    assert str(draw.winning_ballot_id) in accepted


@DRAW_NOW
def test_batches_racing_the_draw_are_counted_whole_or_refused_whole(user, draw_now):
    """Invariant 2 for POST /ballots/batch: every acknowledged id is in the pool, no other."""

    def post_batch(client: Client) -> Any:
        payload = {"date": str(D), "count": 25}
        return client.post("/ballots/batch", payload, content_type="application/json")

    outcomes, draw = race_the_draw(post_batch, draw_now)

    statuses = {status for status, _ in outcomes}
    accepted = [
        ballot_id for status, body in outcomes if status == 201 for ballot_id in body["ids"]
    ]
    assert statuses == {201, 422}, "no third outcome, and the race really happened"
    assert all(len(body["ids"]) == 25 for status, body in outcomes if status == 201)
    assert draw.ballot_count == len(accepted) == len(set(accepted))
    stored = {str(i) for i in Ballot.objects.filter(lottery__date=D).values_list("id", flat=True)}
    assert stored == set(accepted)
    assert str(draw.winning_ballot_id) in stored


def test_a_submission_waits_for_a_draw_in_progress_then_is_refused(user, ballots_on):
    ballots_on(D, 1)
    outcome: list[int] = []

    def submitter() -> None:
        outcome.append(submit(bearer_client(user), D).status_code)

    still_day_d = mock.patch("ballots.services.lottery_today", return_value=D)
    with on(the_day_after(D)), still_day_d:
        with transaction.atomic():
            # What lottery_draw holds while it counts and picks.
            lottery = Lottery.objects.select_for_update().get(date=D)
            thread = in_thread(submitter)
            wait_until_a_query_waits_on_a_lock("the submission")
            assert thread.is_alive(), "the submission must wait for the draw's lock"
            lottery.state = Lottery.State.DRAWN
            lottery.save(update_fields=["state"])
        thread.join(timeout=30)

    assert outcome == [422]
    assert Ballot.objects.filter(lottery__date=D).count() == 1
