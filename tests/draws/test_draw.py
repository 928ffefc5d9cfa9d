import math
import secrets
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from ballots.models import Ballot, Lottery
from draws import vdf
from draws.models import Draw
from draws.services import lottery_draw, lottery_draw_closed
from record.models import Entry
from tests.conftest import D, on, submit, the_day_after

pytestmark = pytest.mark.django_db


def test_the_draw_picks_one_of_the_days_ballots_and_the_api_shows_it(client, ballots_on):
    ids = ballots_on(D, 5)
    ballots_on(the_day_after(D), 2)  # another day's ballots are not in D's pool

    with on(the_day_after(D)):
        draw = lottery_draw(lottery_date=D)
        body = client.get(f"/draws/{D}").json()

    assert str(draw.winning_ballot_id) in ids
    assert body["date"] == str(D)
    assert body["winning_ballot_id"] == str(draw.winning_ballot_id)
    assert body["ballot_count"] == 5
    assert body["drawn_at"].startswith(str(the_day_after(D)))
    assert Lottery.objects.get(date=D).state == Lottery.State.DRAWN


def test_a_day_with_no_ballots_closes_with_no_winner(client):
    with on(D):
        client.get("/lotteries")  # the day is open, its commitment public; nobody submits
    with on(the_day_after(D)):
        lottery_draw_closed()

    body = client.get(f"/draws/{D}").json()
    assert body["winning_ballot_id"] is None
    assert body["ballot_count"] == 0


def test_drawing_a_day_that_is_still_open_is_refused(ballots_on):
    ballots_on(D, 1)

    with on(D, hour=23), pytest.raises(CommandError, match="still open"):
        call_command("draw", "--date", str(D))

    assert not Draw.objects.exists()
    assert Lottery.objects.get(date=D).state == Lottery.State.OPEN


def test_the_database_refuses_a_second_result_for_one_day(ballots_on):
    ballots_on(D, 1)
    with on(the_day_after(D)):
        first = lottery_draw(lottery_date=D)

    # Invariant 1 holds even against code that skips the service and its lock.
    with pytest.raises(IntegrityError), transaction.atomic():
        Draw.objects.create(
            lottery=first.lottery, winning_ballot=None, ballot_count=0, drawn_at=first.drawn_at
        )
    assert Draw.objects.count() == 1


def test_drawing_a_drawn_day_again_returns_the_same_result_and_changes_nothing(ballots_on):
    ballots_on(D, 20)
    with on(the_day_after(D)):
        first = lottery_draw(lottery_date=D)
    with on(the_day_after(the_day_after(D))):
        again = lottery_draw(lottery_date=D)

    assert again.pk == first.pk
    assert again.winning_ballot_id == first.winning_ballot_id
    assert again.drawn_at == first.drawn_at
    assert Draw.objects.count() == 1


def test_catch_up_draws_every_missed_day_oldest_first_then_nothing(ballots_on):
    days = [D, D + timedelta(1), D + timedelta(2)]
    for day in days:
        ballots_on(day, 3)

    # The scheduler was off for all three days; it comes back on the fourth.
    with on(D + timedelta(3)):
        first_run = lottery_draw_closed()
        second_run = lottery_draw_closed()

    assert [draw.lottery.date for draw in first_run] == days
    assert all(draw.ballot_count == 3 for draw in first_run)
    assert second_run == []
    assert Draw.objects.count() == 3


def test_catch_up_gives_missed_days_without_ballots_a_result_too(client, ballots_on):
    ballots_on(D, 1)
    with on(the_day_after(D)):
        lottery_draw_closed()
    ballots_on(D + timedelta(4), 2)

    # Down for a week: D+1 .. D+3 had no ballots, D+4 had two.
    with on(D + timedelta(8)):
        drawn = lottery_draw_closed()

    assert [draw.lottery.date for draw in drawn] == [D + timedelta(n) for n in range(1, 8)]
    assert [draw.ballot_count for draw in drawn] == [0, 0, 0, 2, 0, 0, 0]
    missed = client.get(f"/draws/{D + timedelta(2)}").json()
    assert missed["winning_ballot_id"] is None
    assert missed["ballot_count"] == 0


def test_a_new_installation_publishes_no_draw_for_the_days_before_it(client):
    # The worker's start-up run on a fresh database: no day before today was ever open, so
    # none had a public commitment or a ballot. It used to publish yesterday as drawn.
    with on(D):
        drawn = lottery_draw_closed()
        health = client.get("/health/draws")

    assert drawn == []
    assert client.get("/draws").json() == {"items": [], "count": 0}
    assert client.get(f"/draws/{D - timedelta(1)}").status_code == 404
    assert health.status_code == 200  # nothing is overdue either


