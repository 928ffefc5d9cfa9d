"""The browser's verifier and scripts/verify_draw.py give the same answer on the same days.

Both read the lottery through a rewriting proxy of the test's own (tests/browser/
rewriting_proxy.py): honest days must pass both; days whose published data the test
altered, in the database or on the wire, must fail both. Each case is also held to the
answer it must have, so two verifiers that were fooled alike would not pass.
"""

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import F

from ballots.models import Ballot, Lottery
from draws import vdf
from draws.models import Draw
from draws.services import lottery_draw
from tests.browser.chromium import Watched, chromium, needs_chromium
from tests.browser.rewriting_proxy import (
    Rewrite,
    RewritingProxy,
    json_rewrite,
    text_rewrite,
    unchanged,
)
from tests.browser.verifier import check_ballot, verify_day
from tests.conftest import forget_rendered_results, on
from tests.draws.forgeries import downgraded, forged_beacon

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "scripts" / "verify_draw.py"
FIRST = date(2026, 10, 1)
# Test days publish 2^8 squarings (tests/conftest.py): both verifiers are told to accept it,
# the script with --min-delay, the page in its "Lowest delay to accept"; and both check one
# link of the chain (the page always does; the script with --chain 1).
FLOOR = "2^8"
SCRIPT_FLAGS = ("--min-delay", FLOOR, "--chain", "1")
VDF = Lottery.Rule.UNICORN
HMAC = Lottery.Rule.HMAC


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls are ours.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    with chromium() as browser:
        yield browser
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def proxy(live_server):
    with RewritingProxy(live_server.url) as proxy:
        yield proxy


def draw_days(user, sizes: list[int], rule: str = VDF, first: date = FIRST) -> list[date]:
    """Consecutive days from ``first`` with these many ballots each, drawn oldest first."""
    days = [first + timedelta(days=i) for i in range(len(sizes))]
    for day, size in zip(days, sizes, strict=True):
        with on(day - timedelta(days=1)):
            if rule == HMAC:  # a day created before the delay function
                lottery = Lottery.objects.create(date=day, rule=HMAC, vdf_delay_log2=None)
            else:
                lottery = Lottery.objects.create(date=day)
        Ballot.objects.bulk_create([Ballot(user=user, lottery=lottery) for _ in range(size)])
    for day in days:
        with on(day + timedelta(days=1), hour=0):
            lottery_draw(lottery_date=day)
    return days


def seen_before(day: date) -> str | None:
    """The seed commitment GET /lotteries showed while an old-rule day was open; else None.
    Both verifiers are given it, as --commitment and in the page's field."""
    lottery = Lottery.objects.get(date=day)
    return lottery.seed_commitment if lottery.rule == HMAC else None


