"""make demo: a drawn lottery to look at right after make run."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from ballots.models import Ballot
from draws.models import Draw
from draws.tasks import lottery_draw_closed_days
from tests.conftest import D, obtain_tokens, on

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def snapshot():
    return (
        sorted(User.objects.values_list("username", flat=True)),
        Ballot.objects.count(),
        sorted(Draw.objects.values_list("lottery__date", "winning_ballot_id")),
    )


def test_demo_twice_gives_users_with_working_passwords_and_won_lost_pending_ballots(
    client, settings
):
    settings.DEBUG = True  # the embedded mode's default; pytest-django turns it off
    with on(D):
        first_output = run_demo()
        first = snapshot()
        second_output = run_demo()
        second = snapshot()

        assert first == second  # the second run adds nothing and redraws nothing
        users = re.findall(r"(demo_\w+)\s+password: (\S+)", second_output)
        assert len(users) == 3
        assert users == re.findall(r"(demo_\w+)\s+password: (\S+)", first_output)

        statuses = set()
        for username, password in users:
            token = obtain_tokens(client, username, password)["access"]
            mine = client.get("/ballots?limit=100", HTTP_AUTHORIZATION=f"Bearer {token}").json()
            statuses |= {ballot["status"] for ballot in mine["items"]}
        results = client.get("/draws").json()["items"]

    assert statuses == {"won", "lost", "pending"}
    assert [r["date"] for r in results[:3]] == [str(D.replace(day=D.day - n)) for n in (1, 2, 3)]
    assert all(r["winning_ballot_id"] and r["ballot_count"] == 6 for r in results[:3])
    assert Ballot.objects.filter(lottery__date__gte=D).count() == 3 * 7  # the open week


def test_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        run_demo()

    assert not User.objects.exists()


def test_demo_with_the_server_already_running_draws_yesterday_with_its_ballots(client, settings):
    # make run, then make demo: the worker's start-up run came first, and used to publish
    # yesterday as drawn with no ballots, which the demo then left as it was.
    settings.DEBUG = True
    with on(D):
        assert lottery_draw_closed_days.apply().get() == []  # the worker starts
        client.get("/lotteries")  # someone opens /docs
        output = run_demo()
        results = client.get("/draws").json()["items"]

    past = [str(D - timedelta(days=n)) for n in (1, 2, 3)]
    assert [r["date"] for r in results] == past
    assert all(r["winning_ballot_id"] and r["ballot_count"] == 6 for r in results)
    assert re.search(rf"{past[0]}: 6 ballots, winning ballot \S+ \(demo_\w+\)", output)


def test_the_server_started_after_the_demo_keeps_the_demos_draws(settings):
    settings.DEBUG = True
    with on(D):
        run_demo()
        before = snapshot()
        assert lottery_draw_closed_days.apply().get() == []  # make run: nothing left to draw

    assert snapshot() == before
