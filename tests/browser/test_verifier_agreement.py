"""The browser's verifier and scripts/verify_draw.py give the same answer on the same days.

Both read the lottery through a rewriting proxy of the test's own (tests/browser/
rewriting_proxy.py): honest days must pass both; days whose published data the test
altered, in the database or on the wire (the draw, or the public record), must fail both.
Each case is also held to the answer it must have, so two verifiers that were fooled alike
would not pass.
"""

import base64
import json
import os
import secrets
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db.models import F

from ballots.calendar import closes_at
from ballots.models import Ballot, Lottery
from ballots.policy import policies_log
from ballots.services import lottery_ensure
from draws import vdf
from draws.models import Draw
from draws.services import lottery_draw
from record import tree
from record.keys import log_signer
from record.models import Checkpoint, Cosignature, Entry
from record.notes import (
    COSIGNATURE_V1,
    SIGNATURE_DASH,
    Signer,
    Verifier,
    checkpoint_body,
    cosignature_message,
)
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
from tests.draws.forgeries import downgraded, forged_beacon, rewon

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "scripts" / "verify_draw.py"
FIRST = date(2026, 10, 1)
# Test days publish 2^8 squarings (tests/conftest.py): both verifiers are told to accept it,
# the script with --min-delay, the page in its "Lowest delay to accept"; and both check one
# link of the chain (the page always does; the script with --chain 1).
FLOOR = "2^8"
SCRIPT_FLAGS = ("--min-delay", FLOOR, "--chain", "1")
VDF = Lottery.Rule.DELAY_FUNCTION
HMAC = Lottery.Rule.HMAC
DEMO_CAVEAT = "a demo install: its delay is fine for trying it out, too short for a real lottery"


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


def draw_days(
    user, sizes: list[int], rule: str = VDF, first: date = FIRST, *, demo: bool = False
) -> list[date]:
    """Consecutive days from ``first`` with these many ballots each, drawn oldest first.

    A delay-function day is made a day before it opens, as the sweep makes it: its policy
    entry (``demo no``) is in the public record then. With ``demo`` its row is made without
    one, so the policy is logged only at the draw, as ``make demo`` logs its past days
    (``demo yes``). Old-rule days predate the record: drawn before it held any entry.
    """
    days = [first + timedelta(days=i) for i in range(len(sizes))]
    for day, size in zip(days, sizes, strict=True):
        with on(day - timedelta(days=1)):
            if rule == HMAC:  # a day created before the delay function
                lottery = Lottery.objects.create(date=day, rule=HMAC, vdf_delay_log2=None)
            elif demo:
                lottery = Lottery.objects.create(date=day)
            else:
                lottery_ensure(lottery_dates=[day])
                lottery = Lottery.objects.get(date=day)
        Ballot.objects.bulk_create([Ballot(user=user, lottery=lottery) for _ in range(size)])
    if rule == HMAC:
        assert not Entry.objects.exists(), "old-rule days are drawn before the record starts"
    before_the_record = patch("ballots.services.policies_log") if rule == HMAC else nullcontext()
    with before_the_record:
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


def browser_day(
    browser, base: str, day: date, floor: str | None = FLOOR, shot: str | None = None
) -> tuple[str, Any]:
    web = Watched(browser, base)
    try:
        web.goto(f"/results/{day}")
        answer = verify_day(web.page, timeout=300_000, min_delay=floor, commitment=seen_before(day))
        if shot:
            web.shoot(shot)
        return answer
    finally:
        web.close()


def browser_ballot(browser, base: str, day: date, ballot_id: str) -> tuple[str, Any]:
    web = Watched(browser, base)
    try:
        web.goto(f"/results/{day}")
        return check_ballot(web.page, ballot_id, min_delay=FLOOR, commitment=seen_before(day))
    finally:
        web.close()


