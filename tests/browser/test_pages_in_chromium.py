"""A person's path through the pages, in a real browser (Debian's chromium, Playwright).

Open /, register, log in, submit two ballots for today and one for tomorrow, see them
pending; once today is drawn, see one won or lost, open the result, verify the draw in the
browser, check one's own ballot and another day's; then the same day with its published
data altered fails, with its reason. On every page: no console error, no request leaving
the origin; screenshots at 375 px and 1,280 px (SCREENSHOT_DIR).
"""

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from accounts.models import User
from ballots.models import Ballot
from draws.models import Draw
from draws.services import lottery_draw
from tests.browser.chromium import Watched, chromium, needs_chromium
from tests.browser.verifier import check_ballot, checks_of, verify_day
from tests.conftest import PASSWORD, forget_rendered_results

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]

# The proof of a ballot that is not in the day answers 404, which Chromium logs as a failed
# load; that answer is the check's reason, shown on the page.
# Test days publish a delay of 2^8 squarings (tests/conftest.py); the pages' floor, like
# verify_draw.py's, is 2^27 unless lowered ("Lowest delay to accept", kept in the browser).
FLOOR = "2^8"
PROOF_NOT_FOUND = r"status of 404 .*/draws/[0-9-]+/ballots/[0-9a-f-]+/proof\)$"
# Likewise the page of a day not drawn yet, which the test opens on purpose.
NOT_DRAWN_PAGE = r"status of 404 .*/results/[0-9-]+\)$"


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread (in a greenlet); the test's
    # own ORM calls are plain synchronous ones between its steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with chromium() as browser:
        yield browser


@pytest.fixture
def clock():
    """Noon UTC of today, ticking: the day is open for hours whatever time the test runs."""
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(noon, tick=True) as traveller:
        yield traveller


