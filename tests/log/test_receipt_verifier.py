"""scripts/verify_draw.py --receipt, --save-bundle and --bundle (docs/draw-rules.md, 7).

A receipt is the lottery's signed word that it accepted ballots; a ballot it names is either
in the day's witnessed close (an inclusion proof) or shown absent from it by its neighbours'
proofs: a proof of omission, a failed check. The bundle keeps what the online check read so
that anyone can check it again with no network, and must refuse any change to it.

Two servers play the lottery: the fake one of tests/log/fake_log.py (its log, its witness,
its ballot ids chosen by the test) and the real API on the live server.
"""

import base64
import hashlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ballots.models import Ballot, Lottery
from ballots.services import lottery_ensure
from draws.services import lottery_draw
from record import tree
from record.entries import instant
from record.keys import log_signer
from record.models import Entry
from scripts import verify_draw
from tests.conftest import D, on, submit, the_day_after
from tests.log.fake_log import EM_DASH, FakeLottery, Witness, b64, key_id, raw_public

pytestmark = pytest.mark.no_database

VERIFIER = Path(__file__).resolve().parents[2] / "scripts" / "verify_draw.py"
FLOOR = ("--min-delay", "2^8")
ACCEPTED = datetime(2026, 11, 20, 12, 0, 0, 123456, tzinfo=UTC)
SMALLEST = "00000000-0000-4000-8000-000000000000"
LARGEST = "ffffffff-ffff-4fff-bfff-ffffffffffff"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own script, no shell
        [sys.executable, "-I", "-S", str(VERIFIER), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("FAIL")]


def receipt_body(origin: str, day: date, accepted: datetime, policy: str | None, ids: list[str]):
    """The body of docs/draw-rules.md, 7, written here from the spec."""
    lines = [
        f"{origin} receipt/v1",
        f"date {day}",
        f"accepted_at {accepted.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}",
        f"policy {policy or 'none'}",
        *(f"ballot {ballot_id}" for ballot_id in sorted(ids)),
    ]
    return "\n".join(lines) + "\n"


def signed(body: str, origin: str, key: Ed25519PrivateKey) -> str:
    signature = key_id(origin, 0x01, raw_public(key)) + key.sign(body.encode())
    return f"{body}\n{EM_DASH} {origin} {b64(signature)}\n"


# --- RFC 6962 inside the script, against the server's record/tree.py ---------------------


def test_audit_paths_and_consistency_proofs_agree_with_the_servers_tree():
    leaves = [tree.leaf_hash(bytes([n])) for n in range(40)]
    for size in range(41):
        hashes = leaves[:size]
        root = tree.root_of(hashes)
        assert verify_draw.tree_root(hashes) == root
        for index in range(size):
            path = verify_draw.audit_path(hashes, index)
            assert path == tree.audit_path(hashes, index)
            assert verify_draw.path_root(hashes[index], index, size, path) == root
        for old in range(size + 1):
            proof = verify_draw.consistency_path(hashes, old)
            assert proof == tree.consistency_path(hashes, old)
            old_root = tree.root_of(leaves[:old])
            assert verify_draw.consistency_valid(old, size, old_root, root, proof)
            assert tree.consistency_valid(old, size, old_root, root, proof)
            if 0 < old < size:  # any hash changed, and it no longer holds
                for n in range(len(proof)):
                    bad = [*proof[:n], bytes(32), *proof[n + 1 :]]
                    assert not verify_draw.consistency_valid(old, size, old_root, root, bad)
                assert not verify_draw.consistency_valid(old, size, bytes(32), root, proof)
                assert not verify_draw.consistency_valid(old, size, old_root, bytes(32), proof)


# --- A fake lottery whose ballot ids and witness the test chooses --------------------------


class PagedLottery(FakeLottery):
    """The fake lottery, its ballot list paged as the API pages it (after, limit)."""

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[0] == "draws" and len(parts) == 3 and parts[2] == "ballots":
            after, limit = query.get("after"), int(query.get("limit", "1000"))
            ids = [i for i in self.ballots[parts[1]] if after is None or i > after][:limit]
            return 200, {"items": ids, "next_after": ids[-1] if len(ids) == limit else None}
        return super().answer(path, query)

    def receipt(self, ids: list[str], *, day: date = D, accepted: datetime = ACCEPTED) -> str:
        policy = next(e for e in self.log.entries if e.startswith(f"lottery-policy/v1\ndate {day}"))
        digest = hashlib.sha256(policy.encode()).hexdigest()
        body = receipt_body(self.log.origin, day, accepted, digest, ids)
        return signed(body, self.log.origin, self.log.key)