def test_the_first_day_of_a_new_installation_is_drawn_after_its_midnight(client):
    with on(D):
        lottery_draw_closed()  # the worker starts: nothing to draw
        client.get("/lotteries")  # the first visitor: today's commitment is published
    with on(the_day_after(D)):
        drawn = lottery_draw_closed()

    assert [draw.lottery.date for draw in drawn] == [D]


def test_make_draw_refuses_a_day_that_was_never_open():
    with on(D), pytest.raises(CommandError, match="was never open"):
        call_command("draw", "--date", str(D - timedelta(1)))

    assert not Draw.objects.exists()
    assert not Lottery.objects.exists()


def test_catch_up_leaves_open_days_alone(ballots_on):
    ballots_on(D, 1)
    ballots_on(the_day_after(D), 1)

    with on(the_day_after(D)):
        drawn = lottery_draw_closed()

    assert [draw.lottery.date for draw in drawn] == [D]
    assert Lottery.objects.get(date=the_day_after(D)).state == Lottery.State.OPEN


def test_a_ballot_for_a_drawn_day_is_refused(auth_client, ballots_on):
    ballots_on(D, 1)
    with on(the_day_after(D)):
        lottery_draw_closed()
        response = submit(auth_client, D)

    assert response.status_code == 422
    assert Ballot.objects.filter(lottery__date=D).count() == 1


def test_ballot_status_becomes_won_or_lost_once_the_day_is_drawn(auth_client, ballots_on):
    ids = ballots_on(D, 4)
    assert {b["status"] for b in auth_client.get("/ballots").json()["items"]} == {"pending"}

    with on(the_day_after(D)):
        winner = str(lottery_draw(lottery_date=D).winning_ballot_id)

    statuses = {b["id"]: b["status"] for b in auth_client.get("/ballots").json()["items"]}
    assert statuses == {i: ("won" if i == winner else "lost") for i in ids}
    assert auth_client.get(f"/ballots/{winner}").json()["status"] == "won"
    won = auth_client.get("/ballots?status=won").json()
    assert [b["id"] for b in won["items"]] == [winner]
    assert auth_client.get("/ballots?status=lost").json()["count"] == 3
    assert auth_client.get("/ballots?status=pending").json()["count"] == 0


def test_an_undrawn_day_is_not_found(client):
    response = client.get(f"/draws/{D}")

    assert response.status_code == 404
    assert response.json() == {"detail": f"The lottery of {D} has not been drawn."}
    assert client.get("/draws/2026-02-30").status_code == 422


def test_draws_are_listed_newest_first_and_paginated(client, ballots_on):
    for offset in range(3):
        ballots_on(D + timedelta(offset), 1)
    with on(D + timedelta(3)):
        lottery_draw_closed()

    body = client.get("/draws?limit=2").json()

    assert body["count"] == 3
    assert [d["date"] for d in body["items"]] == [str(D + timedelta(2)), str(D + timedelta(1))]
    assert client.get("/draws?limit=1000").status_code == 422


def test_the_draw_command_prints_what_it_drew(ballots_on, capsys):
    ballots_on(D, 2)

    with on(D + timedelta(2)):
        call_command("draw")
        call_command("draw")

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{D}: 2 ballots, winning ballot ")
    assert out[1] == f"{the_day_after(D)}: no ballots, no winner"
    assert out[2] == "Nothing to draw: every closed lottery day has its result."


def test_the_draw_command_draws_one_given_day(ballots_on, capsys):
    ballots_on(D, 1)
    ballots_on(the_day_after(D), 1)

    with on(D + timedelta(5)):
        call_command("draw", "--date", str(the_day_after(D)))

    assert list(Draw.objects.values_list("lottery__date", flat=True)) == [the_day_after(D)]


