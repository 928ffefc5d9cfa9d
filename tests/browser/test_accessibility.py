"""axe-core on every page and state, and a keyboard-only walk, in Debian's chromium.

axe-core comes from npm, pinned in tests/browser/package-lock.json (`npm ci --prefix
tests/browser`, which .ci/run does); without it, or without chromium, these tests skip.
Each page is checked in the states a person meets: empty and with errors, after a flash
message, ballots pending, won and lost, a result before and after Verify, and the error
pages. A serious or critical violation fails; every check is printed with what it found.
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.urls import URLPattern

from accounts.models import User
from ballots.models import Ballot
from draws.services import lottery_draw
from pages.urls import urlpatterns
from tests.browser.chromium import FOCUS_RING, Watched, chromium, needs_chromium
from tests.browser.verifier import check_ballot, verify_day, wait_done
from tests.conftest import PASSWORD

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
# Test days publish a delay of 2^8 squarings (tests/conftest.py), below the pages' floor.
FLOOR = "2^8"

pytestmark = [
    *needs_chromium,
    pytest.mark.skipif(not AXE.exists(), reason="needs axe-core: npm ci --prefix tests/browser"),
    pytest.mark.django_db(transaction=True),
]

# Runs in the page: every rule axe-core enables by default (WCAG 2.0-2.2 A and AA, and its
# best practices), violations only.
AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}"""
# What axe-core lets pass: an aria-describedby naming ids of which only some exist (the
# forms' fields named id_*_helptext and id_*_error while the template made other ids).
DANGLING_REFERENCES = """() => {
  const found = [];
  for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
    for (const name of ["aria-describedby", "aria-labelledby"]) {
      for (const id of (el.getAttribute(name) || "").split(" ").filter(Boolean)) {
        if (!document.getElementById(id)) found.push(`#${el.id || el.tagName} ${name}=${id}`);
      }
    }
  }
  return found;
}"""


@pytest.fixture
def browser(monkeypatch) -> Iterator[Any]:
    # Playwright's sync API keeps an event loop in this thread; the test's ORM calls are
    # plain synchronous ones between its steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with chromium() as browser:
        yield browser


@pytest.fixture
def clock() -> Iterator[Any]:
    """Noon UTC of today, ticking: the day is open for hours whatever time the test runs."""
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(noon, tick=True) as traveller:
        yield traveller


class Audit:
    """axe-core in the page of a Watched browser; what each check found, kept for the end."""

    def __init__(self, web: Watched) -> None:
        self.web = web
        self.source = AXE.read_text()
        self.found: list[tuple[str, str, list[dict[str, Any]]]] = []

    def check(self, name: str) -> None:
        page = self.web.page
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated by the DevTools protocol, which the pages' CSP does not govern (a
            # <script> tag would be refused: script-src 'self').
            page.evaluate(self.source)
        violations = page.evaluate(AXE_RUN)
        dangling = page.evaluate(DANGLING_REFERENCES)
        if dangling:
            violations.append(
                {
                    "id": "aria-reference-exists",
                    "impact": "serious",
                    "help": "ARIA references must name elements of the page",
                    "nodes": dangling,
                }
            )
        path = page.url.removeprefix(self.web.origin)
        self.found.append((name, path, violations))
        summary = ", ".join(f"{v['id']} ({v['impact']})" for v in violations) or "none"
        print(f"axe {name:<34} {path:<48} violations: {summary}")

    def failures(self) -> list[str]:
        return [
            f"{name} ({path}): {v['id']} [{v['impact']}] {v['help']} at {v['nodes']}"
            for name, path, violations in self.found
            for v in violations
            if v["impact"] in FAILING_IMPACTS
        ]


def simple_page_paths() -> list[str]:
    """Every page of pages.urls that takes no argument and answers GET (new pages too: an
    account or password-reset page is checked as soon as it exists)."""
    paths = []
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        if "<" not in route and pattern.name not in ("logout", "verifier"):
            paths.append("/" + route)
    return paths