@pytest.fixture
def lottery() -> Iterator[PagedLottery]:
    fake = PagedLottery()
    with fake:
        yield fake


@pytest.fixture
def witness() -> Witness:
    return Witness("witness.test/w1")


def check_receipt(
    lottery: PagedLottery,
    receipt: str,
    tmp_path: Path,
    *args: str,
    witness: Witness | None = None,
    day: date = D,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The online check of ``receipt``, pinning the log's key (and ``witness``'s); the bundle."""
    (tmp_path / "receipt.txt").write_text(receipt)
    bundle = tmp_path / "bundle.json"
    pins = ["--log-key", lottery.log.vkey, *(["--witness-key", witness.vkey] if witness else [])]
    result = run(
        lottery.url,
        str(day),
        *FLOOR,
        *pins,
        "--receipt",
        str(tmp_path / "receipt.txt"),
        "--save-bundle",
        str(bundle),
        *args,
    )
    return result, bundle


def offline(
    bundle: Path, *args: str, log_key: str | None = None
) -> subprocess.CompletedProcess[str]:
    """--bundle, with no BASE_URL: nothing to reach."""
    pins = ["--log-key", log_key] if log_key else []
    return run("--bundle", str(bundle), *FLOOR, *pins, *args)


def test_an_honest_receipt_passes_online_and_its_bundle_offline(lottery, witness, tmp_path):
    built = lottery.build_day(D, [witness], ballots=9)
    batch = [built.ids[2], built.ids[7]]
    result, bundle = check_receipt(lottery, lottery.receipt(batch), tmp_path, witness=witness)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "all checks passed"
    for ballot_id in batch:
        assert f"OK   ballot {ballot_id} is in the day's witnessed close" in result.stdout
    assert "OK   the receipt is signed by the log key: lottery.test/daily" in result.stdout
    assert "OK   the receipt's ballots were accepted while the day was open" in result.stdout
    kept = json.loads(bundle.read_text())
    assert kept["bundle"] == "lottery-ballot-bundle/v1"
    assert [b["ballot_id"] for b in kept["ballots"]] == batch
    assert len(kept["witnessed"]) == 2  # the policy's first cosigned checkpoint, the close's

    lottery.__exit__()  # no server any more: the bundle alone
    checked = offline(bundle, "--witness-key", witness.vkey, log_key=lottery.log.vkey)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[-1] == "all checks passed"
    assert "OK   the policy was witnessed before the close" in checked.stdout
    assert "OK   the winning ballot sits at the winning index" in checked.stdout

    # Without --log-key the bundle's own key is used, and the run says so.
    unpinned = offline(bundle, "--witness-key", witness.vkey)
    assert unpinned.returncode == 0, unpinned.stdout
    assert "SKIP the lottery's log key is not pinned (--log-key)" in unpinned.stdout
    assert offline(bundle, "--require-witnesses").returncode == 1
    # A witness the bundle holds no cosignature of fails, as online.
    stranger = Witness("witness.test/w2")
    result = offline(bundle, "--witness-key", stranger.vkey, log_key=lottery.log.vkey)
    assert result.returncode == 1
    assert failed(result)[0].startswith(
        f"FAIL the policy entry was cosigned by witness {stranger.name}"
    )


@pytest.mark.parametrize(
    ("ballots", "where", "shown"),
    [
        (12, "between", "has {left} at index 5 and {right} at index 6"),
        (12, "below", "has {right}, above it, first (index 0)"),
        (12, "above", "has {left}, below it, last (index 11)"),
        (1, "below", "has {right}, above it, first (index 0)"),
        (1, "above", "has {left}, below it, last (index 0)"),
        (0, "between", "holds no ballots (ballot_count 0)"),
    ],
    ids=["between", "below-all", "above-all", "one-ballot-below", "one-ballot-above", "none"],
)
def test_a_receipted_ballot_left_out_is_a_proof_of_omission(
    lottery, witness, tmp_path, ballots, where, shown
):
    ids = lottery.build_day(D, [witness], ballots=ballots).ids
    omitted = {
        "between": str(uuid.UUID(int=uuid.UUID(ids[5]).int + 1))
        if ballots > 5
        else str(uuid.uuid4()),
        "below": SMALLEST,
        "above": LARGEST,
    }[where]
    result, bundle = check_receipt(lottery, lottery.receipt([omitted]), tmp_path, witness=witness)

    below, above = [i for i in ids if i < omitted], [i for i in ids if i > omitted]
    left, right = (below[-1] if below else None), (above[0] if above else None)
    close = f"its close of {ballots} ballots" if ballots else "its close"
    assert failed(result) == [
        f"FAIL ballot {omitted} is in the day's witnessed close: PROOF OF OMISSION: the lottery "
        f"signed its receipt (accepted at {instant(ACCEPTED)}) and {close} "
        + shown.format(left=left, right=right)
    ], result.stdout + result.stderr
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "1 check(s) FAILED"

    kept = json.loads(bundle.read_text())
    assert kept["ballots"][0]["ballot_id"] == omitted
    absent = kept["ballots"][0]["absent"]
    assert [n and n["ballot_id"] for n in (absent["left"], absent["right"])] == [left, right]

    lottery.__exit__()  # no server any more: the bundle alone
    checked = offline(bundle, "--witness-key", witness.vkey, log_key=lottery.log.vkey)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert failed(checked) == failed(result)


def test_the_neighbours_are_found_from_a_little_below(lottery, witness, tmp_path):
    built = lottery.build_day(D, [witness], ballots=300)
    omitted = str(uuid.uuid4())
    result, _ = check_receipt(lottery, lottery.receipt([omitted]), tmp_path, witness=witness)
    assert result.returncode == 1
    assert "PROOF OF OMISSION" in failed(result)[0]
    pages = [r for r in lottery.requests if "/ballots?" in r]
    assert 1 <= len(pages) <= 3, pages  # not the whole list of 300: a page of 100 around it
    assert len(built.ids) == 300


def test_a_forged_receipt_proves_nothing(lottery, witness, tmp_path):
    built = lottery.build_day(D, [witness], ballots=6)
    omitted = str(uuid.uuid4())
    # Signed by another key under the log's own name: anyone could write that.
    other = Ed25519PrivateKey.generate()
    body = receipt_body(lottery.log.origin, D, ACCEPTED, None, [omitted])
    policy = hashlib.sha256(lottery.log.entries[built.policy].encode()).hexdigest()
    body = body.replace("policy none", f"policy {policy}")
    result, _ = check_receipt(lottery, signed(body, lottery.log.origin, other), tmp_path)

    assert result.returncode == 1
    lines = failed(result)
    assert lines[0] == "FAIL the receipt is signed by the log key: lottery.test/daily"
    assert lines[1].startswith(f"FAIL ballot {omitted} is in the day's witnessed close: absent:")
    assert lines[1].endswith("; the receipt does not hold: no proof of omission")
    assert "PROOF OF OMISSION" not in result.stdout


def test_a_receipt_for_another_day_fails(lottery, witness, tmp_path):
    first = lottery.build_day(D, [witness], ballots=4)
    lottery.build_day(the_day_after(D), [witness], ballots=4, previous=first)
    later = lottery.ballots[str(the_day_after(D))][1]
    receipt = lottery.receipt([later], day=the_day_after(D), accepted=ACCEPTED + timedelta(days=1))
    result, _ = check_receipt(lottery, receipt, tmp_path, witness=witness)

    assert result.returncode == 1
    lines = failed(result)
    assert lines[:2] == [
        f"FAIL the receipt is for {D}: it says {the_day_after(D)}",
        "FAIL the receipt names the day's policy entry: it says "
        f"{hashlib.sha256(lottery.log.entries[3].encode()).hexdigest()}; the log's is "
        f"{hashlib.sha256(lottery.log.entries[0].encode()).hexdigest()}",
    ], result.stdout
    assert "PROOF OF OMISSION" not in result.stdout
    # Checked on its own day, it holds.
    assert check_receipt(lottery, receipt, tmp_path, day=the_day_after(D))[0].returncode == 0


def test_a_receipt_accepted_after_the_close_fails(lottery, witness, tmp_path):
    built = lottery.build_day(D, [witness], ballots=4)
    late = lottery.receipt([built.ids[0]], accepted=datetime(2026, 11, 21, 0, 0, 1, tzinfo=UTC))
    result, _ = check_receipt(lottery, late, tmp_path, witness=witness)
    assert result.returncode == 1
    assert failed(result) == [
        "FAIL the receipt's ballots were accepted while the day was open: accepted at "
        "2026-11-21T00:00:01.000000Z; the policy opens the day at 2026-11-20T00:00:00Z and "
        "closes it at 2026-11-21T00:00:00Z"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "not a note",
        "lottery.test/daily checkpoint/v1\ndate 2026-11-20\n\n{sig}",
        "lottery.test/daily receipt/v1\ndate 2026-11-20\naccepted_at x\npolicy none\n\n{sig}",
    ],
)
def test_a_file_that_is_not_a_receipt_is_refused_before_anything_is_read(lottery, tmp_path, text):
    (tmp_path / "receipt.txt").write_text(text.format(sig=f"{EM_DASH} a {b64(bytes(68))}\n"))
    result = run(lottery.url, str(D), "--receipt", str(tmp_path / "receipt.txt"))
    assert result.returncode == 2
    assert "--receipt" in result.stderr
    assert "not a receipt" in result.stderr
    assert lottery.requests == []


# --- Tampered bundles -------------------------------------------------------------------


def flip(hex_text: str) -> str:
    return hex_text[:-1] + ("0" if hex_text[-1] != "0" else "1")


def resign(lottery: PagedLottery, note: str) -> str:
    """The checkpoint's body signed by another key under the log's name."""
    body = note[: note.index("\n\n") + 1]
    return signed(body, lottery.log.origin, Ed25519PrivateKey.generate())


TAMPERINGS = {
    "entry text": lambda b, lot: b["entries"]["draw"].update(
        text=b["entries"]["draw"]["text"].replace("T00:03:00", "T00:03:01")
    ),
    "entry path": lambda b, lot: b["entries"]["policy"]["path"].__setitem__(
        0, flip(b["entries"]["policy"]["path"][0])
    ),
    "ballot path": lambda b, lot: b["ballots"][0]["path"].__setitem__(
        -1, flip(b["ballots"][0]["path"][-1])
    ),
    "winner path": lambda b, lot: b["winner"]["path"].__setitem__(0, flip(b["winner"]["path"][0])),
    "close count": lambda b, lot: b["entries"]["close"].update(
        text=b["entries"]["close"]["text"].replace("ballot_count 9", "ballot_count 10")
    ),
    "checkpoint re-signed": lambda b, lot: b.update(checkpoint=resign(lot, b["checkpoint"])),
    "witnessed re-signed": lambda b, lot: b["witnessed"][0].update(
        checkpoint=resign(lot, b["witnessed"][0]["checkpoint"])
    ),
    "consistency": lambda b, lot: b["witnessed"][0]["consistency"].__setitem__(
        0, flip(b["witnessed"][0]["consistency"][0])
    ),
    "receipt": lambda b, lot: b.update(receipt=b["receipt"].replace(":00.123456Z", ":01.123456Z")),
    "draw answer": lambda b, lot: b["draw"].update(
        winning_index=(b["draw"]["winning_index"] + 1) % 9
    ),
    "leaf index": lambda b, lot: b["ballots"][0].update(
        leaf_index=b["ballots"][0]["leaf_index"] + 1
    ),
    "unknown field": lambda b, lot: b.update(note="trust me"),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_a_tampered_bundle_is_refused(lottery, witness, tmp_path, tampering):
    built = lottery.build_day(D, [witness], ballots=9)
    result, bundle = check_receipt(
        lottery, lottery.receipt([built.ids[4]]), tmp_path, witness=witness
    )
    assert result.returncode == 0, result.stdout
    honest = json.loads(bundle.read_text())
    assert offline(bundle, "--witness-key", witness.vkey, log_key=lottery.log.vkey).returncode == 0

    TAMPERINGS[tampering](honest, lottery)
    bundle.write_text(json.dumps(honest))
    checked = offline(bundle, "--witness-key", witness.vkey, log_key=lottery.log.vkey)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert failed(checked), checked.stdout


def test_a_bundle_needs_no_base_url_and_takes_none(lottery, witness, tmp_path):
    nothing = run(*FLOOR)
    assert nothing.returncode == 2
    assert "give BASE_URL and DATE (or --bundle FILE" in nothing.stderr
    both = run(lottery.url, str(D), "--bundle", str(tmp_path / "b.json"))
    assert both.returncode == 2
    assert "--bundle FILE is checked with no network" in both.stderr
    missing = run("--bundle", str(tmp_path / "none.json"))
    assert missing.returncode == 2
    assert "cannot check the bundle" in missing.stderr
    assert lottery.requests == []


def test_a_ballot_bundle_without_a_receipt(lottery, witness, tmp_path):
    built = lottery.build_day(D, [witness], ballots=5)
    bundle = tmp_path / "ballot.json"
    result = run(
        lottery.url, str(D), *FLOOR, "--log-key", lottery.log.vkey,
        "--ballot", built.ids[3], "--save-bundle", str(bundle),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    kept = json.loads(bundle.read_text())
    assert kept["receipt"] is None
    assert kept["witnessed"] == []  # no witness pinned
    checked = offline(bundle, log_key=lottery.log.vkey)
    assert checked.returncode == 0, checked.stdout
    assert f"OK   ballot {built.ids[3]} is in the draw" in checked.stdout


# --- The real API --------------------------------------------------------------------------


def the_day_opened() -> Lottery:
    """Day D made a day before it opens, its policy in the public record, as the sweep does."""
    with on(D - timedelta(days=1)):
        lottery_ensure(lottery_dates=[D])
    return Lottery.objects.get(date=D)


def api_receipt(answer: dict[str, Any]) -> str:
    """The receipt the API gave; the same body signed with the server's key if it gave none."""
    if answer.get("receipt"):
        return str(answer["receipt"])
    ballot = Ballot.objects.get(pk=answer["id"])
    policy = Entry.objects.get(kind=Entry.Kind.POLICY, date=D).text
    signer = log_signer()
    digest = hashlib.sha256(policy.encode()).hexdigest()
    return signer.sign(receipt_body(signer.name, D, ballot.created_at, digest, [answer["id"]]))