def cli(base: str, day: date, *args: str, flags: tuple[str, ...] = SCRIPT_FLAGS) -> str:
    result = subprocess.run(  # noqa: S603 - our own script, no shell
        [sys.executable, "-I", "-S", str(VERIFIER), base, str(day), *flags, *args]
        + (["--commitment", commitment] if (commitment := seen_before(day)) else []),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return "pass" if result.returncode == 0 else "fail"


def browser_day(browser, base: str, day: date, floor: str | None = FLOOR) -> tuple[str, Any]:
    web = Watched(browser, base)
    try:
        web.goto(f"/results/{day}")
        return verify_day(web.page, timeout=300_000, min_delay=floor, commitment=seen_before(day))
    finally:
        web.close()


def browser_ballot(browser, base: str, day: date, ballot_id: str) -> tuple[str, Any]:
    web = Watched(browser, base)
    try:
        web.goto(f"/results/{day}")
        return check_ballot(web.page, ballot_id, min_delay=FLOOR, commitment=seen_before(day))
    finally:
        web.close()


def agree(browser, proxy, day: date, expected: str, rewrite: Rewrite = unchanged) -> None:
    proxy.rewrite = rewrite
    by_script = cli(proxy.url, day)
    by_browser, checks = browser_day(browser, proxy.url, day)
    assert (by_script, by_browser) == (expected, expected), checks


def agree_on_ballot(browser, proxy, day, ballot_id, expected, rewrite=unchanged) -> None:
    proxy.rewrite = rewrite
    by_script = cli(proxy.url, day, "--ballot", ballot_id)
    by_browser, checks = browser_ballot(browser, proxy.url, day, ballot_id)
    assert (by_script, by_browser) == (expected, expected), checks


def test_honest_days_pass_both(browser, proxy, user):
    # Days of the old rule, then of the delay function, in one chain: empty, tiny, a chunk
    # and one more, exactly one page of ids, one page and one more.
    old = draw_days(user, [0, 2, 1025], rule=HMAC, first=FIRST - timedelta(days=3))
    sizes = [0, 1, 2, 3, 1025, 10_000, 10_001]
    for day in [*old, *draw_days(user, sizes)]:
        agree(browser, proxy, day, "pass")
    last = FIRST + timedelta(days=len(sizes) - 1)
    ids = sorted(
        str(i) for i in Ballot.objects.filter(lottery__date=last).values_list("id", flat=True)
    )
    for ballot_id in (ids[0], ids[len(ids) // 2], ids[-1]):
        agree_on_ballot(browser, proxy, last, ballot_id, "pass")
    old_ids = Ballot.objects.filter(lottery__date=old[1]).values_list("id", flat=True)
    for old_id in old_ids:
        agree_on_ballot(browser, proxy, old[1], str(old_id), "pass")


def test_a_delay_below_the_floor_fails_both_until_it_is_lowered(browser, proxy, user):
    (day,) = draw_days(user, [3])
    proxy.rewrite = unchanged
    by_script = cli(proxy.url, day, flags=())  # the default floor, 2^27
    by_browser, checks = browser_day(browser, proxy.url, day, floor=None)
    assert (by_script, by_browser) == ("fail", "fail"), checks
    assert [name for kind, name, _ in checks if kind == "fail"] == [
        "the delay is at least 2^27 squarings"
    ]
    agree(browser, proxy, day, "pass")


def _draw_of(day: date) -> Callable[[str], bool]:
    return lambda path: path.split("?")[0] == f"/draws/{day}"


def _pages_of(day: date) -> Callable[[str], bool]:
    return lambda path: path.startswith(f"/draws/{day}/ballots?")


def _set(**values: Any) -> Callable[[Any], Any]:
    return lambda body: {**body, **values}


def _items(change: Callable[[list[str]], list[str]]) -> Callable[[Any], Any]:
    return lambda page: {**page, "items": change(page["items"])}


def _swap_first_two(items: list[str]) -> list[str]:
    return [items[1], items[0], *items[2:]]


def test_answers_rewritten_on_the_wire_fail_both(browser, proxy, user):
    before, day, big = draw_days(user, [5, 40, 10_001])
    draw = Draw.objects.get(lottery__date=day)
    count = draw.ballot_count
    cases: dict[str, Rewrite] = {
        "a float count": text_rewrite(
            _draw_of(day), f'"ballot_count":{count}', f'"ballot_count":{count}.0'
        ),
        "a count in exponent form": text_rewrite(
            _draw_of(day), f'"ballot_count":{count}', '"ballot_count":4e1'
        ),
        "a boolean index": json_rewrite(_draw_of(day), _set(winning_index=True)),
        "a date with a slash": json_rewrite(_draw_of(day), _set(date=f"{day}/")),
        "another day's draw": lambda path, status, body: (
            (status, body) if not _draw_of(day)(path) else (200, _fetch(proxy, f"/draws/{before}"))
        ),
        "winning_index + 1": json_rewrite(
            _draw_of(day), _set(winning_index=int(draw.winning_index or 0) + 1)
        ),
        "no winner on a day with ballots": json_rewrite(
            _draw_of(day), _set(winning_ballot_id=None)
        ),
        "an upper-case root": json_rewrite(
            _draw_of(day), _set(merkle_root=draw.merkle_root.upper())
        ),
        "a dropped id": json_rewrite(_pages_of(day), _items(lambda ids: ids[1:])),
        "two ids swapped": json_rewrite(_pages_of(day), _items(_swap_first_two)),
        "an id repeated": json_rewrite(_pages_of(day), _items(lambda ids: [ids[0], *ids])),
        "an upper-case id": json_rewrite(
            _pages_of(day), _items(lambda ids: [ids[0].upper(), *ids[1:]])
        ),
        "a page that points nowhere": json_rewrite(
            _pages_of(day), _set(next_after=str(uuid.uuid4()))
        ),
        "a server error on the list": lambda path, status, body: (
            (500, b'{"detail": "boom"}') if _pages_of(day)(path) else (status, body)
        ),
        "not JSON": lambda path, status, body: (
            (200, b"<html>") if _draw_of(day)(path) else (status, body)
        ),
        "a made-up beacon round": json_rewrite(_draw_of(day), forged_beacon),
        "the old rule with a seed made after the close": json_rewrite(_draw_of(day), downgraded),
    }
    for name, rewrite in cases.items():
        agree(browser, proxy, day, "fail", rewrite)
        print(f"both verifiers fail: {name}")

    # Paging that never ends: the second page of a 10,001-ballot day points back at itself.
    first_page = _fetch_json(proxy, f"/draws/{big}/ballots?limit=10000")
    again = first_page["next_after"]
    loop = json_rewrite(
        lambda path: path.startswith(f"/draws/{big}/ballots?") and f"after={again}" in path,
        _set(next_after=again),
    )
    agree(browser, proxy, big, "fail", loop)
    # ... and an empty page that claims more.
    empty = json_rewrite(
        lambda path: path.startswith(f"/draws/{big}/ballots?") and f"after={again}" in path,
        _set(items=[], next_after=again),
    )
    agree(browser, proxy, big, "fail", empty)

    own = str(
        Ballot.objects.filter(lottery__date=day).exclude(id=str(draw.winning_ballot_id)).first().id  # type: ignore[union-attr]
    )
    proof = lambda path: path.startswith(f"/draws/{day}/ballots/{own}/proof")  # noqa: E731

    def flip_sibling(body: Any) -> Any:
        first = body["path"][0]
        return {**body, "path": [("0" if first[0] != "0" else "1") + first[1:], *body["path"][1:]]}

    agree_on_ballot(browser, proxy, day, own, "pass")
    agree_on_ballot(browser, proxy, day, own, "fail", json_rewrite(proof, flip_sibling))
    leaf = json_rewrite(proof, lambda body: {**body, "leaf_index": body["leaf_index"] ^ 1})
    agree_on_ballot(browser, proxy, day, own, "fail", leaf)
    other_day = str(Ballot.objects.filter(lottery__date=before).first().id)  # type: ignore[union-attr]
    agree_on_ballot(browser, proxy, day, other_day, "fail")


def _other_element(draw: Draw) -> str:
    """A canonical group element that is not the draw's output."""
    return vdf.element_hex(vdf.normalize(int(draw.vdf_output, 16) + 1))


def _uncanonical(*, body_of: Draw) -> str:
    """The output's other representative, N - y: the same class, not its canonical form."""
    return vdf.element_hex(vdf.N - int(body_of.vdf_output, 16))


def _fetch(proxy, path: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(proxy.upstream + path, timeout=30) as answer:  # noqa: S310 - the live server
        return answer.read()


def _fetch_json(proxy, path: str) -> Any:
    import json

    return json.loads(_fetch(proxy, path))


def _alter_one_ballot_id(draw: Draw) -> None:
    loser = Ballot.objects.filter(lottery_id=draw.lottery_id).exclude(
        id=str(draw.winning_ballot_id)
    )
    Ballot.objects.filter(pk=loser.first().pk).update(id=uuid.uuid4())  # type: ignore[union-attr]


def _add_a_ballot(draw: Draw) -> None:
    Ballot.objects.create(user_id=draw.winning_ballot.user_id, lottery_id=draw.lottery_id)  # type: ignore[union-attr]


def _alter_the_count(draw: Draw) -> None:
    Draw.objects.filter(pk=draw.pk).update(ballot_count=F("ballot_count") - 1)


def _alter_the_root(draw: Draw) -> None:
    Draw.objects.filter(pk=draw.pk).update(merkle_root=secrets.token_hex(32))


def _alter_the_winner(draw: Draw) -> None:
    other = Ballot.objects.filter(lottery_id=draw.lottery_id).exclude(
        id=str(draw.winning_ballot_id)
    )
    Draw.objects.filter(pk=draw.pk).update(winning_ballot=other.first())


def _alter_the_index(draw: Draw) -> None:
    Draw.objects.filter(pk=draw.pk).update(
        winning_index=(int(draw.winning_index or 0) + 1) % draw.ballot_count
    )


def _alter_the_output(draw: Draw) -> None:
    Draw.objects.filter(pk=draw.pk).update(vdf_output=_other_element(draw))


ALTERATIONS = [
    _alter_the_output,
    _alter_one_ballot_id,
    _add_a_ballot,
    _alter_the_count,
    _alter_the_root,
    _alter_the_winner,
    _alter_the_index,
]


def _alter_the_seed(draw: Draw) -> None:
    Lottery.objects.filter(pk=draw.lottery_id).update(seed=secrets.token_bytes(32))


def test_days_altered_in_the_database_fail_both(browser, proxy, user):
    # Every other day is altered, so each altered day's chain link reads an honest one.
    (old,) = draw_days(user, [30], rule=HMAC, first=FIRST - timedelta(days=1))
    days = draw_days(user, [30] * 2 * len(ALTERATIONS))[1::2]
    _alter_the_seed(Draw.objects.get(lottery__date=old))
    for day, alter in zip(days, ALTERATIONS, strict=True):
        alter(Draw.objects.select_related("winning_ballot").get(lottery__date=day))
    forget_rendered_results()
    agree(browser, proxy, old, "fail")
    for day, alter in zip(days, ALTERATIONS, strict=True):
        agree(browser, proxy, day, "fail")
        print(f"both verifiers fail: {alter.__name__}")
