"""The standalone verifier (scripts/build_verifier.py), opened from disk in Chromium.

It is built from the same verify.js the lottery's pages run, and reads nothing but the
address typed into it, with the log key typed into it. An honest day passes it against a
live server; then each finding of issue 23, replayed through the test's rewriting proxy,
ends red on it and fails scripts/verify_draw.py, within the deadline:

- a served verify.js whose checks always pass (the standalone page never loads it);
- the winner's "Check my ballot" with the winner's proof at another index;
- a body sent one byte a second (the per-request deadline counts the body), and Stop;
- the disagreements: closes_at "whenever" without a beacon, a height of 2^60 + 1 or -0,
  UTF-16 JSON, more than 64 MB after decompression; gzip answers pass both.

A receipt whose ballot the close left out yields a proof of omission: the page saves its
bundle, and the bundle fails offline on the page and in verify_draw.py --bundle alike.
"""

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from datetime import time as day_time
from pathlib import Path
from typing import Any

import pytest

from ballots.models import Ballot
from draws.models import Draw
from record import tree
from record.keys import log_signer
from record.models import Entry
from record.notes import checkpoint_body
from record.receipts import receipt_sign
from scripts.build_verifier import build
from tests.browser.chromium import Watched, chromium, needs_chromium
from tests.browser.rewriting_proxy import (
    Rewrite,
    RewritingProxy,
    body_rewrite,
    json_rewrite,
    text_rewrite,
)
from tests.browser.test_verifier_agreement import FLOOR, VERIFIER, cli, draw_days
from tests.browser.verifier import set_limits, standalone_bundle, standalone_check

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls are ours.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    with chromium() as browser:
        yield browser
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(autouse=True)
def unlimited_reads(settings):
    # Many runs read the same pages and proofs within a minute, from one address.
    settings.PUBLIC_READ_RATE_LIMIT_PER_MINUTE = 1_000_000


@pytest.fixture
def proxy(live_server):
    with RewritingProxy(live_server.url) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def standalone(tmp_path_factory) -> str:
    """The built file, on disk, as a person keeps it: its file:// address."""
    path = tmp_path_factory.mktemp("kept") / "lottery-verifier.html"
    path.write_bytes(build())
    return path.as_uri()


def log_key() -> str:
    return log_signer().verifier.vkey


class Opened:
    """The standalone file in a fresh browser context: every request it makes is recorded."""

    def __init__(self, browser: Any, url: str) -> None:
        self.web = Watched(browser, "file://")
        self.page = self.web.page
        self.page.goto(url)

    def asked(self) -> list[str]:
        return [url for url in self.web.left_origin if not url.startswith("file://")]

    def close(self) -> None:
        assert self.web.console_errors_except(r"status of (404|429)") == []
        self.web.close()


@pytest.fixture
def opened(browser, standalone):
    pages: list[Opened] = []

    def open_() -> Opened:
        pages.append(Opened(browser, standalone))
        return pages[-1]

    yield open_
    for page in pages:
        page.close()


def failed(checks: list[tuple[str, str, str]]) -> dict[str, str]:
    return {name: why for kind, name, why in checks if kind == "fail"}


