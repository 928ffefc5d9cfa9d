"""The pages a player reads first: today's lottery on the home page, a day's result, how the
draw works. Through Django's test client (the browser walk is test_player_pages_in_chromium).

What a player asks comes first (when does it close, how many play, how many are mine, who
won, was it me); the published values come folded, after Verify. A page that shows a
person's own state is never kept by a shared cache; the counts come from a counter, not a
count per view.
"""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from ballots.models import Ballot, Lottery
from ballots.selectors import BALLOT_COUNT_SECONDS
from ballots.services import lottery_open_window
from draws.models import Draw
from draws.services import lottery_draw
from tests.conftest import PASSWORD, D, forget_rendered_results, on, the_day_after

pytestmark = pytest.mark.django_db


def login(client: Client, username: str = "alice") -> None:
    assert client.login(username=username, password=PASSWORD)


def text(response) -> str:
    """The page's visible words, one space apart (tags dropped, entities read)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def add_ballots(username: str, day, count: int) -> None:
    """``count`` ballots of ``username`` on ``day``, straight into the table (a busy day)."""
    owner = User.objects.get_or_create(username=username)[0]
    lottery = Lottery.objects.get(date=day)
    Ballot.objects.bulk_create(Ballot(user=owner, lottery=lottery) for _ in range(count))


@pytest.fixture
def busy_day(user):
    """D open, with 1,229 of bob's ballots and 5 of alice's (the page's "5 of 1,234")."""
    with on(D):
        lottery_open_window()
    add_ballots("bob", D, 1_229)
    add_ballots("alice", D, 5)


# --- Home -------------------------------------------------------------------------------------


def test_the_home_page_leads_with_todays_lottery_and_an_accessible_countdown(client, busy_day):
    with on(D, hour=12):
        response = client.get("/")
    body = response.content.decode()
    # Today first, with its countdown: a timer whose ticking is not read out, and words
    # that make sense without script.
    today = body.index('id="today-heading"')
    assert today < body.index('id="next-heading"') < body.index('id="latest-heading"')
    timer = re.search(r'<span class="timer" role="timer" aria-live="off"[^>]*>([^<]*)</span>', body)
    assert timer is not None
    assert timer.group(1) == "12\xa0hours"
    assert "Closes in 12 hours at Sat 21 Nov 2026, 00:00 UTC" in text(response)
    assert f'data-closes-at="{D + timedelta(days=1)}T00:00:00+00:00"' in body
    assert "1,234 ballots so far" in text(response)
    # Anonymous: no one's own count, and the page may be revalidated from a cache as before.
    assert "You hold" not in body
    assert response["Cache-Control"] == "no-cache"
    # The next six days, one line each.
    assert body.count('class="open-day"') == 6
    assert body.count("open-day") == 7


def test_a_signed_in_player_sees_their_ballots_and_chance_on_a_private_page(client, busy_day):
    login(client)
    with on(D):
        response = client.get("/")
    words = text(response)
    assert "You hold 5 of 1,234 about a 1 in 247 chance so far" in words
    assert response["Cache-Control"] == "private, no-store"
    assert f'href="/play?date={D}"' in response.content.decode()


@pytest.mark.parametrize(
    ("alice", "bob", "said"),
    [
        (2, 0, "You hold 2 of 2 every ballot so far is yours"),
        (2, 3, "You hold 2 of 5 a 40% chance so far"),
        (0, 3, "You have no ballot for today yet."),
    ],
)
def test_the_chance_is_said_in_words(client, user, alice, bob, said):
    with on(D):
        lottery_open_window()
    add_ballots("alice", D, alice)
    add_ballots("bob", D, bob)
    login(client)
    with on(D):
        assert said in text(client.get("/"))


def test_the_counts_come_from_a_counter_refreshed_every_few_seconds(client, busy_day):
    noon = datetime(D.year, D.month, D.day, 12, tzinfo=UTC)
    with time_machine.travel(noon, tick=False):
        assert "1,234 ballots so far" in text(client.get("/"))
    add_ballots("bob", D, 10)
    with (
        time_machine.travel(noon + timedelta(seconds=1), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        again = client.get("/")
    # No count of the ballots on this view: the count of a second ago stands.
    assert "1,234 ballots so far" in text(again)
    assert not [q["sql"] for q in queries if "count(" in q["sql"].lower()]
    later = noon + timedelta(seconds=BALLOT_COUNT_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert "1,244 ballots so far" in text(client.get("/"))


def test_a_players_own_ballots_are_never_more_than_the_total_shown(client, user):
    login(client)
    with on(D):
        assert "0 ballots so far" in text(client.get("/"))  # counted, kept a few seconds
        client.post("/play", {"date": str(D), "count": "3"})
        assert "You hold 3 of 3" in text(client.get("/"))


def test_the_home_page_names_no_rule_and_links_how_the_draw_works(client, user):
    with on(D):
        body = client.get("/").content.decode()
    for word in ("unicorn-pietrzak-rsa2048", "vdf_delay_log2", "hmac-sha256", "seed_commitment"):
        assert word not in body
    assert 'href="/how-it-works"' in body
    assert "developers' documentation" not in body


# --- A day's result ----------------------------------------------------------------------------


@pytest.fixture
def alices_win(client, user):
    """D drawn with alice's two ballots only: one of them wins."""
    login(client)
    with on(D):
        client.post("/play", {"date": str(D), "count": "2"})
    with time_machine.travel(datetime(2026, 11, 21, 0, 0, 7, tzinfo=UTC), tick=False):
        return lottery_draw(lottery_date=D)


def test_the_winner_is_told_first_with_the_published_times(client, alices_win):
    response = client.get(f"/results/{D}")
    body = response.content.decode()
    words = text(response)
    assert 'class="win"' in body
    assert "Your ballot won" in words
    assert f"{alices_win.winning_ballot_id} Yours: you won" in words
    assert "status-won" in body
    # The published close and draw, to the second; not the scheduled midnight.
    assert alices_win.closed_at is not None
    assert f"Closed at {alices_win.closed_at:%a %-d %b %Y, %H:%M:%S} UTC" in words
    assert f"Drawn at {alices_win.drawn_at:%a %-d %b %Y, %H:%M:%S} UTC" in words
    assert "Closed at Sat 21 Nov 2026, 00:00:07 UTC" in words
    # The person's ballots in it, each with its state, linked to its page.
    assert "You held 2 of the 2 ballots." in words
    for ballot in Ballot.objects.filter(user__username="alice"):
        assert f'href="/my/ballots/{ballot.id}"' in body
    assert body.count('class="status status-lost"') == 1
    assert response["Cache-Control"] == "private, no-store"


def test_the_result_page_puts_who_won_then_verify_then_the_published_values(client, alices_win):
    body = client.get(f"/results/{D}").content.decode()
    order = [
        'class="summary"',
        'id="own-heading"',
        'id="verify-heading"',
        'id="own-code"',  # the standalone verifier's notice stays
        'data-action="verify-day"',
        'id="ballot-heading"',
        '<details class="published"',
        "<dt>rule</dt>",
        "<dt>vdf_delay_log2</dt>",
    ]
    places = [body.index(marker) for marker in order]
    assert places == sorted(places)
    folded = body[body.index('<details class="published"') :]
    assert "unicorn-pietrzak-rsa2048" not in body[: body.index('<details class="published"')]
    assert "unicorn-pietrzak-rsa2048" in folded
    assert "developers' documentation" not in body
    assert 'href="/how-it-works"' in folded


def test_another_player_and_an_anonymous_visitor_see_no_win_of_theirs(client, alices_win):
    User.objects.create_user(username="carol", password=PASSWORD)
    other = Client()
    login(other, "carol")
    carols = other.get(f"/results/{D}")
    assert "Your ballot won" not in text(carols)
    assert "You had no ballot in this draw." in text(carols)
    assert carols["Cache-Control"] == "private, no-store"
    anonymous = Client().get(f"/results/{D}")
    assert "Your ballot" not in text(anonymous)
    assert 'id="own-heading"' not in anonymous.content.decode()
    assert f"{alices_win.winning_ballot_id}" in anonymous.content.decode()
    assert anonymous["Cache-Control"] == "no-cache"


def test_the_win_is_on_the_home_page_and_marked_in_the_results(client, alices_win):
    with on(the_day_after(D)):
        home = client.get("/")
    words = text(home)
    assert f"You won the lottery of {D:%a %-d %b %Y}" in words
    link = f'href="/results/{D}?ballot={alices_win.winning_ballot_id}"'
    assert link in home.content.decode()
    listing = client.get("/results")
    assert "Yours: you won" in text(listing)
    assert "Yours: you won" not in text(Client().get("/results"))
    with on(the_day_after(D)):
        assert "You won" not in text(Client().get("/"))


def test_a_draw_from_before_the_two_steps_shows_its_midnight_as_such(client, alices_win):
    Draw.objects.filter(pk=alices_win.pk).update(closed_at=None)
    forget_rendered_results()
    words = text(client.get(f"/results/{D}"))
    assert "Closed at Sat 21 Nov 2026, 00:00 UTC (its midnight" in words


def test_times_carry_the_moment_for_the_persons_own_zone(client, alices_win, settings):
    # clock.js writes the person's own time beside each <time data-local> from its datetime.
    settings.TIME_ZONE = "Asia/Tokyo"
    body = client.get(f"/results/{D}").content.decode()
    assert re.search(r'<time datetime="2026-11-21T09:00:07\+09:00" data-local="seconds">', body)
    assert "Sat 21 Nov 2026, 09:00:07 JST</time>" in body


# --- How the draw works ------------------------------------------------------------------------


def test_how_the_draw_works_is_plain_words_with_the_policy_folded(client, user):
    with on(D):
        response = client.get("/how-it-works")
    assert response.status_code == 200
    words = text(response)
    for said in (
        "One lottery a day.",
        "At midnight, UTC, the list of the day's ballots is fixed.",
        "A slow computation picks the winner.",
        "a demo install: its delay is fine for trying it out, too short for a real lottery",
        "Every time is shown in the lottery's zone, UTC.",
    ):
        assert said in words, said
    body = response.content.decode()
    assert body.index("<details") < body.index("<dt>rule</dt>")
    assert response["Cache-Control"] == "no-cache"
    assert 'href="/how-it-works" aria-current="page"' in body
