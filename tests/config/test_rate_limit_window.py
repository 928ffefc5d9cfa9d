"""The rate limits' promise: at most the limit in ANY 60 s, not "near" it.

Runs on the suite's cache: locmem, and Redis in the PostgreSQL + Redis pass (CACHE_URL).
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from ballots.models import Ballot
from tests.conftest import PASSWORD, submit

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 28, 12, 0, 50, tzinfo=UTC)  # late in a clock minute


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def test_the_end_of_one_minute_and_the_start_of_the_next_allow_the_limit_once(
    auth_client, settings
):
    # Found: 600 + 530 = 1,130 ballots in 59.6 s at a limit of 600. Scaled to 10.
    settings.BALLOT_RATE_LIMIT_PER_MINUTE = 10
    with at(T0):
        first = [submit(auth_client).status_code for _ in range(10)]
    with at(T0 + timedelta(seconds=59.6)):
        within = [submit(auth_client).status_code for _ in range(10)]
    with at(T0 + timedelta(seconds=60)):  # the first ten are a minute old: room again
        after = [submit(auth_client).status_code for _ in range(11)]

    assert first == [201] * 10
    assert within == [429] * 10
    assert after == [201] * 10 + [429]
    assert Ballot.objects.count() == 20


def test_retry_after_is_when_the_request_fits(auth_client, settings):
    settings.BALLOT_RATE_LIMIT_PER_MINUTE = 4
    for second in (0, 10, 20, 30):
        with at(T0 + timedelta(seconds=second)):
            assert submit(auth_client).status_code == 201
    with at(T0 + timedelta(seconds=45)):
        refused = submit(auth_client)
        batch = auth_client.post("/ballots/batch", {"count": 3}, content_type="application/json")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "15"  # the ballot of T0 leaves the window at T0 + 60
    assert batch.status_code == 429
    assert batch["Retry-After"] == "35"  # three must leave: the third is T0 + 20, out at + 80
    with at(T0 + timedelta(seconds=60)):
        assert submit(auth_client).status_code == 201


def test_one_address_has_one_budget_of_password_hashes(settings, user):
    # Found: register, /token/pair and admin login had a budget each: ~90 hashes a minute.
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 6
    client = Client(REMOTE_ADDR="10.9.0.1")
    with at(T0):
        answers = [
            client.post(
                "/accounts/register",
                {"username": f"new{n}", "password": PASSWORD},
                content_type="application/json",
            ).status_code
            for n in range(2)
        ]
        answers += [
            client.post(
                "/token/pair",
                {"username": "alice", "password": PASSWORD},
                content_type="application/json",
            ).status_code
            for _ in range(2)
        ]
        answers += [
            client.post("/admin/login/", {"username": "x", "password": "y"}).status_code
            for _ in range(2)
        ]
        answers.append(
            client.post(
                "/token/pair",
                {"username": "alice", "password": PASSWORD},
                content_type="application/json",
            ).status_code
        )

    assert answers == [201, 201, 200, 200, 200, 200, 429]