def agree(
    browser,
    proxy,
    day: date,
    expected: str,
    rewrite: Rewrite = unchanged,
    *script_args: str,
    shot: str | None = None,
) -> list[tuple[str, str, str]]:
    """Both verifiers give ``expected``; the page's checks."""
    proxy.rewrite = rewrite
    by_script = cli(proxy.url, day, *script_args)
    by_browser, checks = browser_day(browser, proxy.url, day, shot=shot)
    assert (by_script, by_browser) == (expected, expected), checks
    return checks


def failed(checks: list[tuple[str, str, str]]) -> list[str]:
    return [name for kind, name, _ in checks if kind == "fail"]


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
    new = draw_days(user, sizes)
    for day in old:
        checks = agree(browser, proxy, day, "pass")
        assert ("info", "the day predates the public record") in [c[:2] for c in checks]
    for day in new:
        checks = agree(browser, proxy, day, "pass")
        shown = [c[:2] for c in checks]
        for name in (
            "the record's checkpoint is signed by the lottery's key",
            "the record's entries lead to its checkpoint",
            "the policy is in the public record",
            "the close is in the public record",
            "the draw is in the public record",
            "the published draw is the record's",
            "the record hash",
        ):
            assert ("pass", name) in shown, checks
        # No witness is configured here: the page says what that leaves unchecked.
        assert ("skip", "the witnesses' times") in shown, checks
        assert DEMO_CAVEAT not in [name for _, name in shown]
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


# --- The public record ----------------------------------------------------------------------


def _entries(proxy) -> list[str]:
    page = _fetch_json(proxy, "/log/entries?start=0&limit=1000")
    assert page["next_start"] is None
    return page["entries"]


def _record_served(
    proxy, *extra: str, signer: Signer | None = None, serve_key: bool = False
) -> Rewrite:
    """The public record with ``extra`` entries appended and its checkpoint signed again, by
    the lottery's own key unless ``signer`` is given (and served as its key with
    ``serve_key``): what a server holding a key can serve."""
    entries = [*_entries(proxy), *extra]
    signer = signer or log_signer()
    size = len(entries)
    root = tree.root_of([tree.leaf_hash(entry.encode()) for entry in entries])
    note = signer.sign(checkpoint_body(signer.name, size, root))

    def rewrite(path: str, status: int, body: bytes) -> tuple[int, bytes]:
        route, _, query = path.partition("?")
        if route in ("/log/checkpoint", f"/log/checkpoints/{size}"):
            return 200, note.encode()
        if route == "/log/key" and serve_key:
            return 200, f"{signer.verifier.vkey}\n".encode()
        if route == "/log/entries":
            asked = urllib.parse.parse_qs(query)
            start = int(asked.get("start", ["0"])[0])
            limit = int(asked.get("limit", ["1000"])[0])
            page = entries[start : start + limit]
            following = start + len(page)
            more = following if page and following < size else None
            return 200, json.dumps({"start": start, "entries": page, "next_start": more}).encode()
        return status, body

    return rewrite


def _other_delay(answer: dict[str, Any]) -> dict[str, Any]:
    """The draw computed in full with twice the policy's squarings: the output, proof and
    winner that delay gives, the published record hash kept."""
    t = answer["vdf_delay_log2"] + 1
    x = vdf.input_element(
        vdf.statement(
            lottery_date=date.fromisoformat(answer["date"]),
            count=answer["ballot_count"],
            root=answer["merkle_root"],
            delay_log2=t,
        )
    )
    evaluation = vdf.evaluate(x, t)
    forged = rewon(
        {
            **answer,
            "vdf_delay_log2": t,
            "vdf_output": vdf.element_hex(evaluation.output),
            "vdf_proof": [vdf.element_hex(mu) for mu in evaluation.proof],
        }
    )
    return {**forged, "record_hash": answer["record_hash"]}


def test_a_draw_with_another_delay_than_its_policy_fails_both(browser, proxy, user):
    (day,) = draw_days(user, [5])
    checks = agree(browser, proxy, day, "fail", json_rewrite(_draw_of(day), _other_delay))
    # Its proof holds and its winner follows from it: only the record tells it apart.
    assert failed(checks) == ["the published draw is the record's"], checks
    reason = {name: why for _, name, why in checks}["the published draw is the record's"]
    assert "vdf_delay_log2 9, the policy entry has 8" in reason