def script(*args: str, timeout: float = 120) -> tuple[int, str]:
    """verify_draw.py with these arguments: its exit code and its output."""
    result = subprocess.run(  # noqa: S603 - our own script, no shell
        [sys.executable, "-I", "-S", str(VERIFIER), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "unrecognized arguments" not in result.stderr, result.stderr
    return result.returncode, result.stdout + result.stderr


def ids_of(day: date) -> list[str]:
    return sorted(
        str(i) for i in Ballot.objects.filter(lottery__date=day).values_list("id", flat=True)
    )


def receipt_of(day: date, *ids: str) -> str:
    """The lottery's receipt for these ballots, accepted at noon of their day."""
    at = datetime.combine(day, day_time(12), tzinfo=UTC)
    return receipt_sign(lottery_date=day, accepted_at=at, ballot_ids=[uuid.UUID(i) for i in ids])


def save_bundle(page: Any, to: Path) -> Path:
    with page.expect_download() as download:
        page.get_by_role("button", name="Save proof bundle").click()
    download.value.save_as(to)
    return to


def test_the_standalone_file_checks_an_honest_day_from_disk(opened, live_server, user, tmp_path):
    first, day = draw_days(user, [0, 1025])
    kept = opened()
    page = kept.page
    assert page.title() == "Lottery verifier"
    # Nothing is read until an address is typed, and only the lottery's then.
    assert kept.asked() == []
    for checked in (first, day):
        outcome, checks = standalone_check(page, live_server.url, checked, log_key())
        assert outcome == "pass", checks
        shown = [c[:2] for c in checks]
        for name in (
            "the record's checkpoint is signed by the lottery's key",
            "the record's entries lead to its checkpoint",
            "the published draw is the record's",
            "the record hash",
        ):
            assert ("pass", name) in shown, checks
        assert ("info", "pinned by you") in shown, checks
        assert ("info", "the lottery's key", log_key()) in checks
    kept.web.shoot("standalone-verified")
    asked = kept.asked()
    assert asked
    assert all(url.startswith(live_server.url + "/") for url in asked), asked
    assert not [url for url in asked if "/log/key" in url or "/log/witnesses" in url], asked
    assert not [url for url in asked if "verify.js" in url], asked

    # Check my ballot, from a receipt: in the witnessed close, the winner at its index.
    ids = ids_of(day)
    receipt = receipt_of(day, ids[7], ids[8])
    outcome, checks = standalone_check(page, live_server.url, day, log_key(), receipt=receipt)
    assert outcome == "pass", checks
    shown = [c[:2] for c in checks]
    for name in (
        "the receipt is signed by the lottery's key",
        "the receipt names the day's policy",
        "the ballots were accepted while the day was open",
        f"ballot {ids[7]} is in the draw",
        f"ballot {ids[8]} is in the draw",
        "the winning ballot sits at the winning index",
    ):
        assert ("pass", name) in shown, checks
    bundle = save_bundle(page, tmp_path / "bundle.json")
    saved = json.loads(bundle.read_text())
    assert saved["bundle"] == "lottery-ballot-bundle/v1"
    assert [b["ballot_id"] for b in saved["ballots"]] == [ids[7], ids[8]]
    kept.web.shoot("standalone-receipt")

    # The bundle, offline: on the page (no request at all), and in verify_draw.py.
    before = len(kept.asked())
    outcome, checks = standalone_bundle(page, bundle, log_key())
    assert outcome == "pass", checks
    assert len(kept.asked()) == before
    code, output = script("--bundle", str(bundle), "--log-key", log_key(), "--min-delay", FLOOR)
    assert code == 0, output

    # Kept for this address: typed again later, its key and floor come back, and say so.
    again = opened()
    again.page.get_by_label("The lottery's address").fill(live_server.url)
    assert again.page.get_by_label("The lottery's log key").input_value() == ""  # new context
    page.reload()
    page.get_by_label("The lottery's address").fill(live_server.url + "/")
    assert page.get_by_label("The lottery's log key").input_value() == log_key()
    assert page.get_by_label("Lowest delay to accept").input_value() == FLOOR
    assert "Kept in this browser for" in page.locator("#kept").inner_text()


def test_a_receipted_ballot_left_out_of_the_close_is_proven_absent(
    opened, live_server, user, tmp_path
):
    (day,) = draw_days(user, [40])
    # The lottery accepted it (its receipt) and then left it out of the close.
    dropped = str(uuid.uuid4())
    receipt = receipt_of(day, dropped)
    page = opened().page
    outcome, checks = standalone_check(page, live_server.url, day, log_key(), receipt=receipt)
    assert outcome == "fail", checks
    assert list(failed(checks)) == [f"ballot {dropped} is in the draw"], checks
    reason = failed(checks)[f"ballot {dropped} is in the draw"]
    assert "proof of omission" in reason, reason
    assert "signed a receipt" in reason, reason
    bundle = save_bundle(page, tmp_path / "omission.json")
    absent = json.loads(bundle.read_text())["ballots"][0]["absent"]
    assert absent["left"] or absent["right"]

    outcome, checks = standalone_bundle(page, bundle, log_key())
    assert outcome == "fail", checks
    assert "proof of omission" in failed(checks)[f"ballot {dropped} is in the draw"], checks
    code, output = script("--bundle", str(bundle), "--log-key", log_key(), "--min-delay", FLOOR)
    assert code == 1, output
    receipt_file = tmp_path / "receipt.txt"
    receipt_file.write_text(receipt)
    saved = ("--save-bundle", str(tmp_path / "by-the-script.json"))  # not in the checkout
    receipt_args = ("--receipt", str(receipt_file), "--log-key", log_key(), *saved)
    assert cli(live_server.url, day, *receipt_args) == "fail"
    assert (tmp_path / "by-the-script.json").exists()


# --- Issue 23's findings, replayed ------------------------------------------------------------


def _draw_of(day: date):
    return lambda path: path.split("?")[0] == f"/draws/{day}"


ALWAYS_PASSES = b"""document.addEventListener("DOMContentLoaded", () => {
  for (const section of document.querySelectorAll(".verifier")) {
    for (const button of section.querySelectorAll("button")) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        const outcome = section.querySelector(".outcome");
        outcome.textContent = "All 10 checks passed (0.1 s).";
        outcome.dataset.outcome = "pass";
      });
    }
  }
});
"""


def _served_script_always_passes(path: str, status: int, body: bytes) -> tuple[int, bytes]:
    return (200, ALWAYS_PASSES) if "/static/" in path and "verify" in path else (status, body)


def _record_with(proxy: RewritingProxy, replaced: dict[int, str]) -> Rewrite:
    """The public record with entries replaced and its checkpoint signed again by the
    lottery's own key: what the lottery itself can serve."""
    page = json.loads(_fetch(proxy, "/log/entries?start=0&limit=1000"))
    entries = [replaced.get(i, entry) for i, entry in enumerate(page["entries"])]
    signer = log_signer()
    root = tree.root_of([tree.leaf_hash(entry.encode()) for entry in entries])
    note = signer.sign(checkpoint_body(signer.name, len(entries), root))

    def rewrite(path: str, status: int, body: bytes) -> tuple[int, bytes]:
        route = path.partition("?")[0]
        if route == "/log/checkpoint":
            return 200, note.encode()
        if route == "/log/entries":
            start = int(path.partition("start=")[2].partition("&")[0] or 0)
            more = None
            return 200, json.dumps(
                {"start": start, "entries": entries[start:], "next_start": more}
            ).encode()
        return status, body

    return rewrite


def _fetch(proxy: RewritingProxy, path: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(proxy.upstream + path, timeout=30) as answer:  # noqa: S310 - the live server
        return answer.read()


def both(proxy, page, day, *, expected: str = "fail", ballot: str | None = None, script_args=()):
    """The standalone page and verify_draw.py, each through the proxy with the key pinned."""
    args = ("--ballot", ballot) if ballot else ()
    by_script = cli(proxy.url, day, *args, "--log-key", log_key(), *script_args)
    by_page, checks = standalone_check(page, proxy.url, day, log_key(), ballot=ballot)
    assert (by_page, by_script) == (expected, expected), checks
    return checks


def test_the_findings_of_issue_23_fail_the_standalone_page_and_the_script(
    opened, proxy, user, browser
):
    first, day = draw_days(user, [3, 12])
    draw = Draw.objects.get(lottery__date=day)
    ids = ids_of(day)
    winner, index = str(draw.winning_ballot_id), int(draw.winning_index or 0)
    kept = opened()
    page = kept.page

    # A served verify.js whose checks always pass: the lottery's result page says "passed"
    # for a rewritten draw; the standalone page never loads that script, and fails it.
    altered = json_rewrite(_draw_of(day), lambda body: {**body, "winning_index": (index + 1) % 12})
    proxy.rewrite = lambda path, status, body: altered(
        path, *_served_script_always_passes(path, status, body)
    )
    served = Watched(browser, proxy.url)
    try:
        served.goto(f"/results/{day}")
        served.page.get_by_role("button", name="Verify this draw").click()
        outcome = served.page.locator(".outcome[data-outcome]").first
        assert outcome.get_attribute("data-outcome") == "pass"  # the lottery's own code
    finally:
        served.close()
    proxy.requests.clear()
    both(proxy, page, day)
    assert not [p for p in proxy.requests if "verify" in p and p.endswith(".js")], proxy.requests

    # "Check my ballot" by the ballot named as winner, whose own proof puts it at another
    # index: the record's draw entry names the ballot at index + 1, signed again.
    other = ids[(index + 1) % 12]
    entry = Entry.objects.get(kind=Entry.Kind.DRAW, date=day)
    forged = entry.text.replace(f"winning_ballot_id {winner}\n", f"winning_ballot_id {other}\n")
    assert forged != entry.text
    record = _record_with(proxy, {entry.index: forged})
    named = json_rewrite(
        _draw_of(day),
        lambda body: {
            **body,
            "winning_ballot_id": other,
            "record_hash": hashlib.sha256(forged.encode()).hexdigest(),
        },
    )
    proxy.rewrite = lambda path, status, body: named(path, *record(path, status, body))
    # This browser saw the record before: signed again or not, a rewritten one fails here.
    checks = both(proxy, page, day, ballot=other)
    assert failed(checks)["the check could not go on"] == "the public record was rewritten"
    # A browser that never saw it: the winner's own proof is checked at the winning index.
    checks = both(proxy, opened().page, day, ballot=other)
    assert ("pass", f"ballot {other} is in the draw") in [c[:2] for c in checks], checks
    reason = failed(checks)["the winning ballot sits at the winning index"]
    assert f"at index {(index + 1) % 12}, not at the winning index {index}" in reason, checks
    # ... and the winner itself, its proof served at another index.
    moved = json_rewrite(
        lambda path: path.startswith(f"/draws/{day}/ballots/{winner}/proof"),
        lambda body: {**body, "leaf_index": body["leaf_index"] ^ 1},
    )
    proxy.rewrite = moved
    checks = both(proxy, page, day, ballot=winner)
    assert "the winning ballot sits at the winning index" in failed(checks), checks

    # The disagreements, settled one way (docs/draw-rules.md, 7).
    height = int(draw.height or 0)
    cases: dict[str, tuple[date, Rewrite, str]] = {
        'closes_at "whenever", no beacon': (
            day,
            json_rewrite(_draw_of(day), lambda body: {**body, "closes_at": "whenever"}),
            "closes_at",
        ),
        "a height of 2^60 + 1": (
            day,
            text_rewrite(_draw_of(day), f'"height":{height}', f'"height":{2**60 + 1}'),
            "height",
        ),
        "a height of -0 (the first draw's)": (
            first,
            text_rewrite(_draw_of(first), '"height":0', '"height":-0'),
            "-0",
        ),
        "UTF-16 JSON": (
            day,
            body_rewrite(_draw_of(day), lambda body: body.decode().encode("utf-16")),
            "UTF-8",
        ),
    }
    for name, (checked, rewrite, why) in cases.items():
        proxy.reset()
        proxy.rewrite = rewrite
        checks = both(proxy, page, checked)
        reasons = " ".join(failed(checks).values())
        assert why in reasons, (name, checks)
        print(f"both verifiers fail: {name}")

    # More than 64 MB once decompressed (64 KB on the wire): refused by both.
    proxy.reset()
    padded = body_rewrite(_draw_of(day), lambda body: body[:-1] + b" " * (65 << 20) + b"}")
    proxy.rewrite = padded
    proxy.gzip = _draw_of(day)
    checks = both(proxy, page, day)
    assert "more than 64 MB" in " ".join(failed(checks).values()), checks

    # gzip answers are read by both (the browser decodes them; the script, bounded).
    proxy.reset()
    proxy.gzip = lambda path: True
    both(proxy, page, day, expected="pass")
    both(proxy, page, day, expected="pass", ballot=ids[3])
    assert any(p.startswith(f"/draws/{day}/ballots?") for p in proxy.requests)


def test_a_slow_server_ends_red_within_the_deadline_and_stop_ends_a_check(opened, proxy, user):
    (day,) = draw_days(user, [5])
    page = opened().page
    # One byte a second: each read makes progress, the answer never ends in time.
    proxy.drip = lambda path: 1.0 if _draw_of(day)(path) else None
    set_limits(page, request=3)
    started = time.monotonic()
    outcome, checks = standalone_check(page, proxy.url, day, log_key(), timeout=30_000)
    took = time.monotonic() - started
    assert outcome == "fail", checks
    assert took < 15, took
    reason = failed(checks)["the check could not go on"]
    assert reason.startswith("the deadline of 3 s for one answer passed while reading /draws/"), (
        reason
    )
    assert "The check could not go on" in page.locator("#results .outcome").inner_text()
    started = time.monotonic()
    code, output = script(proxy.url, str(day), "--timeout", "5", "--min-delay", FLOOR)
    assert code == 2, output
    assert time.monotonic() - started < 30

    # The whole check's deadline, and Stop.
    set_limits(page, request=120, run=4)
    outcome, checks = standalone_check(page, proxy.url, day, log_key(), timeout=30_000)
    assert failed(checks)["the check could not go on"].startswith(
        "the deadline of the whole check (4 s) passed"
    )
    set_limits(page, run=1800)
    page.get_by_label("The lottery's address").fill(proxy.url)
    section = page.locator("#results")
    section.evaluate("(s) => s.querySelector('.outcome').removeAttribute('data-outcome')")
    page.get_by_role("button", name="Verify", exact=True).click()
    section.locator("li[data-check='the lottery checked']").wait_for()
    started = time.monotonic()
    page.get_by_role("button", name="Stop").first.click()
    section.locator(".outcome[data-outcome]").wait_for(timeout=5_000)
    assert time.monotonic() - started < 3
    assert section.locator(".outcome").get_attribute("data-outcome") == "fail"
    assert section.locator(".outcome").inner_text() == "The check could not go on: stopped by you."

    # Retry-After: waits share one budget (here 2 s); a server that keeps asking ends the run.
    proxy.drip = lambda path: None
    proxy.rewrite = lambda path, status, body: (
        (429, b'{"detail": "slow down"}')
        if path.startswith(f"/draws/{day}/ballots?")
        else (status, body)
    )
    proxy.rewrite_headers = lambda path, status, headers: (
        {**headers, "Retry-After": "1"} if status == 429 else headers
    )
    set_limits(page, wait_budget=2)
    outcome, checks = standalone_check(page, proxy.url, day, log_key(), timeout=30_000)
    assert (
        "for waiting out HTTP 429 (Retry-After) is spent"
        in failed(checks)["the check could not go on"]
    ), checks
    code, output = script(proxy.url, str(day), "--timeout", "8", "--min-delay", FLOOR)
    assert code == 2, output


def test_nothing_from_the_link_sets_what_the_standalone_page_accepts(opened, standalone):
    # Its settings are typed, or kept by this browser: a query or a fragment is not read.
    kept = opened()
    kept.page.goto(f"{standalone}?min-delay=2^1&lottery=http://evil.test#log-key=x")
    assert kept.page.get_by_label("Lowest delay to accept").input_value() == "2^27"
    assert kept.page.get_by_label("The lottery's address").input_value() == ""
    assert kept.page.get_by_label("The lottery's log key").input_value() == ""
    # The fields say what is wrong, tied to them.
    kept.page.get_by_role("button", name="Verify", exact=True).click()
    field = kept.page.get_by_label("The lottery's log key")
    assert field.get_attribute("aria-invalid") == "true"
    assert "log-key-error" in (field.get_attribute("aria-describedby") or "")
    assert (
        kept.page.locator("#log-key-error").inner_text().startswith("Enter the lottery's log key")
    )
    assert kept.asked() == []
    kept.web.shoot("standalone-errors")