def test_axe_finds_no_serious_violation_on_any_page_or_state(live_server, browser, clock, settings):
    started = time.monotonic()
    today = datetime.now(UTC).date()
    tomorrow = today + timedelta(days=1)
    web = Watched(browser, live_server.url)
    page = web.page
    audit = Audit(web)

    # Signed out: every simple page, the forms with their errors, the error pages.
    for path in simple_page_paths():
        response = web.goto(path)
        if response is not None and response.status == 404:
            print(f"axe skipped {path}: 404")
            continue
        audit.check(f"{path} (signed out)")
    web.goto("/register")
    page.get_by_label("Username").fill("has space")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password again").fill("other")
    page.get_by_role("button", name="Create my account").click()
    page.locator(".error-box").wait_for()
    audit.check("register, with errors")
    web.goto("/login")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    page.locator(".error-box").wait_for()
    audit.check("login, with errors")
    assert web.goto("/my/ballots/not-a-uuid").status == 404
    audit.check("404, a malformed ballot address")
    web.shoot("error-404")
    assert web.goto("/resultz").status == 404
    audit.check("404, a mistyped address")
    assert web.goto(f"/results/{tomorrow}").status == 404
    audit.check("404, a day not drawn")
    web.goto("/login")
    web.context.clear_cookies()  # the form's CSRF cookie is gone: the form is refused
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    assert page.title() == "This form could not be sent · Daily Lottery"
    audit.check("403, CSRF failure")
    web.shoot("error-403-csrf")
    settings.AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE = 1
    for _ in range(2):
        web.goto("/admin/login/")
        page.locator("#id_username").fill("nobody")
        page.locator("#id_password").fill("wrong")
        page.locator("#login-form [type=submit]").click()
        page.wait_for_load_state("load")
    assert page.title() == "Too many attempts · Daily Lottery"
    audit.check("429, the admin's login")
    web.shoot("error-429")
    web.goto("/login")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    page.locator(".error-box").wait_for()
    audit.check("429, the login form")
    settings.AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE = 10
    with mock.patch.object(CursorWrapper, "execute", side_effect=OperationalError("down")):
        assert web.goto("/results").status == 503
    audit.check("503, the database down")
    web.shoot("error-503")
    with mock.patch("pages.views.draw_selectors.draw_list", side_effect=RuntimeError("boom")):
        assert web.goto("/results").status == 500
    audit.check("500, an unexpected error")
    web.shoot("error-500")

    # Register, play: a flash message, a form with errors, ballots pending.
    web.goto("/register")
    page.get_by_label("Username").fill("walker")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/play")
    audit.check("play, after a flash (welcome)")
    page.get_by_label("How many ballots").fill("0")
    page.get_by_role("button", name="Submit").click()
    page.locator(".error-box").wait_for()
    audit.check("play, with errors")
    page.get_by_label("Lottery day").select_option(today.isoformat())
    page.get_by_label("How many ballots").fill("2")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"**/my/ballots?date={today}")
    audit.check("my ballots, pending, after a flash")
    web.goto("/play")
    page.get_by_label("Lottery day").select_option(tomorrow.isoformat())
    page.get_by_label("How many ballots").fill("1")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"**/my/ballots?date={tomorrow}")

    # Today is drawn: one of walker's two ballots won, the other lost; tomorrow's pends.
    clock.move_to(datetime.combine(tomorrow, datetime.min.time(), tzinfo=UTC) + timedelta(hours=1))
    draw = lottery_draw(lottery_date=today)
    web.goto("/my/ballots")
    assert sorted(page.locator("tbody .status").all_inner_texts()) == ["Lost", "Pending", "Won"]
    audit.check("my ballots, won, lost and pending")
    for path in simple_page_paths():
        response = web.goto(path)
        if response is not None and response.status == 404:
            continue
        audit.check(f"{path} (signed in)")

    # A ballot's page checks its proof by itself: failed at the default floor, then passed.
    winner = str(draw.winning_ballot_id)
    loser = str(Ballot.objects.filter(lottery__date=today).exclude(pk=winner).get().pk)
    web.goto(f"/my/ballots/{winner}")
    proof = page.locator("section.verifier")
    wait_done(proof)
    audit.check("a won ballot, its check done")
    floor = page.get_by_label("Lowest delay to accept")
    if floor.count():
        floor.fill(FLOOR)
        page.get_by_role("button", name="Check again").click()
        assert wait_done(proof) == "pass"
        audit.check("a won ballot, its check passed")
    web.goto(f"/my/ballots/{loser}")
    wait_done(proof)
    audit.check("a lost ballot, its check done")
    web.goto(f"/my/ballots/{Ballot.objects.get(lottery__date=tomorrow).pk}")
    audit.check("a pending ballot")

    # A result: before Verify, after it, and after checking a ballot.
    web.goto(f"/results/{today}")
    audit.check("a result, before verify")
    outcome, checks = verify_day(page, min_delay=FLOOR)
    assert outcome == "pass", checks
    audit.check("a result, verify done")
    outcome, checks = check_ballot(page, loser, min_delay=FLOOR)
    assert outcome == "pass", checks
    audit.check("a result, a ballot checked")
    published = page.locator("details summary")
    if published.count():
        published.first.click()
        audit.check("a result, its details open")

    web.close()
    print(
        f"axe-core {AXE.parent.name}: {len(audit.found)} pages and states checked in "
        f"{time.monotonic() - started:.1f} s; failing impacts: {', '.join(FAILING_IMPACTS)}"
    )
    assert audit.failures() == []


# --- The keyboard alone -------------------------------------------------------------------


def focused(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
        )
    )


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the focus is on ``selector`` (in the page's own tab order), whose
    focus ring must show."""
    for _ in range(limit):
        if focused(page, selector):
            assert page.evaluate(FOCUS_RING) == "", selector
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_register_play_and_verify_with_the_keyboard_alone(live_server, browser, clock):
    today = datetime.now(UTC).date()
    web = Watched(browser, live_server.url)
    page = web.page
    keys = page.keyboard

    web.goto("/register")
    tab_to(page, "#id_username")
    keys.type("keys")
    tab_to(page, "#id_password1")
    keys.type(PASSWORD)
    tab_to(page, "#id_password2")
    keys.type(PASSWORD)
    tab_to(page, "main form [type=submit]")
    keys.press("Enter")
    page.wait_for_url("**/play")
    assert User.objects.filter(username="keys").exists()

    tab_to(page, "#id_date")  # today is the first day offered
    tab_to(page, "#id_count")  # Tab selects the field's text: typing replaces it
    keys.type("3")
    assert page.locator("#id_count").input_value() == "3"
    tab_to(page, "main form [type=submit]")
    keys.press("Space")
    page.wait_for_url(f"**/my/ballots?date={today}")
    assert Ballot.objects.filter(user__username="keys", lottery__date=today).count() == 3

    clock.move_to(datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(days=1))
    lottery_draw(lottery_date=today)
    web.goto(f"/results/{today}")
    if page.locator("#min-delay").count():
        tab_to(page, "#min-delay")
        keys.type(FLOOR)
    tab_to(page, "[data-action=verify-day]")
    keys.press("Enter")
    section = page.locator("section.verifier").filter(has=page.locator("[data-action=verify-day]"))
    assert wait_done(section) == "pass"
    web.close()
    print("keyboard walk: registered, played 3 ballots and verified the draw with Tab/Enter/Space")
