"""The in-browser verifier's pure parts, run in Node without a browser.

pages/static/pages/verify.js exposes them as ``globalThis.LotteryVerifier``. The inputs are
made here with the server's own code (record/) and the ``cryptography`` package; the
small-order points of Ed25519 are computed here from the curve's equation, not copied.
"""

import base64
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from record import tree
from record.entries import entry_text
from record.notes import (
    COSIGNATURE_V1,
    ED25519,
    SIGNATURE_DASH,
    Signer,
    Verifier,
    checkpoint_body,
    cosignature_message,
)
from record.receipts import receipt_body

NODE = shutil.which("node")
SCRIPT = Path(__file__).resolve().parents[2] / "pages/static/pages/verify.js"

pytestmark = [pytest.mark.skipif(NODE is None, reason="needs node"), pytest.mark.no_database]

# Reads {"calls": [[name, args...], ...]} on stdin; byte strings travel as {"hex": ...}.
HARNESS = r"""
import fs from "node:fs";
import vm from "node:vm";
vm.runInThisContext(fs.readFileSync(process.argv[2], "utf8"), { filename: "verify.js" });
const V = globalThis.LotteryVerifier;
const bytes = (h) => Uint8Array.from(h.match(/../g) || [], (b) => parseInt(b, 16));
const decode = (a) =>
  Array.isArray(a) ? a.map(decode) : a && typeof a === "object" && "hex" in a ? bytes(a.hex) : a;
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const out = [];
for (const [name, ...args] of input.calls) {
  try {
    const values = args.map(decode);
    let value;
    if (name === "checkpointSignedBy" || name === "cosignedAt") {
      const key = await V.parseVkey(values[1], name === "cosignedAt" ? 4 : 1);
      value = await V[name](V.parseCheckpoint(values[0]), key);
    } else {
      value = await V[name](...values);
    }
    if (value instanceof Uint8Array) value = V.hexOf(value);
    else if (Array.isArray(value)) {
      value = value.map((v) => (v instanceof Uint8Array ? V.hexOf(v) : v));
    }
    else if (value && typeof value === "object") {
      const plain = (k, v) => (v instanceof Uint8Array ? V.hexOf(v) : v);
      value = JSON.parse(JSON.stringify(value, plain));
    }
    out.push({ ok: value === undefined ? null : value });
  } catch (error) {
    out.push({ error: String(error.message) });
  }
}
process.stdout.write(JSON.stringify(out));
"""

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def run(tmp_path: Path, *calls: list[Any]) -> list[dict[str, Any]]:
    harness = tmp_path / "harness.mjs"
    harness.write_text(HARNESS)
    result = subprocess.run(  # noqa: S603 - node on our own files
        [str(NODE), str(harness), str(SCRIPT)],
        input=json.dumps({"calls": calls}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def h(raw: bytes) -> dict[str, str]:
    return {"hex": raw.hex()}


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sqrt(a: int) -> int | None:
    """A square root mod P (P = 5 mod 8), or None."""
    a %= P
    x = pow(a, (P + 3) // 8, P)
    if x * x % P != a:
        x = x * SQRT_M1 % P
    return x if x * x % P == a else None


def encode(x: int, y: int) -> bytes:
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def on_curve(x: int, y: int) -> bool:
    return (-x * x + y * y - 1 - D * x * x * y * y) % P == 0


def small_order_points() -> list[tuple[int, int]]:
    """The 8 points of order dividing 8: (0, ±1), (±sqrt(-1), 0), and the 4 whose double is
    (±sqrt(-1), 0): doubling gives y = 0 exactly when x^2 = -y^2, so d y^4 + 2 y^2 - 1 = 0."""
    points = [(0, 1), (0, P - 1), (SQRT_M1, 0), (P - SQRT_M1, 0)]
    root = sqrt(1 + D)
    assert root is not None
    for y2 in ((-1 + root) * pow(D, P - 2, P) % P, (-1 - root) * pow(D, P - 2, P) % P):
        y = sqrt(y2)
        x = sqrt(-y2)
        if y is None or x is None:
            continue
        points += [(x, y), (P - x, y), (x, P - y), (P - x, P - y)]
    assert len(set(points)) == 8
    assert all(on_curve(x, y) for x, y in points)
    return points


def test_ed25519_keys_and_signatures_are_held_strictly(tmp_path):
    key = Ed25519PrivateKey.generate()
    public = raw_public(key)
    message = b"lottery"
    signature = key.sign(message)
    s = int.from_bytes(signature[32:], "little")
    malleable = signature[:32] + (s + L).to_bytes(32, "little")
    small = [encode(x, y) for x, y in small_order_points()]
    # Encodings of y >= p: y + p for y = 0 and 1 still fit in 255 bits.
    non_canonical = [(y + P).to_bytes(32, "little") for y in (0, 1)]
    off_curve = next(
        encode(0, y)
        for y in range(2, 100)
        if sqrt((y * y - 1) * pow(D * y * y + 1, P - 2, P)) is None
    )
    calls = [
        ["ed25519KeyProblem", h(public)],
        *[["ed25519KeyProblem", h(e)] for e in small],
        *[["ed25519KeyProblem", h(e)] for e in non_canonical],
        ["ed25519KeyProblem", h(off_curve)],
        ["ed25519SignatureCanonical", h(signature)],
        ["ed25519SignatureCanonical", h(malleable)],
        ["ed25519Verify", h(public), h(message), h(signature)],
        ["ed25519Verify", h(public), h(message), h(malleable)],
        ["ed25519Verify", h(public), h(b"lotterx"), h(signature)],
    ]
    answers = [a.get("ok", a.get("error")) for a in run(tmp_path, *calls)]
    assert answers[0] is None
    assert answers[1:9] == ["a point of small order"] * 8
    assert answers[9:12] == ["not the canonical encoding of a curve point"] * 3
    assert answers[12:] == [True, False, True, False, False]


def test_keys_checkpoints_and_cosignatures(tmp_path):
    signer = Signer("lottery.test/daily", Ed25519PrivateKey.generate())
    impostor = Signer("lottery.test/daily", Ed25519PrivateKey.generate())
    witness_key = Ed25519PrivateKey.generate()
    witness = Verifier("witness.test/one", COSIGNATURE_V1, raw_public(witness_key))
    root = tree.root_of([tree.leaf_hash(b"one\n"), tree.leaf_hash(b"two\n")])
    body = checkpoint_body(signer.name, 2, root)
    note = signer.sign(body)
    at = 1_790_000_000
    cosignature = witness_key.sign(cosignature_message(body, at))
    payload = witness.id + at.to_bytes(8, "big") + cosignature
    cosigned = note + f"{SIGNATURE_DASH} {witness.name} {base64.b64encode(payload).decode()}\n"
    line = note.split("\n\n")[1]
    tampered_sig = bytearray(base64.b64decode(line.split(" ")[2]))
    tampered_sig[10] ^= 1
    tampered = f"{body}\n{SIGNATURE_DASH} {signer.name} {base64.b64encode(tampered_sig).decode()}\n"
    wrong_id = signer.verifier.vkey.replace(f"+{signer.verifier.id.hex()}+", "+00000000+")
    small = Verifier("lottery.test/daily", ED25519, encode(0, 1))
    calls: list[list[Any]] = [
        ["parseVkey", signer.verifier.vkey, 1],
        ["parseVkey", witness.vkey, 4],
        ["parseVkey", witness.vkey, 1],
        ["parseVkey", wrong_id, 1],
        ["parseVkey", small.vkey, 1],
        ["parseCheckpoint", cosigned],
        ["checkpointSignedBy", cosigned, signer.verifier.vkey],
        ["checkpointSignedBy", impostor.sign(body), signer.verifier.vkey],
        ["checkpointSignedBy", tampered, signer.verifier.vkey],
        ["cosignedAt", cosigned, witness.vkey],
        [
            "cosignedAt",
            note + f"{SIGNATURE_DASH} other {base64.b64encode(payload).decode()}\n",
            witness.vkey,
        ],
        ["parseCheckpoint", body],
        ["parseCheckpoint", f"{signer.name}\n02\nAAAA\n\n{line}"],
    ]
    answers = run(tmp_path, *calls)
    assert answers[0]["ok"]["vkey"] == signer.verifier.vkey
    assert answers[0]["ok"]["key"] == signer.verifier.public_key.hex()
    assert answers[1]["ok"]["name"] == "witness.test/one"
    assert "not a key of type 0x01" in answers[2]["error"]
    assert "its key id does not match" in answers[3]["error"]
    assert "a point of small order" in answers[4]["error"]
    parsed = answers[5]["ok"]
    assert (parsed["origin"], parsed["size"], parsed["root"]) == (signer.name, 2, root.hex())
    assert parsed["body"] == body
    assert [a["ok"] for a in answers[6:11]] == ["signed", "absent", "bad", at, None]
    assert "signed note" in answers[11]["error"]
    assert "is not an integer" in answers[12]["error"]


def _entries() -> list[str]:
    policy = entry_text(
        "lottery-policy/v1",
        [
            ("date", "2026-12-08"),
            ("rule", "unicorn-pietrzak-rsa2048"),
            ("vdf_delay_log2", 27),
            ("beacon", "60 https://api.drand.sh/quicknet"),
            ("opens_at", datetime(2026, 12, 8, tzinfo=UTC)),
            ("closes_at", datetime(2026, 12, 9, tzinfo=UTC)),
            ("close_witness_seconds", 600),
            ("seed_commitment", None),
            ("demo", "no"),
        ],
    )
    close = entry_text(
        "lottery-close/v1",
        [
            ("date", "2026-12-08"),
            ("policy", "a" * 64),
            ("ballot_count", 6),
            ("merkle_root", "b" * 64),
            ("closed_at", datetime(2026, 12, 9, 0, 0, 0, 412345, tzinfo=UTC)),
        ],
    )
    draw = entry_text(
        "lottery-draw/v1",
        [
            ("date", "2026-12-08"),
            ("policy", "a" * 64),
            ("close", "c" * 64),
            ("winning_index", 3),
            ("winning_ballot_id", "0b6e2c1a-5f1d-4c3e-9a7b-2d4e6f8a0c1e"),
            ("seed", None),
            ("vdf_output", "0" * 511 + "5"),
            ("beacon_round", 123),
            ("beacon_randomness", "d" * 64),
            ("beacon_signature", "e" * 96),
            ("height", 41),
            ("previous_record_hash", "f" * 64),
            ("drawn_at", datetime(2026, 12, 9, 0, 2, 51, 1, tzinfo=UTC)),
        ],
    )
    return [policy, close, draw]


def test_entries_are_read_strictly(tmp_path):
    policy, close, draw = _entries()
    refused = [
        policy.replace("vdf_delay_log2 27", "vdf_delay_log2 027"),
        policy.replace("vdf_delay_log2 27", "vdf_delay_log2 none"),  # a delay-function day
        policy.replace("demo no", "demo maybe"),
        policy.replace("T00:00:00.000000Z\nclose", "T00:00:00Z\nclose"),  # no microseconds
        policy.replace("date 2026-12-08", "date 2026-02-30"),
        policy.replace("rule ", "rule  "),
        policy[:-1],  # no last newline
        policy + "extra 1\n",
        close.replace("b" * 64, "B" * 64),
        close.replace("ballot_count 6\nmerkle_root", "merkle_root").replace(
            "\nclosed_at", "\nballot_count 6\nclosed_at"
        ),  # the order of the lines
        draw.replace("winning_ballot_id 0b6e", "winning_ballot_id 0B6E"),
        draw.replace("0" * 511 + "5", "0" * 512),  # 0 is no group element
        "lottery-verdict/v1\ndate 2026-12-08\n",
    ]
    answers = run(tmp_path, *[["parseEntry", text] for text in [policy, close, draw, *refused]])
    assert answers[0]["ok"]["kind"] == "policy"
    assert answers[0]["ok"]["fields"]["closes_at"] == "2026-12-09T00:00:00.000000Z"
    assert answers[1]["ok"]["kind"] == "close"
    assert answers[2]["ok"]["fields"]["height"] == "41"
    for text, answer in zip(refused, answers[3:], strict=True):
        assert "error" in answer, text


def test_the_record_root_is_rfc_6962s(tmp_path):
    entries = [*_entries(), "naïve entrée\n", *(f"entry {i}\n" for i in range(9))]
    sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, len(entries)]
    answers = run(tmp_path, *[["recordRoot", entries[:size]] for size in sizes])
    for size, answer in zip(sizes, answers, strict=True):
        expected = tree.root_of([tree.leaf_hash(e.encode()) for e in entries[:size]])
        assert answer["ok"] == expected.hex(), size


def test_audit_paths_and_consistency_proofs_are_the_servers(tmp_path):
    # The standalone page builds a bundle's proofs from the entries it read: they must be the
    # ones the server gives (record/tree.py), and its check must accept exactly those.
    leaves = [tree.leaf_hash(f"entry {i}\n".encode()) for i in range(13)]
    calls: list[list[Any]] = []
    cases = []
    for size in (1, 2, 3, 5, 8, 13):
        for index in sorted({0, size // 2, size - 1}):
            calls.append(["auditPath", [h(x) for x in leaves[:size]], index])
            cases.append(("path", size, index))
        for old in sorted({1, size // 2 or 1, size}):
            calls.append(["consistencyProof", [h(x) for x in leaves[:size]], old])
            cases.append(("consistency", size, old))
    answers = run(tmp_path, *calls)
    checks: list[list[Any]] = []
    expected: list[bool] = []
    for (what, size, n), answer in zip(cases, answers, strict=True):
        if what == "path":
            assert answer["ok"] == [x.hex() for x in tree.audit_path(leaves[:size], n)], (size, n)
        else:
            proof = tree.consistency_path(leaves[:size], n)
            assert answer["ok"] == [x.hex() for x in proof], (size, n)
            old_root, new_root = tree.root_of(leaves[:n]), tree.root_of(leaves[:size])
            honest = [h(x) for x in proof]
            checks.append(["consistent", n, size, h(old_root), h(new_root), honest])
            expected.append(True)
            if proof:  # a changed hash, or another old tree, fails
                bad = [h(bytes(32)), *honest[1:]]
                checks.append(["consistent", n, size, h(old_root), h(new_root), bad])
                checks.append(["consistent", n, size, h(bytes(32)), h(new_root), honest])
                expected += [False, False]
    verdicts = [a["ok"] for a in run(tmp_path, *checks)]
    assert verdicts == expected


def test_receipts_are_read_strictly(tmp_path):
    signer = Signer("lottery.test/daily", Ed25519PrivateKey.generate())
    ids = ["0b6e2c1a-5f1d-4c3e-9a7b-2d4e6f8a0c1e", "4f000000-0000-4000-8000-000000000000"]
    body = receipt_body(
        origin=signer.name,
        lottery_date=datetime(2026, 12, 8, tzinfo=UTC).date(),
        accepted_at=datetime(2026, 12, 7, 23, 40, 0, 123456, tzinfo=UTC),
        policy_hash="a" * 64,
        ballot_ids=ids,  # type: ignore[arg-type]
    )
    note = signer.sign(body)
    refused = [
        note.replace(" receipt/v1\n", " receipt/v2\n"),
        note.replace(f"{signer.name} receipt/v1", f"{signer.name}\n"),  # a checkpoint's
        note.replace(f"ballot {ids[0]}\nballot {ids[1]}", f"ballot {ids[1]}\nballot {ids[0]}"),
        note.replace(f"ballot {ids[0]}", f"ballot {ids[0].upper()}"),
        note.replace(".123456Z", "Z"),
        note.replace(f"ballot {ids[0]}\nballot {ids[1]}\n", ""),
    ]
    answers = run(
        tmp_path,
        ["parseReceipt", note],
        ["checkpointSignedBy", note, signer.verifier.vkey],
        *[["parseReceipt", text] for text in refused],
    )
    receipt = answers[0]["ok"]
    assert (receipt["origin"], receipt["date"], receipt["ballots"]) == (
        signer.name,
        "2026-12-08",
        ids,
    )
    assert (receipt["acceptedAt"], receipt["policy"]) == ("2026-12-07T23:40:00.123456Z", "a" * 64)
    assert "error" in answers[1]  # a receipt is no checkpoint
    for text, answer in zip(refused, answers[2:], strict=True):
        assert "error" in answer, text


def test_numbers_text_and_closes_at_are_held_to_the_rules(tmp_path):
    # docs/draw-rules.md, 7: integers -0 or above 2^53 - 1 are refused, JSON is UTF-8 without a
    # byte-order mark, closes_at is the midnight that ends the date whatever the rule.
    calls: list[list[Any]] = [
        ["parseJSON", '{"height": 9007199254740991}'],
        ["parseJSON", '{"height": 9007199254740992}'],
        ["parseJSON", f'{{"height": {2**60 + 1}}}'],
        ["parseJSON", '{"height": -0}'],
        ["utf8Text", h(b'{"a": 1}')],
        ["utf8Text", h('{"a": 1}'.encode("utf-8-sig"))],
        ["utf8Text", h('{"a": 1}'.encode("utf-16"))],
        ["utf8Text", h('{"a": 1}'.encode("utf-16-le"))],
        ["utf8Text", h(b'{"a": "\xff"}')],
        ["dayClose", "2026-12-09T00:00:00Z", "2026-12-08"],
        ["dayClose", "2026-12-09T00:00:00+01:00", "2026-12-08"],
        ["dayClose", "2026-12-09T00:00:00.000000+00:00", "2026-12-08"],
        ["dayClose", "whenever", "2026-12-08"],
        ["dayClose", "2026-12-08T23:00:00Z", "2026-12-08"],
        ["dayClose", "2026-12-10T00:00:00Z", "2026-12-08"],
    ]
    answers = run(tmp_path, *calls)
    assert answers[0]["ok"] == {"height": 2**53 - 1}
    # Each is refused: kept as its source text, which no check takes for an integer (a
    # browser), or the whole answer refused (a JSON.parse without source text, as Node 20's).
    for refused in answers[1:4]:
        assert "not a plain integer" in refused.get("error", "") or set(
            refused["ok"]["height"]
        ) == {"source"}, refused
    assert answers[4] == {"ok": '{"a": 1}'}
    assert "byte-order mark" in answers[5]["error"]
    assert "not UTF-8" in answers[6]["error"]
    assert "NUL" in answers[7]["error"]
    assert "not UTF-8" in answers[8]["error"]
    midnight = int(datetime(2026, 12, 9, tzinfo=UTC).timestamp())
    assert [a["ok"] for a in answers[9:]] == [midnight, midnight - 3600, midnight, None, None, None]


def test_a_proof_of_omission_needs_neighbours_with_no_room_between(tmp_path):
    a, x, b = (f"{n:08x}-0000-4000-8000-000000000000" for n in (1, 2, 3))
    left, right = {"ballot_id": a, "leaf_index": 4}, {"ballot_id": b, "leaf_index": 5}
    calls: list[list[Any]] = [
        ["omissionHolds", x, left, right, 9],
        ["omissionHolds", x, left, {**right, "leaf_index": 6}, 9],  # room for x between
        ["omissionHolds", x, None, {**right, "leaf_index": 0}, 9],
        ["omissionHolds", x, None, right, 9],
        ["omissionHolds", x, {**left, "leaf_index": 8}, None, 9],
        ["omissionHolds", x, left, None, 9],
        ["omissionHolds", x, None, None, 0],
        ["omissionHolds", x, None, None, 9],
        ["omissionHolds", a, left, right, 9],  # a is the left neighbour itself
    ]
    answers = [a["ok"] for a in run(tmp_path, *calls)]
    held = [answer is not None for answer in answers]
    assert held == [True, False, True, False, True, False, True, False, False]