def test_the_draw_streams_the_day_once_and_takes_no_random_number(ballots_on):
    ballots_on(D, 6)
    spy = mock.patch("secrets.randbelow", side_effect=AssertionError("the ballots decide"))
    with on(the_day_after(D)), CaptureQueriesContext(connection) as queries, spy:
        draw = lottery_draw(lottery_date=D)

    in_id_order = sorted(Ballot.objects.filter(lottery__date=D).values_list("id", flat=True))
    assert draw.ballot_count == 6
    assert draw.winning_index is not None
    assert draw.winning_ballot_id == in_id_order[draw.winning_index]
    # The whole winner rule, recomputed from the public values alone: the delay function's
    # input from the day, count and root; its proven output; the index from the output.
    x = vdf.input_element(f"{vdf.RULE}|{D}|6|{draw.merkle_root}|8")
    y = int(draw.vdf_output, 16)
    proof = bytes(draw.vdf_proof)
    mus = [int.from_bytes(proof[i : i + 256], "big") for i in range(0, len(proof), 256)]
    assert vdf.verify(x, y, mus, 8)
    assert draw.winning_index == vdf.winner_index(output=y, count=6)
    # One ordered pass over the index (on PostgreSQL a server-side cursor that Django does
    # not log), then one look-up; never sorted randomly, never an OFFSET walk.
    sqls = [query["sql"].upper() for query in queries.captured_queries]
    ordered = [sql for sql in sqls if 'FROM "BALLOTS_BALLOT"' in sql or "BALLOTS_BALLOT " in sql]
    assert 1 <= len(ordered) <= 2
    assert not [sql for sql in sqls if "RANDOM()" in sql or " OFFSET " in sql]


def chi_square_p_value_3_dof(statistic: float) -> float:
    """Survival function of the chi-square distribution with 3 degrees of freedom."""
    x = statistic
    return math.erfc(math.sqrt(x / 2)) + math.sqrt(2 * x / math.pi) * math.exp(-x / 2)


def test_every_ballot_wins_with_the_same_frequency():
    # The rule end to end over 4,000 ballot sets of four: the day's statement hashed into
    # the group, the delay function (a short delay: the same code), the index from its output.
    draws = 4000

    def winner_of(root: str) -> int:
        x = vdf.input_element(f"{vdf.RULE}|{D}|4|{root}|1")
        return vdf.winner_index(output=vdf.evaluate(x, 1).output, count=4)

    wins = Counter(winner_of(secrets.token_hex(32)) for _ in range(draws))

    expected = draws / 4
    statistic = sum((wins[i] - expected) ** 2 / expected for i in range(4))
    # Rejecting a fair draw by chance here has probability below one in a million.
    assert chi_square_p_value_3_dof(statistic) > 1e-6, wins
    assert set(wins) == {0, 1, 2, 3}


def test_the_fairness_check_would_catch_a_biased_draw():
    # The p-value formula matches the tables (5% at 7.815), and a draw in which one of four
    # ballots wins 20% more often than it should, over 4000 draws, fails the check above.
    assert chi_square_p_value_3_dof(7.815) == pytest.approx(0.05, rel=0.01)
    biased = [1200, 933, 933, 934]
    statistic = sum((w - 1000) ** 2 / 1000 for w in biased)
    assert chi_square_p_value_3_dof(statistic) < 1e-6


def test_each_draw_run_creates_the_open_window_ahead_with_its_commitments(client):
    with on(D - timedelta(1)):
        client.get("/lotteries")  # the installation was running yesterday
    with on(D):
        lottery_draw_closed()

    # The open window, and the day after it: a day's row and policy exist a day before it opens.
    window = Lottery.objects.filter(date__gte=D).order_by("date")
    assert [lottery.date for lottery in window] == [D + timedelta(n) for n in range(8)]
    # Each day's policy is fixed before it opens: the rule and its delay, in the public record.
    assert {(lottery.rule, lottery.vdf_delay_log2) for lottery in window} == {
        (Lottery.Rule.DELAY_FUNCTION, 8)
    }
    policies = Entry.objects.filter(kind=Entry.Kind.POLICY, date__gte=D).order_by("date")
    assert [entry.date for entry in policies] == [D + timedelta(n) for n in range(8)]
    assert all("\nvdf_delay_log2 8\n" in entry.text for entry in policies)


def test_a_fresh_installs_first_sweep_makes_the_days_ahead_with_their_policies(client):
    """No request needed: the worker's start-up sweep makes the window and the day after it,
    each with its policy in the public record, before any of them takes a ballot."""
    with on(D, hour=0):
        assert lottery_draw_closed() == []
    ahead = [D + timedelta(n) for n in range(8)]
    assert list(Lottery.objects.order_by("date").values_list("date", flat=True)) == ahead
    policies = Entry.objects.filter(kind=Entry.Kind.POLICY).order_by("index")
    assert [entry.date for entry in policies] == ahead
    # The day after the window is logged a whole day before it opens, and nothing is a demo.
    assert all("\ndemo no\n" in entry.text for entry in policies)
    with on(D, hour=1):
        lottery_draw_closed()
    assert Entry.objects.count() == 8  # a second sweep logs nothing again
