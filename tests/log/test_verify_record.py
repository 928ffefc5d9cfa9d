"""scripts/verify_draw.py against the public record (docs/draw-rules.md, 6), served by a fake
lottery (tests/log/fake_log.py) whose log, checkpoints and witnesses the test controls.

Each case is an honest day, or one way a lottery in control of its server and its log key
could change a winner or the story of when its choices were public; the verifier must pass
the first and fail the others, print no traceback, and exit 0, 1 or 2 as documented.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from scripts import verify_draw
from tests.log.fake_log import (
    DELAY_FUNCTION_RULE,
    HMAC_RULE,
    Built,
    FakeLottery,
    Witness,
    b64,
    entry,
    raw_public,
    sha256,
    vkey,
)

pytestmark = pytest.mark.no_database

VERIFIER = Path(__file__).resolve().parents[2] / "scripts" / "verify_draw.py"
D = date(2026, 11, 20)
DAY = 86_400
FLOOR = ("--min-delay", "2^8")


@pytest.fixture
def lottery() -> Iterator[FakeLottery]:
    with FakeLottery() as fake:
        yield fake


@pytest.fixture
def witness() -> Witness:
    return Witness("witness.test/w1")


def verify(
    lottery: FakeLottery,
    *args: str,
    day: date = D,
    witnesses: tuple[Witness, ...] = (),
    log_key: str | None = "pinned",
) -> subprocess.CompletedProcess[str]:
    pins = ["--log-key", lottery.log.vkey if log_key == "pinned" else log_key] if log_key else []
    for w in witnesses:
        pins += ["--witness-key", w.vkey]
    result = subprocess.run(  # noqa: S603 - our own script, no shell
        [sys.executable, "-I", "-S", str(VERIFIER), lottery.url, str(day), *FLOOR, *pins, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("FAIL")]


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.splitlines()[-1]


def replace_entry(lottery: FakeLottery, index: int, text: str) -> None:
    lottery.log.entries[index] = text


# --- The honest day ---------------------------------------------------------------------


@pytest.mark.parametrize("beacon_delay", [None, 60])
def test_an_honest_day_passes(lottery, witness, beacon_delay):
    lottery.build_day(D, [witness], beacon_delay=beacon_delay)
    beacon = ["--beacon-url", f"{lottery.url}/beacon"] if beacon_delay else []
    result = verify(lottery, *beacon, witnesses=(witness,))

    assert result.returncode == 0, result.stdout + result.stderr
    assert last_line(result) == "all checks passed", result.stdout
    assert "SKIP" not in result.stdout
    assert "OK   the draw is the log's" in result.stdout
    assert "OK   the policy was witnessed before the close: cosigned 172800 s before" in (
        result.stdout
    )
    assert "OK   the close was witnessed in time: cosigned 30 s after closes_at, the policy " in (
        result.stdout
    )
    assert "OK   the winning ballot" in result.stdout


def test_one_ballots_proof_takes_the_logged_count(lottery, witness):
    built = lottery.build_day(D, [witness], ballots=7)
    result = verify(lottery, "--ballot", built.ids[3], witnesses=(witness,))
    assert result.returncode == 0, result.stdout
    assert f"OK   ballot {built.ids[3]} is in the draw" in result.stdout

    # The proof and the draw both say one ballot more; the log's close says 7.
    def more(path: str, answer: Any) -> Any:
        if isinstance(answer, dict) and "ballot_count" in answer:
            answer = dict(answer, ballot_count=8)
        return answer

    lottery.rewrite = more
    result = verify(lottery, "--ballot", built.ids[3], witnesses=(witness,))
    assert result.returncode == 1
    assert failed(result) == [
        "FAIL the draw's ballot_count is the log's: the draw says 8, the close entry says 7",
        "FAIL the answer is in canonical form: the proof's ballot_count is not the draw's",
    ], result.stdout


def test_an_old_rule_day_passes_only_against_the_commitment_the_person_saw(lottery, witness):
    """The policy entry is the operator's word: an hmac-sha256 day still needs the commitment
    the person saw before the close (issue: legacy days pass only against one supplied)."""
    built = lottery.build_day(D, [witness], rule=HMAC_RULE)
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 1, result.stdout
    assert "FAIL the commitment is the one seen before the day: none given" in result.stdout

    seen = built.answer["seed_commitment"]
    assert verify(lottery, "--commitment", seen, witnesses=(witness,)).returncode == 0
    # A commitment the person saw elsewhere that is not the policy's fails.
    assert verify(lottery, "--commitment", "0" * 64, witnesses=(witness,)).returncode == 1


# --- Pins and SKIPs ---------------------------------------------------------------------


def test_without_a_witness_key_it_skips_and_require_witnesses_fails(lottery, witness):
    lottery.build_day(D, [witness])
    result = verify(lottery)

    assert result.returncode == 0, result.stdout
    assert (
        "SKIP no witness key pinned (--witness-key): nobody but the lottery vouches for when "
        "the policy and close were public"
    ) in result.stdout.splitlines()
    assert last_line(result) == "all checks passed; not checked: witnesses (--witness-key)"

    strict = verify(lottery, "--require-witnesses")
    assert strict.returncode == 1, strict.stdout
    assert last_line(strict) == (
        "not every check was made (--require-witnesses): not checked: witnesses (--witness-key)"
    )


def test_an_unpinned_log_key_is_read_from_the_server_and_says_so(lottery, witness):
    lottery.build_day(D, [witness])
    result = verify(lottery, witnesses=(witness,), log_key=None)

    assert result.returncode == 0, result.stdout
    assert (
        "SKIP the lottery's log key is not pinned (--log-key): read from the server it checks"
    ) in result.stdout.splitlines()
    assert last_line(result) == "all checks passed; not checked: the log key (--log-key)"
    assert (
        verify(lottery, "--require-witnesses", witnesses=(witness,), log_key=None).returncode == 1
    )


def test_a_wrong_log_key_is_refused(lottery, witness):
    lottery.build_day(D, [witness])
    # Another key under the log's own name: a server that signs with a key the person did
    # not pin.
    other = vkey(lottery.log.origin, 0x01, raw_public(Ed25519PrivateKey.generate()))
    result = verify(lottery, witnesses=(witness,), log_key=other)
    assert result.returncode == 1
    assert failed(result)[0].startswith("FAIL the newest checkpoint is signed by the log key")

    # The log's key under another name: its key id no longer matches, refused at once.
    result = verify(lottery, witnesses=(witness,), log_key=lottery.log.vkey.replace("test", "x"))
    assert result.returncode == 2
    assert "is not the one of its name and key" in result.stderr

    # A key of another log: the checkpoints served are not its log's.
    another = vkey("other.test/log", 0x01, raw_public(Ed25519PrivateKey.generate()))
    result = verify(lottery, witnesses=(witness,), log_key=another)
    assert result.returncode == 1
    assert "not of the log 'other.test/log'" in failed(result)[0]


SMALL_ORDER = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")


@pytest.mark.parametrize(
    ("option", "key", "why"),
    [
        ("--log-key", "not a key", "not a verifier key"),
        ("--log-key", vkey("w.test/x", 0x04, raw_public(Ed25519PrivateKey.generate())), "0x01"),
        ("--witness-key", vkey("l.test/x", 0x01, raw_public(Ed25519PrivateKey.generate())), "0x04"),
        ("--log-key", vkey("l.test/x", 0x01, SMALL_ORDER), "large order"),
        ("--witness-key", "w.test/x+00000000+" + b64(b"\x04" + bytes(32)), "key id"),
        ("--log-key", "l test+00000000+" + b64(b"\x01" + bytes(32)), "not a verifier key"),
    ],
)
def test_a_malformed_key_is_refused_before_anything_is_read(lottery, option, key, why):
    result = subprocess.run(  # noqa: S603 - our own script, no shell
        [sys.executable, "-I", "-S", str(VERIFIER), lottery.url, str(D), option, key],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert option in result.stderr
    assert why in result.stderr
    assert lottery.requests == []


# --- When the policy and the close were public -----------------------------------------------


def test_a_policy_cosigned_only_after_the_close_fails(lottery, witness):
    lottery.build_day(D, [witness], policy_cosigned=DAY + 10)  # 10 s after closes_at
    result = verify(lottery, witnesses=(witness,))

    assert result.returncode == 1
    assert failed(result) == [
        "FAIL the policy was not witnessed before the close: cosigned 10 s after closes_at "
        f"(witness {witness.name}, checkpoint 1 at 2026-11-21T00:00:10Z)"
    ], result.stdout


def test_a_policy_cosigned_after_the_opening_warns(lottery, witness):
    lottery.build_day(D, [witness], policy_cosigned=3600)
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 0, result.stdout
    assert (
        f"warning: witness {witness.name} first cosigned the policy at 2026-11-20T01:00:00Z, "
        "not before the day opened (2026-11-20T00:00:00Z)"
    ) in result.stdout


def test_a_close_cosigned_past_its_bound_fails(lottery, witness):
    lottery.build_day(D, [witness], close_cosigned=700)
    result = verify(lottery, witnesses=(witness,))

    assert result.returncode == 1
    assert failed(result) == [
        "FAIL the close was not witnessed in time: cosigned 700 s after closes_at, the policy "
        f"allows 600 (witness {witness.name}, checkpoint 2 at 2026-11-21T00:11:40Z)"
    ], result.stdout


def test_a_policy_allowing_a_late_close_fails_above_max_close_delay(lottery, witness):
    lottery.build_day(D, [witness], close_witness_seconds=1200, close_cosigned=1000)
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 1
    assert failed(result) == [
        "FAIL the policy's close_witness_seconds is within --max-close-delay: the policy allows "
        "1200 s after closes_at; --max-close-delay is 900"
    ], result.stdout
    assert verify(lottery, "--max-close-delay", "1200", witnesses=(witness,)).returncode == 0


def test_a_cosignature_by_an_unpinned_key_does_not_count(lottery, witness):
    impostor = Witness(witness.name)  # the pinned witness's name, another key
    stranger = Witness("witness.test/w2")
    lottery.build_day(D, [impostor, stranger])
    result = verify(lottery, witnesses=(witness,))

    assert result.returncode == 1
    assert failed(result) == [
        f"FAIL the policy entry was cosigned by witness {witness.name}: no checkpoint holding "
        "entry 0 carries its valid cosignature",
        f"FAIL the close entry was cosigned by witness {witness.name}: no checkpoint holding "
        "entry 1 carries its valid cosignature",
    ], result.stdout
    # The stranger's cosignatures count once its key is pinned.
    assert verify(lottery, witnesses=(stranger,)).returncode == 0


def test_every_pinned_witness_must_have_cosigned(lottery, witness):
    absent = Witness("witness.test/absent")
    lottery.build_day(D, [witness])
    result = verify(lottery, witnesses=(witness, absent))
    assert result.returncode == 1
    assert [line.split(":")[0] for line in failed(result)] == [
        f"FAIL the policy entry was cosigned by witness {absent.name}",
        f"FAIL the close entry was cosigned by witness {absent.name}",
    ]


def test_a_forged_cosignature_does_not_count(lottery, witness):
    built = lottery.build_day(D, [witness])
    # The policy's checkpoint carries a cosignature line of the pinned key with a changed time.
    line = lottery.log.cosignatures[built.policy + 1][0]
    dash, name, payload = line.split(" ")
    raw = bytearray(base64.b64decode(payload))
    raw[11] ^= 1
    lottery.log.cosignatures[built.policy + 1] = [f"{dash} {name} {b64(bytes(raw))}\n"]
    result = verify(lottery, witnesses=(witness,))

    assert result.returncode == 1
    assert "1 cosignature(s) of witness.test/w1 on checkpoint 1 do not verify" in result.stdout
    # The next cosigned checkpoint holding the policy is the close's, after the close.
    assert failed(result)[0].startswith("FAIL the policy was not witnessed before the close")


# --- The log's entries decide -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["policy", "close", "draw"])
def test_a_second_entry_for_the_day_fails(lottery, witness, kind):
    built = lottery.build_day(D, [witness])
    index = {"policy": built.policy, "close": built.close, "draw": built.draw}[kind]
    lottery.log.append(lottery.log.entries[index].replace("T00:", "T01:"))
    result = verify(lottery, witnesses=(witness,))

    assert result.returncode == 1
    assert failed(result)[0] == f"FAIL the log holds one {kind} entry for {D}: entries {index}, 3"


def test_a_second_policy_changing_the_delay_fails(lottery, witness):
    lottery.build_day(D, [witness])
    lottery.log.append(lottery.policy(D, delay_log2=4))
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 1
    assert f"FAIL the log holds one policy entry for {D}: entries 0, 3" in failed(result)


def test_a_shorter_delay_than_the_policys_fails(lottery, witness):
    # The draw's entry and answer both use 2^4 squarings, with a valid proof of it.
    lottery.build_day(D, [witness], served_delay_log2=4)
    result = verify(lottery, "--min-delay", "2^4", witnesses=(witness,))

    assert result.returncode == 1
    assert failed(result) == [
        "FAIL the draw's vdf_delay_log2 is the log's: the draw says 4, the policy entry says 8",
        "FAIL the delay function's output is proven: Pietrzak proof of 2^8 squarings over the "
        "day's count and root",
    ], result.stdout


def test_a_beacon_delay_other_than_the_policys_fails(lottery, witness):
    # The policy fixes the round 60 s after the close; the draw used the one 30 s after it.
    lottery.build_day(D, [witness], beacon_delay=60, served_beacon_delay=30)
    result = verify(lottery, "--beacon-url", f"{lottery.url}/beacon", witnesses=(witness,))

    assert result.returncode == 1
    expected_round = lottery.beacon_round(D, 60)
    assert failed(result) == [
        "FAIL the draw's beacon_delay_seconds is the log's: the draw says 30, the policy entry "
        "says 60",
        "FAIL the beacon round is the one the rule fixes: the first round 60 s after the close "
        f"is {expected_round}",
    ], result.stdout


def test_a_close_time_other_than_the_policys_fails(lottery, witness):
    built = lottery.build_day(D, [witness])
    # Still the midnight that ends the day, in another zone: an hour earlier.
    built.answer["closes_at"] = "2026-11-21T00:00:00+01:00"
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 1
    assert failed(result) == [
        "FAIL the draw's closes_at is the log's: the draw says 2026-11-20T23:00:00Z, the policy "
        "entry says 2026-11-21T00:00:00Z"
    ], result.stdout


def test_a_delay_function_day_served_under_the_old_rule_fails(lottery, witness):
    built = lottery.build_day(D, [witness])
    seed = os.urandom(32)
    built.answer.update(
        rule=HMAC_RULE,
        seed=seed.hex(),
        seed_commitment=hashlib.sha256(seed).hexdigest(),
        vdf_delay_log2=None,
        vdf_output=None,
        vdf_proof=[],
    )
    draw = verify_draw.Draw(built.answer, str(D))
    built.answer["winning_index"] = verify_draw.winning_index(draw)
    built.answer["winning_ballot_id"] = built.ids[built.answer["winning_index"]]
    result = verify(lottery, "--commitment", built.answer["seed_commitment"], witnesses=(witness,))

    assert result.returncode == 1
    assert failed(result)[0] == (
        f"FAIL the draw's rule is the log's: the draw says {HMAC_RULE}, the policy entry says "
        f"{DELAY_FUNCTION_RULE}"
    ), result.stdout
    assert "the rest is not checked: the draw is not served under its policy's rule" in (
        result.stdout
    )

    # The log's own draw entry made up the same way does not fit its policy either.
    text = lottery.log.entries[built.draw]
    output = next(line for line in text.splitlines() if line.startswith("vdf_output"))
    forged = text.replace(output, "vdf_output none").replace("seed none", f"seed {seed.hex()}")
    replace_entry(lottery, built.draw, forged)
    built.answer["record_hash"] = sha256(forged)
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 1
    assert failed(result) == [
        "FAIL the answer is in canonical form: the log's draw entry 2 does not fit its policy "
        "and close: a seed is drawn exactly on an hmac-sha256 day"
    ], result.stdout


@pytest.mark.parametrize(
    "field",
    ["winning_index", "merkle_root", "vdf_output", "record_hash"],
)
def test_each_value_the_draw_serves_must_be_the_logs(lottery, witness, field):
    built = lottery.build_day(D, [witness])
    forged = {
        "winning_index": (built.answer["winning_index"] + 1) % 5,
        "merkle_root": "ab" * 32,
        "vdf_output": "00" * 255 + "02",
        "record_hash": "cd" * 32,
    }[field]
    built.answer[field] = forged
    if field == "winning_index":
        built.answer["winning_ballot_id"] = built.ids[forged]
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 1
    assert any(line.startswith(f"FAIL the draw's {field} is the log's") for line in failed(result))


def test_an_entry_not_in_canonical_form_is_refused(lottery, witness):
    built = lottery.build_day(D, [witness])
    text = lottery.log.entries[built.close]
    replace_entry(lottery, built.close, text.replace("ballot_count 5", "ballot_count 05"))
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 1
    assert failed(result) == [
        "FAIL the answer is in canonical form: the log's entry 1 is not in canonical form: "
        "expected ballot_count and its value, got 'ballot_count 05'"
    ]


# --- The tree of the log --------------------------------------------------------------------


def test_a_newest_checkpoint_whose_root_is_not_the_entries_fails(lottery, witness):
    lottery.build_day(D, [witness])
    lottery.log.forged_roots[3] = os.urandom(32)
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 1
    assert failed(result)[0].startswith(
        "FAIL the newest checkpoint's root is the root of the log's entries"
    )


def test_a_cosigned_checkpoint_whose_root_is_not_the_entries_fails(lottery, witness):
    built = lottery.build_day(D, [witness])
    # The witness cosigned, before the close, a tree that is not the one the entries make:
    # that says nothing about the policy entry served now.
    size = built.policy + 1
    lottery.log.forged_roots[size] = os.urandom(32)
    lottery.log.cosignatures[size] = []
    lottery.log.cosign(witness, size, int(datetime(2026, 11, 19, tzinfo=UTC).timestamp()))
    result = verify(lottery, witnesses=(witness,))

    assert result.returncode == 1
    lines = failed(result)
    assert lines[0].startswith(
        "FAIL every cosigned checkpoint read has the root of the log's entries: the checkpoint "
        "of size 1 says"
    ), result.stdout
    assert lines[1].startswith("FAIL the policy was not witnessed before the close")


def test_entries_read_in_pages_must_be_exactly_those_asked_for(lottery, witness):
    lottery.build_day(D, [witness])

    def short(path: str, answer: Any) -> Any:
        if path == "/log/entries":
            answer["entries"] = answer["entries"][:-1]
        return answer

    lottery.rewrite = short
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 1
    assert (
        "GET /log/entries?start=0&limit=3 did not answer exactly those 3 entries"
        in (failed(result)[0])
    )


def test_checkpoint_pages_must_progress(lottery, witness):
    lottery.build_day(D, [witness])

    def stuck(path: str, answer: Any) -> Any:
        if path == "/log/checkpoints":  # the same page again and again
            return {"items": [lottery.log.note(1)], "next_after": 0}
        return answer

    lottery.rewrite = stuck
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 1
    assert failed(result) == [
        "FAIL the answer is in canonical form: GET /log/checkpoints?after=0: next_after is not "
        "its last size"
    ]


def test_a_log_of_more_than_one_page(lottery, witness):
    lottery.build_day(D, [witness])
    for n in range(1001):  # policies of the days ahead
        lottery.log.append(lottery.policy(D + timedelta(days=1 + n)))
    result = verify(lottery, witnesses=(witness,))
    assert result.returncode == 0, result.stdout
    assert [r for r in lottery.requests if r.startswith("/log/entries")] == [
        "/log/entries?start=0&limit=1000",
        "/log/entries?start=1000&limit=4",
    ]


# --- Days before the record, and the chain ----------------------------------------------


def predating_day(lottery: FakeLottery, witness: Witness) -> Built:
    """D drawn before the log existed: no entries, the record hash of section 5."""
    built = lottery.build_day(D, [witness])
    lottery.log.entries.clear()
    lottery.log.cosignatures.clear()
    built.answer["record_hash"] = verify_draw.record_hash(verify_draw.Draw(built.answer, str(D)))
    return built


def test_a_day_before_the_record_keeps_its_own_checks(lottery, witness):
    first = predating_day(lottery, witness)
    later = D + timedelta(days=1)
    lottery.build_day(later, [witness], previous=first)
    result = verify(lottery, witnesses=(witness,))

    assert result.returncode == 0, result.stdout
    assert (
        f"{D} predates the public record (the log's first policy entry is for {later}): only "
        "the draw's own checks run"
    ) in result.stdout
    assert "OK   the record hash" in result.stdout
    strict = verify(lottery, "--require-witnesses", witnesses=(witness,))
    assert strict.returncode == 1
    assert (
        f"SKIP the public record: {D} predates the public record (the log's first policy entry "
        f"is for {later})"
    ) in strict.stdout.splitlines()


def test_the_chain_leaves_the_log_for_days_before_it(lottery, witness):
    first = predating_day(lottery, witness)
    later = D + timedelta(days=1)
    lottery.build_day(later, [witness], previous=first)
    result = verify(lottery, "--chain", "3", day=later, witnesses=(witness,))

    assert result.returncode == 0, result.stdout
    assert f"the chain leaves the log at {later}" in result.stdout
    assert f"OK   the chain link {later} -> {D}: height 0" in result.stdout
    assert f"the chain starts at {D} (height 0)" in result.stdout


def test_the_chain_through_the_log(lottery, witness):
    first = lottery.build_day(D, [witness])
    second = lottery.build_day(D + timedelta(days=1), [witness], previous=first)
    third = lottery.build_day(D + timedelta(days=2), [witness], previous=second)
    result = verify(lottery, "--chain", "5", day=third.day, witnesses=(witness,))

    assert result.returncode == 0, result.stdout
    assert f"OK   the chain link {third.day} -> {second.day}: in the log: height 1" in (
        result.stdout
    )
    assert f"OK   the chain link {second.day} -> {D}: in the log: height 0" in result.stdout
    assert f"the chain starts at {D} (height 0)" in result.stdout

    # D's draw entry rewritten after D+1 linked to it.
    text = lottery.log.entries[first.draw]
    replace_entry(
        lottery, first.draw, text.replace("drawn_at 2026-11-21T00:03", "drawn_at 2026-11-21T00:04")
    )
    result = verify(lottery, "--chain", "5", day=third.day, witnesses=(witness,))
    assert result.returncode == 1
    assert f"FAIL the chain link {second.day} -> {D}" in result.stdout


# --- Demo days ----------------------------------------------------------------------------


def test_a_demo_day_needs_allow_demo_and_waives_only_the_floor_and_timing(lottery, witness):
    lottery.build_day(D, [witness], demo=True, policy_cosigned=2 * DAY, close_cosigned=5000)
    result = verify(lottery, "--min-delay", "2^10", witnesses=(witness,))
    assert result.returncode == 1
    assert [line.split(":")[0] for line in failed(result)] == [
        "FAIL the policy was not witnessed before the close",
        "FAIL the close was not witnessed in time",
        "FAIL the delay is at least 2^10 squarings",
    ], result.stdout

    allowed = verify(lottery, "--min-delay", "2^10", "--allow-demo", witnesses=(witness,))
    assert allowed.returncode == 0, allowed.stdout
    assert (
        f"     note: a demo day ({D}: its policy says demo yes, and --allow-demo): its delay "
        "floor and timing are not checked"
    ) in allowed.stdout.splitlines()

    # Everything else still holds: the winner, for one.
    def other_winner(path: str, answer: Any) -> Any:
        if path == f"/draws/{D}":
            answer = dict(answer, winning_index=(answer["winning_index"] + 1) % 5)
        return answer

    lottery.rewrite = other_winner
    assert verify(lottery, "--allow-demo", witnesses=(witness,)).returncode == 1


def test_allow_demo_does_not_waive_a_day_that_is_not_one(lottery, witness):
    lottery.build_day(D, [witness], close_cosigned=5000)
    result = verify(lottery, "--allow-demo", witnesses=(witness,))
    assert result.returncode == 1
    assert failed(result)[0].startswith("FAIL the close was not witnessed in time")


# --- --record ---------------------------------------------------------------------------


def test_a_rewritten_history_contradicts_the_record(lottery, witness, tmp_path):
    built = lottery.build_day(D, [witness])
    record = tmp_path / "seen.json"
    assert verify(lottery, "--record", str(record), witnesses=(witness,)).returncode == 0
    kept = json.loads(record.read_text())["log"]["checkpoints"]
    assert set(kept) == {"1", "2", "3"}

    # The lottery rewrites the policy it logged (and everything after it, signed afresh).
    policy = lottery.log.entries[built.policy]
    replace_entry(
        lottery,
        built.policy,
        policy.replace("close_witness_seconds 600", "close_witness_seconds 601"),
    )
    result = verify(lottery, "--record", str(record), witnesses=(witness,))
    assert result.returncode == 1
    assert any(
        line.startswith(
            f"FAIL the log's history is what earlier runs saw: kept root {kept['1']} for size 1"
        )
        for line in failed(result)
    ), result.stdout


def test_the_record_keeps_a_day_as_seen_open_only_before_it_closes(lottery, witness, tmp_path):
    lottery.build_day(D, [witness])
    now = datetime.now(UTC)
    lottery.lotteries = [
        {
            "date": str(day),
            "rule": DELAY_FUNCTION_RULE,
            "closes_at": closes.isoformat(),
            "beacon_delay_seconds": None,
            "vdf_delay_log2": 8,
            "seed_commitment": None,
        }
        for day, closes in [
            (date(2026, 1, 1), now - timedelta(minutes=1)),
            (date(2099, 1, 1), now + timedelta(hours=1)),
        ]
    ]
    record = tmp_path / "seen.json"
    assert verify(lottery, "--record", str(record), witnesses=(witness,)).returncode == 0
    kept = json.loads(record.read_text())
    assert "seen_open" not in kept["2026-01-01"]
    assert kept["2099-01-01"]["seen_open"] is True


def test_a_server_without_a_log(lottery, witness):
    built = lottery.build_day(D, [witness])
    lottery.log.entries.clear()
    built.answer["record_hash"] = verify_draw.record_hash(verify_draw.Draw(built.answer, str(D)))
    result = verify(lottery, log_key=None)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[1].startswith(
        "SKIP the public record: the server publishes no log (GET /log/checkpoint answered HTTP "
        "404)"
    )
    # Whoever pinned a log key expects one.
    assert verify(lottery).returncode == 1


# --- Ed25519 (RFC 8032) and signed notes, in the verifier's own code ------------------------

RFC8032 = [  # section 7.1: TEST 1, 2, 3 (secret key, public key, message, signature)
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_ed25519_rfc8032_vectors(secret, public, message, signature):
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    assert raw_public(key).hex() == public  # the vectors as transcribed
    assert key.sign(bytes.fromhex(message)).hex() == signature
    pk, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)

    assert verify_draw.ed25519_verify(pk, msg, sig)
    assert not verify_draw.ed25519_verify(pk, msg + b"\x00", sig)
    assert not verify_draw.ed25519_verify(pk, msg, sig[:-1] + bytes([sig[-1] ^ 1]))
    assert not verify_draw.ed25519_verify(pk, msg, sig[:63])


def test_ed25519_agrees_with_cryptography_on_random_keys_and_messages():
    for n in range(24):
        key = Ed25519PrivateKey.generate()
        public, message = raw_public(key), os.urandom(n * 5)
        signature = bytearray(key.sign(message))
        assert verify_draw.ed25519_verify(public, message, bytes(signature))
        signature[n % 64] ^= 1 << (n % 8)  # one bit off, in R or in S
        theirs = True
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(bytes(signature), message)
        except InvalidSignature:
            theirs = False
        assert verify_draw.ed25519_verify(public, message, bytes(signature)) is theirs is False


def test_ed25519_is_strict():
    key = Ed25519PrivateKey.generate()
    public, message = raw_public(key), b"strict"
    signature = key.sign(message)
    s = int.from_bytes(signature[32:], "little")

    # S + L is the same scalar modulo L: a malleated signature, refused.
    malleated = signature[:32] + (s + verify_draw.ED_L).to_bytes(32, "little")
    assert not verify_draw.ed25519_verify(public, message, malleated)

    # Keys of small order: the identity, the point of order 2, one of order 8.
    for small in [bytes([1]) + bytes(31), bytes.fromhex("ec" + "ff" * 30 + "7f"), SMALL_ORDER]:
        assert not verify_draw.ed25519_key_valid(small)
        assert not verify_draw.ed25519_verify(small, message, signature)
    # With the identity as R and S = 0, [8][k]A = 0 holds for any message under a key of
    # order 8 when 8 divides k: a universal forgery the small-order refusal stops.
    assert not verify_draw.ed25519_verify(SMALL_ORDER, message, bytes([1]) + bytes(63))

    # A non-canonical encoding (y >= p) of a point of large order, and its canonical one.
    p = verify_draw.ED_P
    y = next(
        y
        for y in range(19)
        if verify_draw.ed25519_key_valid(y.to_bytes(32, "little")) and (y + p) < 1 << 255
    )
    assert not verify_draw.ed25519_key_valid((y + p).to_bytes(32, "little"))
    # x = 0 with its sign bit set is no canonical encoding either.
    assert verify_draw._ed_decode(bytes([1]) + bytes(30) + b"\x80") is None

    # R not canonical: refused before any arithmetic.
    r_bad = (p + 1).to_bytes(32, "little")
    assert not verify_draw.ed25519_verify(public, message, r_bad + signature[32:])


def test_a_signed_note_is_parsed_strictly():
    note = verify_draw.Note.parse(f"a\nb\n\n\u2014 name {b64(bytes(68))}\n")
    assert note.body == "a\nb\n"
    assert note.signatures == [("name", bytes(68))]
    for bad in [
        "a\nb\n\u2014 name AAAAAAAA\n",  # no blank line
        f"a\n\n\u2014 name {b64(bytes(68))}",  # no final newline
        f"a\n\n- name {b64(bytes(68))}\n",  # not an em dash
        f"a\n\n\u2014 na me {b64(bytes(68))}\n",  # a space in the name
        "a\n\n\u2014 name AAAAAAB=\n",  # base64 with stray bits
        f"a\tb\n\n\u2014 name {b64(bytes(68))}\n",  # a control character
        f"a\ud800\n\n\u2014 name {b64(bytes(68))}\n",  # not UTF-8 (a lone surrogate)
    ]:
        with pytest.raises(ValueError):  # noqa: PT011 - each case its own reason
            verify_draw.Note.parse(bad)


def test_a_checkpoint_is_parsed_strictly():
    root = b64(bytes(32))
    sig = f"\n\u2014 log.test/x {b64(bytes(68))}\n"
    assert verify_draw.Checkpoint.parse(f"log.test/x\n7\n{root}\nextension\n{sig}", "log.test/x")
    for body in [
        f"log.test/y\n7\n{root}\n",  # another log
        f"log.test/x\n07\n{root}\n",  # a leading zero
        f"log.test/x\n7\n{b64(bytes(31))}\n",  # a short root
        f"log.test/x\n7\n{root}\n\n",  # an empty extension line
    ]:
        with pytest.raises(verify_draw.Refused):
            verify_draw.Checkpoint.parse(body + sig, "log.test/x")


def test_a_cosignature_covers_its_time_and_the_body():
    witness = Witness("w.test/a")
    key = verify_draw.Key.parse(witness.vkey, verify_draw.WITNESS_KEY_TYPE)
    body = "log.test/x\n1\n" + b64(bytes(32)) + "\n"
    line = witness.line(body, 1_700_000_000)
    note = verify_draw.Note.parse(body + "\n" + line)
    assert note.cosigned_at(key) == (1_700_000_000, 0)
    other = verify_draw.Note.parse(body.replace("\n1\n", "\n2\n") + "\n" + line)
    assert other.cosigned_at(key) == (None, 1)
    # An unknown key's lines are ignored, not counted as bad.
    stranger = verify_draw.Key.parse(Witness("w.test/b").vkey, verify_draw.WITNESS_KEY_TYPE)
    assert note.cosigned_at(stranger) == (None, 0)


def test_the_log_entries_are_the_documented_ones():
    """The entry example of docs/draw-rules.md parses; so does what fake_log writes."""
    policy = entry(
        "lottery-policy/v1",
        date="2026-12-08",
        rule=DELAY_FUNCTION_RULE,
        vdf_delay_log2=27,
        beacon="none",
        opens_at=datetime(2026, 12, 8, tzinfo=UTC),
        closes_at=datetime(2026, 12, 9, tzinfo=UTC),
        close_witness_seconds=600,
        seed_commitment=None,
        demo="no",
    )
    docs = (Path(__file__).resolve().parents[2] / "docs" / "draw-rules.md").read_text()
    assert policy in docs
    parsed = verify_draw.Entry.parse(0, policy.encode())
    assert parsed.kind == "lottery-policy/v1"
    assert verify_draw.Policy.of(parsed).closes == int(
        datetime(2026, 12, 9, tzinfo=UTC).timestamp()
    )