def server_vkey() -> str:
    return log_signer().verifier.vkey


@pytest.mark.django_db(transaction=True)
def test_the_apis_receipt_passes_and_its_bundle_offline(live_server, user, auth_client, tmp_path):
    lottery = the_day_opened()
    with on(D):
        answer = submit(auth_client).json()
    Ballot.objects.bulk_create([Ballot(user=user, lottery=lottery) for _ in range(20)])
    with on(the_day_after(D), hour=0):
        lottery_draw(lottery_date=D)
    (tmp_path / "receipt.txt").write_text(api_receipt(answer))

    result = run(
        live_server.url, str(D), *FLOOR, "--log-key", server_vkey(),
        "--receipt", "receipt.txt", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK   ballot {answer['id']} is in the day's witnessed close" in result.stdout
    bundle = tmp_path / f"bundle-{D}-{answer['id'][:8]}.json"  # where --receipt keeps it
    assert f"proof bundle saved in {bundle.name}" in result.stdout

    checked = offline(bundle, log_key=server_vkey())
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The test server asks no witness: that one check is left, as online.
    assert checked.stdout.splitlines()[-1] == (
        "all checks passed; not checked: witnesses (--witness-key)"
    )


@pytest.mark.django_db(transaction=True)
def test_a_ballot_accepted_then_deleted_before_the_close_is_proven_omitted(
    live_server, user, auth_client, tmp_path
):
    lottery = the_day_opened()
    with on(D):
        answer = submit(auth_client).json()
    Ballot.objects.bulk_create([Ballot(user=user, lottery=lottery) for _ in range(20)])
    receipt = api_receipt(answer)
    Ballot.objects.filter(pk=answer["id"]).delete()  # the operator drops it before midnight
    with on(the_day_after(D), hour=0):
        lottery_draw(lottery_date=D)
    (tmp_path / "receipt.txt").write_text(receipt)

    result = run(
        live_server.url, str(D), *FLOOR, "--log-key", server_vkey(),
        "--receipt", "receipt.txt", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = failed(result)
    assert line.startswith(
        f"FAIL ballot {answer['id']} is in the day's witnessed close: PROOF OF OMISSION: the "
        "lottery signed its receipt (accepted at 2026-11-20T12:00:00.000000Z) and its close of "
        "20 ballots has "
    ), result.stdout

    bundle = tmp_path / f"bundle-{D}-{answer['id'][:8]}.json"
    checked = offline(bundle, log_key=server_vkey())
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert failed(checked) == [line]
    # The bundle's receipt is the lottery's: its key, not the test's, signed it.
    kept = json.loads(bundle.read_text())
    signature = base64.b64decode(kept["receipt"].rsplit(" ", 1)[1])
    assert signature[:4] == log_signer().verifier.id
