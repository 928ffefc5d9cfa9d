"""The per-user ballot limit (BALLOT_RATE_LIMIT_PER_MINUTE) and an honest refusal message."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from ballots.models import Ballot
from draws.services import lottery_draw_closed
from tests.conftest import submit

pytestmark = pytest.mark.django_db

MINUTE = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # the start of a limit window


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def limit_5(settings):
    settings.BALLOT_RATE_LIMIT_PER_MINUTE = 5


def test_a_user_past_the_limit_gets_429_with_retry_after(auth_client, other_client, limit_5):
    with at(MINUTE):
        assert [submit(auth_client).status_code for _ in range(5)] == [201] * 5
        refused = submit(auth_client)
        assert submit(other_client).status_code == 201  # the limit is per user

    assert refused.status_code == 429
    assert refused.json() == {"detail": "Too many requests; try again later."}
    # The first of the five leaves the last 60 s a minute after it was sent.
    assert refused["Retry-After"] == "60"
    assert Ballot.objects.count() == 6


def test_the_limit_slides_instead_of_resetting_at_the_minute(auth_client, limit_5):
    with at(MINUTE - timedelta(seconds=1)):
        assert [submit(auth_client).status_code for _ in range(5)] == [201] * 5
    # A fixed window would allow 5 more at once: 10 in two seconds.
    with at(MINUTE + timedelta(seconds=1)):
        assert submit(auth_client).status_code == 429
    # The sliding estimate let one through here (5 * 48/60 + 1 = 5): 6 in 60 s.
    with at(MINUTE + timedelta(seconds=58.9)):
        assert submit(auth_client).status_code == 429
    with at(MINUTE + timedelta(seconds=59)):  # the five are 60 s old
        assert [submit(auth_client).status_code for _ in range(6)] == [201] * 5 + [429]


def test_refused_ballots_do_not_use_up_the_limit(auth_client, limit_5):
    with at(MINUTE):
        for _ in range(5):
            submit(auth_client)
        assert {submit(auth_client).status_code for _ in range(20)} == {429}
    # Had the 20 refusals counted, they would keep the window full for another minute.
    with at(MINUTE + timedelta(seconds=60)):
        assert submit(auth_client).status_code == 201


def test_a_heavy_user_is_stopped_at_the_limit_exactly(auth_client, settings):
    settings.BALLOT_RATE_LIMIT_PER_MINUTE = 200
    with at(MINUTE):
        answers = [submit(auth_client).status_code for _ in range(203)]

    assert answers[:200] == [201] * 200
    assert answers[200:] == [429] * 3
    assert Ballot.objects.count() == 200


def test_the_default_limit_is_generous_for_a_person(auth_client):
    with at(MINUTE):
        assert {submit(auth_client).status_code for _ in range(100)} == {201}


def test_a_day_closed_by_a_draw_whose_clock_runs_ahead_is_not_offered_as_open(auth_client):
    today = date(2026, 11, 28)
    with at(datetime(2026, 11, 28, 12, tzinfo=UTC)):
        auth_client.get("/lotteries")  # the day is open, its commitment public
    # The beat's host is 3 s ahead: it is past midnight there, and it closes and draws today.
    with at(datetime(2026, 11, 29, 0, 0, 1, tzinfo=UTC)):
        lottery_draw_closed()
    with at(datetime(2026, 11, 28, 23, 59, 58, tzinfo=UTC)):
        response = submit(auth_client)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert f"The lottery of {today} is closed." in detail
    assert "Ballots are accepted for 2026-11-29 to 2026-12-04" in detail