def test_a_second_policy_for_the_day_fails_both(browser, proxy, user):
    (day,) = draw_days(user, [3])
    policy = Entry.objects.get(kind=Entry.Kind.POLICY, date=day).text
    second = policy.replace("\nvdf_delay_log2 8\n", "\nvdf_delay_log2 9\n")
    assert second != policy
    # Signed by the lottery's own key: only the rule of one entry of each kind a day stops it.
    checks = agree(browser, proxy, day, "fail", _record_served(proxy, second))
    assert "the policy is in the public record" in failed(checks), checks
    reason = {name: why for _, name, why in checks}["the policy is in the public record"]
    assert reason.startswith(f"2 policy entries for {day}"), reason


def test_a_demo_day_passes_with_its_caveat(browser, proxy, user):
    (day,) = draw_days(user, [3], demo=True)
    assert "\ndemo yes\n" in Entry.objects.get(kind=Entry.Kind.POLICY, date=day).text
    proxy.rewrite = unchanged
    # The page has no floor to lower here: its default, 2^27, and the policy's demo yes.
    by_script = cli(proxy.url, day, "--allow-demo", flags=("--chain", "1"))
    by_browser, checks = browser_day(browser, proxy.url, day, floor=None, shot="result-demo")
    assert (by_script, by_browser) == ("pass", "pass"), checks
    assert ("info", DEMO_CAVEAT) in [c[:2] for c in checks], checks
    assert not [name for _, name, _ in checks if name.startswith("the delay is at least")]


def test_a_checkpoint_signed_by_another_key_than_the_kept_one_fails(browser, proxy, user):
    (day,) = draw_days(user, [3])
    honest = log_signer()
    impostor = Signer(honest.name, Ed25519PrivateKey.generate())
    web = Watched(browser, proxy.url)
    try:
        proxy.rewrite = unchanged
        web.goto(f"/results/{day}")
        outcome, checks = verify_day(web.page, min_delay=FLOOR)
        assert outcome == "pass", checks
        assert ("info", "the lottery's key", honest.verifier.vkey) in checks
        first_use = {name: why for _, name, why in checks}["kept on first use"]
        assert first_use.startswith("Kept now in this browser, on first use, from this server")
        assert "Keys learned elsewhere are stronger" in first_use
        # The same browser, later: the server now signs (and serves) another key.
        proxy.rewrite = _record_served(proxy, signer=impostor, serve_key=True)
        web.page.reload()
        outcome, checks = verify_day(web.page, min_delay=FLOOR)
        assert web.console_errors == []
    finally:
        web.close()
    assert outcome == "fail", checks
    assert failed(checks)[0] == "the record's checkpoint is signed by the lottery's key", checks
    assert ("info", "the lottery's key", honest.verifier.vkey) in checks
    # The script, given the key pinned elsewhere, agrees.
    assert cli(proxy.url, day, "--log-key", honest.verifier.vkey) == "fail"
    # A browser that never kept a key believes the new one: trust on first use, as it says.
    outcome, checks = browser_day(browser, proxy.url, day)
    assert outcome == "pass", checks
    assert ("info", "the lottery's key", impostor.verifier.vkey) in checks


WITNESS = "witness.test/one"


def _witness() -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return key, Verifier(WITNESS, COSIGNATURE_V1, public).vkey


def _cosign(key: Ed25519PrivateKey, size: int, at: int) -> None:
    """The witness's cosignature of the checkpoint of ``size``, at the POSIX time ``at``."""
    checkpoint = Checkpoint.objects.get(size=size)
    body = checkpoint.note.split("\n\n", 1)[0] + "\n"
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = Verifier(WITNESS, COSIGNATURE_V1, public).id
    signature = key.sign(cosignature_message(body, at))
    payload = base64.b64encode(key_id + at.to_bytes(8, "big") + signature).decode()
    line = f"{SIGNATURE_DASH} {WITNESS} {payload}\n"
    Cosignature.objects.create(checkpoint=checkpoint, witness=WITNESS, timestamp=at, line=line)


