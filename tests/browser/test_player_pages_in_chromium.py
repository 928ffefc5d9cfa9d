"""A player's pages in a real browser: the account, today's lottery, the odds, a win, Verify.

A person in New York opens the home page (a live countdown, the lottery's times with their
own beside them), registers, confirms the address from the mailed link, forgets the password
and sets a new one from the reset link, logs in, plays, sees their share of the day; at
midnight their ballot wins: the home, result, results and ballot pages say so, and the day
(made as `make demo` and DEBUG make them, its policy marked demo) verifies green at the
default floor, with the demo caveat, as on a fresh `make demo` + `make run` install.
Screenshots at 375 px and 1,280 px of every page this walk changes (SCREENSHOT_DIR).
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from accounts.models import User
from ballots import services as ballot_services
from ballots.models import Ballot
from draws.services import lottery_draw
from tests.browser.chromium import Watched, chromium, needs_chromium
from tests.browser.verifier import checks_of, verify_day, wait_done
from tests.conftest import PASSWORD

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]

DEMO_CAVEAT = "a demo install: its delay is fine for trying it out, too short for a real lottery"
ELSEWHERE = "America/New_York"


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with chromium() as browser:
        yield browser


@pytest.fixture
def clock():
    """Noon UTC of today, ticking."""
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(noon, tick=True) as traveller:
        yield traveller


def mailed_path(message: mail.EmailMessage, to: str) -> str:
    """The path of the one link in a mail sent to ``to``."""
    assert message.to == [to]
    (link,) = re.findall(r"https?://\S+", str(message.body))
    return "/" + link.split("/", 3)[3]


def watched_elsewhere(browser, origin: str) -> Watched:
    """A watched page whose browser lives in New York (the lottery's zone is UTC)."""
    web = Watched(browser, origin)
    cdp = web.context.new_cdp_session(web.page)
    cdp.send("Emulation.setTimezoneOverride", {"timezoneId": ELSEWHERE})
    return web


def test_a_player_sees_the_odds_then_the_win_and_a_demo_day_verifies_green(
    live_server, browser, clock, settings
):
    today = datetime.now(UTC).date()
    tomorrow = today + timedelta(days=1)
    # The open days made as make demo (DEBUG) makes them: their policy says "demo yes".
    settings.DEBUG = True
    ballot_services.lottery_open_window()
    settings.DEBUG = False
    bob = User.objects.create_user(username="bob", password=PASSWORD)
    ballot_services.ballot_submit_batch(user_id=bob.pk, lottery_date=tomorrow, count=3)

    web = watched_elsewhere(browser, live_server.url)
    page = web.page

    # Anonymous: today's lottery first, its countdown a timer that ticks without being read
    # out; the next six days on one line each; the lottery's time with the person's beside.
    web.goto("/")
    assert page.title() == "Today's lotteries · Daily Lottery"
    timer = page.get_by_role("timer")
    assert timer.get_attribute("aria-live") == "off"
    page.wait_for_function("!/hours?|minutes?/.test(document.querySelector('.timer').textContent)")
    assert re.fullmatch(r"\d+ (h|min) \d+ (min|s)", timer.inner_text()), timer.inner_text()
    assert page.locator(".open-day").count() == 7
    assert page.locator(".next-days li").count() == 6
    closes = page.locator(".today .closes").inner_text()
    assert f"{tomorrow:%a %-d %b %Y}, 00:00 UTC" in closes
    assert re.search(r"\(your time: \w{3} \d+ \w{3} \d{4}, (19|20):00 E[SD]T\)", closes), closes
    assert "unicorn" not in page.locator("main").inner_text()
    web.shoot("player-home-anonymous")

    # A new player registers with an address, confirms it from the mailed link, logs out,
    # forgets the password and sets a new one from the reset link.
    web.goto("/register")
    page.get_by_label("Username").fill("player")
    page.get_by_label("Email (optional)").fill("player@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/play")
    web.goto(mailed_path(mail.outbox[-1], "player@example.com"))
    page.get_by_role("button", name="Confirm this address").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url + "/")
    web.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Your email address").fill("player@example.com")
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("Send me a link").wait_for(state="detached")
    web.goto(mailed_path(mail.outbox[-1], "player@example.com"))
    forgotten = PASSWORD + "-new"
    page.get_by_label("New password", exact=True).fill(forgotten)
    page.get_by_label("New password again").fill(forgotten)
    page.get_by_role("button", name="Set my new password").click()
    page.get_by_text("Set my new password").wait_for(state="detached")
    web.shoot("player-password-reset")

    # Signed in with the new password: no ballot yet, then two, and the share of the day.
    web.goto("/")
    page.locator(".today").get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("player")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert page.locator(".error-box").first.is_visible()  # the old password is refused
    page.get_by_label("Password").fill(forgotten)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/play")
    web.goto("/")
    assert "You have no ballot for today yet." in page.locator(".today").inner_text()
    page.get_by_role("link", name="Submit ballots for today").click()
    page.wait_for_url(f"**/play?date={today}")
    page.get_by_label("How many ballots").fill("2")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"**/my/ballots?date={today}")
    web.goto(f"/play?date={tomorrow}")
    page.get_by_label("How many ballots").fill("1")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"**/my/ballots?date={tomorrow}")
    web.goto("/")
    assert "You hold 2 of 2" in page.locator(".today").inner_text()
    assert "every ballot so far is yours" in page.locator(".today").inner_text()
    row = page.locator(f'.next-days li[data-date="{tomorrow}"]')
    assert "you hold 1" in row.inner_text()
    web.shoot("player-home-playing")

    # Midnight: the day closes and the player's ballot (the day's only two) wins.
    midnight = datetime.combine(tomorrow, datetime.min.time(), tzinfo=UTC)
    clock.move_to(midnight + timedelta(seconds=5))
    draw = lottery_draw(lottery_date=today)
    winner = str(draw.winning_ballot_id)
    assert Ballot.objects.filter(pk=winner, user__username="player").exists()

    web.goto("/")
    win = page.locator(".win")
    assert f"You won the lottery of {today:%a %-d %b %Y}" in win.inner_text()
    web.shoot("player-home-won")

    # The win's link: the result, the winning ballot checked at once, green at the default
    # floor with the demo caveat.
    win.get_by_role("link", name="See your win and check it").click()
    page.wait_for_url(f"**/results/{today}?ballot={winner}")
    assert page.locator(".win h2").inner_text() == "Your ballot won"
    assert page.get_by_label("Lowest delay to accept").input_value() == "2^27"
    linked = page.locator("section.verifier").filter(has=page.locator("form.check-ballot"))
    assert wait_done(linked) == "pass", checks_of(linked)
    assert ("info", DEMO_CAVEAT) in [c[:2] for c in checks_of(linked)]
    summary = page.locator("dl.summary").inner_text()
    assert draw.closed_at is not None
    assert draw.drawn_at is not None
    assert f"{draw.closed_at:%a %-d %b %Y, %H:%M:%S} UTC" in summary
    assert f"{draw.drawn_at:%a %-d %b %Y, %H:%M:%S} UTC" in summary
    assert "(your time: " in summary
    assert page.locator(".own-list li").count() == 2
    assert sorted(page.locator(".own-list .status").all_inner_texts()) == ["Lost", "Won"]
    assert not page.locator("details.published").get_attribute("open")
    outcome, checks = verify_day(page)
    assert outcome == "pass", checks
    assert ("info", DEMO_CAVEAT) in [c[:2] for c in checks]
    assert page.locator(".outcome.pass").first.is_visible()
    web.shoot("player-result-won")

    # The winner's own ballot page checks itself as it opens: green, with the caveat.
    web.goto(f"/my/ballots/{winner}")
    proof = page.locator("section.verifier")
    assert wait_done(proof) == "pass", checks_of(proof)
    assert ("info", DEMO_CAVEAT) in [c[:2] for c in checks_of(proof)]
    web.shoot("player-ballot-won")

    web.goto("/results")
    assert "Yours: you won" in page.locator("tr.yours").inner_text()
    web.shoot("player-results")

    page.get_by_role("link", name="How it works").click()
    page.wait_for_url("**/how-it-works")
    assert page.title() == "How the draw works · Daily Lottery"
    web.shoot("how-it-works")
    page.locator("details.published summary").click()
    assert page.locator("details.published dl").first.is_visible()
    web.shoot("how-it-works-auditors")

    # Someone else sees who won, and nothing of the player's.
    other = Watched(browser, live_server.url)
    other.goto(f"/results/{today}")
    assert other.page.locator(".win").count() == 0
    assert other.page.locator("#own-heading").count() == 0
    assert winner in other.page.locator("dl.summary").inner_text()
    other.shoot("result-anonymous")

    for watched in (web, other):
        assert watched.console_errors == []
        assert watched.left_origin == []
        watched.close()