def test_a_person_plays_and_verifies_a_draw_in_the_browser(live_server, browser, clock):
    started = time.monotonic()
    today = datetime.now(UTC).date()
    tomorrow = today + timedelta(days=1)
    web = Watched(browser, live_server.url)
    page = web.page

    web.goto("/")
    assert page.title() == "Today's lotteries · Daily Lottery"
    assert page.locator(".open-day").count() == 7
    web.shoot("home")

    # Register: a mistake first, shown next to its field, and nothing created.
    page.get_by_role("link", name="Register").first.click()
    page.wait_for_url("**/register")  # a click starts the navigation; the title comes after
    assert page.title() == "Register · Daily Lottery"
    page.get_by_label("Username").fill("walker")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD + "x")
    page.get_by_role("button", name="Create my account").click()
    assert page.locator("#id_password2_error").inner_text() == "The two passwords differ."
    assert not User.objects.filter(username="walker").exists()
    web.shoot("register-error")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/play")
    assert "Welcome, walker" in page.locator(".messages").inner_text()

    # Log out; a participant page sends the logged-out person to log in, and back.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url + "/")
    web.goto("/my/ballots")
    page.wait_for_url("**/login?next=/my/ballots")
    web.shoot("login")
    page.get_by_label("Username").fill("WALKER")  # usernames are not case-sensitive
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/my/ballots")

    # Two ballots for today, one for tomorrow.
    page.get_by_role("link", name="Play").click()
    page.wait_for_url("**/play")
    assert page.title() == "Submit ballots · Daily Lottery"
    page.get_by_label("Lottery day").select_option(today.isoformat())
    page.get_by_label("How many ballots").fill("0")
    page.get_by_role("button", name="Submit").click()
    assert page.locator("#id_count_error").inner_text() == "count must be between 1 and 100."
    assert Ballot.objects.count() == 0
    web.shoot("play-error")
    page.get_by_label("How many ballots").fill("2")
    web.shoot("play")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"**/my/ballots?date={today}")
    assert "2 ballots submitted" in page.locator(".messages").inner_text()
    page.get_by_role("link", name="Play").click()
    page.get_by_label("Lottery day").select_option(tomorrow.isoformat())
    page.get_by_label("How many ballots").fill("1")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"**/my/ballots?date={tomorrow}")
    page.get_by_role("link", name="Show all").click()
    statuses = page.locator("tbody .status").all_inner_texts()
    assert statuses == ["Pending", "Pending", "Pending"]
    web.shoot("my-ballots-pending")

    # The day closes and is drawn.
    clock.move_to(datetime.combine(tomorrow, datetime.min.time(), tzinfo=UTC) + timedelta(hours=1))
    draw = lottery_draw(lottery_date=today)
    assert draw.ballot_count == 2
    page.reload()
    rows = {
        row.locator("code").inner_text(): row.locator(".status").inner_text()
        for row in page.locator("tbody tr").all()
    }
    own_today = [
        str(i) for i in Ballot.objects.filter(lottery__date=today).values_list("id", flat=True)
    ]
    own_tomorrow = str(Ballot.objects.get(lottery__date=tomorrow).id)
    assert sorted(rows[i] for i in own_today) == ["Lost", "Won"]
    assert rows[own_tomorrow] == "Pending"
    web.shoot("my-ballots-drawn")

    web.goto("/results")
    assert page.title() == "Results · Daily Lottery"
    web.shoot("results")
    web.goto(f"/results/{tomorrow}")
    assert page.title() == "Not found · Daily Lottery"
    assert f"The lottery of {tomorrow} has not been drawn." in page.locator("main").inner_text()
    web.shoot("not-found")
    web.goto("/my/ballots")

    # Filter by day and status.
    page.get_by_label("Status").select_option("won")
    page.get_by_role("button", name="Show").click()
    assert page.locator("tbody .status").all_inner_texts() == ["Won"]

    # A ballot's page checks its inclusion proof by itself.
    # At the default floor the test day's short delay fails, and the page says how to accept it.
    web.goto(f"/my/ballots/{own_today[0]}")
    proof = page.locator("section.verifier")
    proof.locator(".outcome[data-outcome]").wait_for()
    assert proof.locator(".outcome").get_attribute("data-outcome") == "fail"
    delay = proof.locator(".checks li.fail").first
    assert delay.locator(".name").inner_text() == "the delay is at least 2^27 squarings"
    assert 'Lower "Lowest delay to accept" to 2^8' in delay.locator(".reason").inner_text()
    page.get_by_label("Lowest delay to accept").fill(FLOOR)
    page.get_by_role("button", name="Check again").click()
    proof.locator(".outcome[data-outcome]").wait_for()
    assert proof.locator(".outcome").get_attribute("data-outcome") == "pass"
    web.shoot("ballot")

    # The result, verified in the browser.
    page.get_by_role("link", name=f"The result of {today:%-d %b %Y}").click()
    page.wait_for_url(f"**/results/{today}")
    assert page.title() == f"Result of {today:%-d %b %Y} · Daily Lottery"
    outcome, checks = verify_day(page, min_delay=FLOOR)
    assert outcome == "pass", checks
    # Notes, and the one check no witness could make here (none is configured): skipped.
    assert all(kind == "pass" for kind, _, _ in checks if kind not in ("info", "skip")), checks
    assert [name for kind, name, _ in checks if kind == "skip"] == ["the witnesses' times"]
    names = [name for _, name, _ in checks]
    for expected in (
        "the Merkle root",
        "the ballot count",
        "the winning index",
        "the winning ballot",
        "the policy is in the public record",
        "the published draw is the record's",
    ):
        assert expected in names
    web.shoot("result-verified")

    outcome, checks = check_ballot(page, own_today[1], min_delay=FLOOR)
    assert outcome == "pass", checks
    assert ("pass", "the winning ballot sits at the winning index") in [c[:2] for c in checks]
    # What the check read, as one file to keep (a proof bundle, checked offline elsewhere).
    with page.expect_download() as download:
        page.get_by_role("button", name="Save proof bundle").click()
    bundle = json.loads(Path(download.value.path()).read_text())
    assert bundle["bundle"] == "lottery-ballot-bundle/v1"
    assert [b["ballot_id"] for b in bundle["ballots"]] == [own_today[1]]
    assert bundle["winner"]["ballot_id"] == str(draw.winning_ballot_id)
    outcome, checks = check_ballot(page, own_tomorrow, min_delay=FLOOR)
    assert outcome == "fail"
    failed = [(name, reason) for kind, name, reason in checks if kind == "fail"]
    assert failed[0][0] == f"ballot {own_tomorrow} is in the draw"
    assert f"is not among the ballots drawn on {today}" in failed[0][1]
    web.shoot("result-ballot-not-in-day")

    # The winner's email links to the result with ?ballot=: that ballot is checked at once,
    # against the floor the person typed above (kept in this browser). A floor in the link is
    # not read: a link's author cannot choose what the page accepts.
    web.goto(f"/results/{today}?ballot={draw.winning_ballot_id}&min-delay=2^1")
    assert page.get_by_label("Lowest delay to accept").input_value() == FLOOR
    linked = page.locator("section.verifier").filter(has=page.locator("form.check-ballot"))
    linked.locator(".outcome[data-outcome]").wait_for()
    assert linked.locator(".outcome").get_attribute("data-outcome") == "pass"
    shown = [(c[0], c[1]) for c in checks_of(linked)]
    assert ("pass", "the winning ballot sits at the winning index") in shown, shown
    assert ("pass", "the delay is at least 2^8 squarings") in shown, shown

    # The same day, its published data altered: the check fails and says why.
    loser = next(i for i in own_today if i != str(draw.winning_ballot_id))
    Ballot.objects.filter(pk=loser).update(id="00000000-0000-4000-8000-000000000000")
    forget_rendered_results()
    page.reload()
    outcome, checks = verify_day(page, min_delay=FLOOR)
    assert outcome == "fail"
    reasons = {name: reason for kind, name, reason in checks if kind == "fail"}
    assert "the Merkle root" in reasons, checks
    assert reasons["the Merkle root"].startswith("recomputed ")
    web.shoot("result-altered")
    assert Draw.objects.filter(lottery__date=today).count() == 1

    assert web.console_errors_except(PROOF_NOT_FOUND, NOT_DRAWN_PAGE) == []
    assert web.left_origin == []
    web.close()
    print(f"browser walk: register to verified draw in {time.monotonic() - started:.1f} s")