def test_the_witnesses_times(browser, proxy, user, settings):
    (day,) = draw_days(user, [4])
    key, vkey = _witness()
    # Configured after the draw: nobody asks this witness, the test cosigns in its place.
    settings.LOTTERY_WITNESS_URLS = ["http://127.0.0.1:9"]
    settings.LOTTERY_WITNESS_KEYS = [vkey]
    index = {e.kind: e.index for e in Entry.objects.filter(date=day)}
    assert index == {"policy": 0, "close": 1, "draw": 2}
    close = int(closes_at(day).timestamp())
    allowed = settings.LOTTERY_CLOSE_WITNESS_SECONDS
    policy_in_time = f"the policy was witnessed before the close by {WITNESS}"
    close_in_time = f"the close was witnessed in time by {WITNESS}"
    flags = ("--witness-key", vkey)

    def cosigned(*times: tuple[int, int]) -> None:
        Cosignature.objects.all().delete()
        for size, at in times:
            _cosign(key, size, at)

    # The policy the day before it opened, the close 10 s after midnight.
    cosigned((1, close - 36 * 3600), (2, close + 10))
    checks = agree(browser, proxy, day, "pass", unchanged, *flags, shot="result-witnessed")
    shown = [c[:2] for c in checks]
    assert ("pass", policy_in_time) in shown, checks
    assert ("pass", close_in_time) in shown, checks
    assert ("info", f"the key of witness {WITNESS}") in shown, checks
    assert not [kind for kind, _ in shown if kind in ("skip", "warn")], checks

    # The close cosigned later than the policy allows.
    cosigned((1, close - 36 * 3600), (2, close + allowed + 30))
    checks = agree(browser, proxy, day, "fail", unchanged, *flags)
    assert failed(checks) == [close_in_time], checks
    reasons = {name: why for _, name, why in checks}
    assert reasons[close_in_time].startswith("the close was not witnessed in time"), checks

    # The policy cosigned only once the day was open: a warning, not a failure.
    cosigned((1, close - 6 * 3600), (2, close + 10))
    checks = agree(browser, proxy, day, "pass", unchanged, *flags)
    assert [name for kind, name, _ in checks if kind == "warn"] == [
        f"the policy was witnessed after the day opened ({WITNESS})"
    ], checks

    # The policy cosigned only with the close, after the day closed.
    cosigned((2, close + 10))
    checks = agree(browser, proxy, day, "fail", unchanged, *flags)
    assert failed(checks) == [policy_in_time], checks

    # A witness that cosigned nothing of the record.
    Cosignature.objects.all().delete()
    checks = agree(browser, proxy, day, "fail", unchanged, *flags)
    assert failed(checks) == [policy_in_time, close_in_time], checks


def test_an_old_rule_day_in_the_record_passes_both(browser, proxy, user):
    # An hmac-sha256 day whose row and policy were made before it opened: its commitment is
    # in the policy entry, and both verifiers hold the draw to it.
    (before,) = draw_days(user, [2])
    day = before + timedelta(days=1)
    with on(before):
        lottery = Lottery.objects.create(date=day, rule=HMAC, vdf_delay_log2=None)
        policies_log(lottery_dates=[day])
    Ballot.objects.bulk_create([Ballot(user=user, lottery=lottery) for _ in range(5)])
    with on(day + timedelta(days=1), hour=0):
        lottery_draw(lottery_date=day)
    policy = Entry.objects.get(kind=Entry.Kind.POLICY, date=day).text
    assert f"\nseed_commitment {lottery.seed_commitment}\n" in policy
    checks = agree(browser, proxy, day, "pass")
    shown = [c[:2] for c in checks]
    assert ("pass", "the commitment is the one seen before the day") in shown, checks
    assert ("pass", f"the chain link {day} -> {before}") in shown, checks
    # The seed served is not the one the record's draw entry holds.
    agree(browser, proxy, day, "fail", json_rewrite(_draw_of(day), downgraded))
