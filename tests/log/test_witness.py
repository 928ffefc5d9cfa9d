"""scripts/witness.py, run for real: a subprocess spoken to over HTTP, as a log would."""

import base64
import hashlib
import json
import re
import signal
import stat
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from scripts import witness as w
from tests.log.tlog import (
    EM_DASH,
    Log,
    b64,
    consistency_proof,
    key_id,
    leaf_hash,
    verify_cosignature,
)
from tests.log.witnesses import TIMEOUT, Launcher, Running

pytestmark = pytest.mark.no_database

ORIGIN = "lottery.test/daily"
VKEY_RE = re.compile(r"witness\.localhost/([0-9a-f]{8})\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)")


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: str


def http(url: str, body: bytes | None = None) -> Reply:
    assert url.startswith("http://127.0.0.1:")
    method = "GET" if body is None else "POST"
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return Reply(
                response.status, response.headers["Content-Type"], response.read().decode()
            )
    except urllib.error.HTTPError as e:
        with e:
            return Reply(e.code, e.headers["Content-Type"], e.read().decode())


def add(running: Running, body: bytes) -> Reply:
    return http(running.url + "/add-checkpoint", body)


def assert_cosigned(running: Running, reply: Reply, log: Log, size: int | None = None) -> str:
    """The reply is one cosignature of the log's checkpoint at `size`; the body it covers."""
    assert reply.status == 200, reply
    assert reply.content_type == "text/x.tlog.cosignature"
    body = log.body(size)
    cosignature = verify_cosignature(running.vkey, reply.body, body)
    assert abs(cosignature.timestamp - time.time()) < 10
    return body


def state(state_dir: Path) -> dict[str, dict[str, object]]:
    return json.loads((state_dir / "witness-state.json").read_text())["logs"]


def history(*entries: str) -> Log:
    log = Log(ORIGIN)
    log.append(*entries)
    return log


def fork_of(log: Log, size: int, *entries: str) -> Log:
    """The same origin and key, the first `size` entries kept, then other entries."""
    fork = Log(log.origin, log.key, log.leaves[:size])
    fork.append(*entries)
    return fork


def test_prints_its_vkey_and_keeps_its_key(launcher: Launcher, tmp_path: Path) -> None:
    key_file = tmp_path / "witness.key"
    first = launcher.start(key_file, history().vkey)

    match = VKEY_RE.fullmatch(first.vkey)
    assert match, first.vkey
    raw = base64.b64decode(match[3], validate=True)
    assert raw[0] == 0x04
    assert len(raw) == 33
    name = f"witness.localhost/{match[1]}"
    assert match[1] == hashlib.sha256(raw[1:]).hexdigest()[:8]
    assert match[2] == key_id(name, 0x04, raw[1:]).hex()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith(f"PRIVATE+KEY+{name}+{match[2]}+")
    assert http(first.url + "/health") == Reply(200, "text/plain; charset=utf-8", "ok\n")
    assert http(first.url + "/nowhere").status == 404
    assert http(first.url + "/health", b"x").status == 404

    first.proc.send_signal(signal.SIGTERM)
    assert first.proc.wait(timeout=TIMEOUT) == 0
    again = launcher.start(key_file, history().vkey, extra=("--name", name))
    assert again.vkey == first.vkey
    again.proc.send_signal(signal.SIGINT)
    assert again.proc.wait(timeout=TIMEOUT) == 0

    refusal = launcher.refused(
        "--key-file", str(key_file), "--log-key", history().vkey, "--name", "x.example/w"
    )
    assert "differs from the key file's name" in refusal
    named = launcher.start(tmp_path / "named.key", history().vkey, extra=("--name", "w.example/1"))
    assert named.vkey.startswith("w.example/1+")


def test_cosigns_only_a_consistent_history(launcher: Launcher, tmp_path: Path) -> None:
    log = history("a", "b", "c")
    running = launcher.start(tmp_path / "witness.key", log.vkey)

    assert_cosigned(running, add(running, log.request(0)), log)
    assert state(tmp_path)[ORIGIN]["size"] == 3
    log.append("d", "e", "f", "g")
    assert_cosigned(running, add(running, log.request(3)), log)
    # The same checkpoint again, and its older one with a stale old size.
    assert_cosigned(running, add(running, log.request(7)), log)
    for old, size in [(3, 7), (0, 7), (0, 3), (5, 7)]:
        assert add(running, log.request(old, size)) == Reply(409, "text/x.tlog.size", "7\n")

    # A rewritten history of the same size: refused, not answered with a size.
    rewritten = fork_of(log, 5, "F", "G")
    reply = add(running, rewritten.request(7))
    assert reply.status == 409
    assert reply.content_type != "text/x.tlog.size"
    # A larger rewritten history, with its own (true) proof from its own tree at 7.
    rewritten.append("H", "I")
    assert add(running, rewritten.request(7)).status == 422
    # The true tree at 9, with a proof that does not lead there from the cosigned root.
    log.append("h", "i")
    wrong_proofs = [[], consistency_proof(7, rewritten.leaves), consistency_proof(6, log.leaves)]
    honest = consistency_proof(7, log.leaves)
    wrong_proofs += [honest[:-1], [*honest, honest[0]], [honest[1], honest[0], *honest[2:]]]
    for proof in wrong_proofs:
        assert add(running, log.request(7, proof=proof)).status == 422, proof
    assert state(tmp_path)[ORIGIN] == {"size": 7, "root": b64(log.root_at(7))}

    assert_cosigned(running, add(running, log.request(7)), log)
    assert state(tmp_path)[ORIGIN]["size"] == 9


def test_refuses_what_the_log_did_not_sign(launcher: Launcher, tmp_path: Path) -> None:
    log = history("a", "b")
    other_origin = Log("elsewhere.test/log")
    other_origin.append("a")
    running = launcher.start(tmp_path / "witness.key", log.vkey, other_origin.vkey)

    impostor = Ed25519PrivateKey.generate()
    forged = log.checkpoint(signer=impostor)
    assert add(running, f"old 0\n\n{forged}".encode()).status == 403
    # A valid signature over another body (the root changed under it).
    tampered = log.checkpoint().replace(b64(log.root_at(2)), b64(log.root_at(1)))
    assert add(running, f"old 0\n\n{tampered}".encode()).status == 403
    # Only a signature from an unknown key name: ignored, so nothing verifies.
    renamed = log.checkpoint().replace(f"{EM_DASH} {ORIGIN} ", f"{EM_DASH} someone.else ")
    assert add(running, f"old 0\n\n{renamed}".encode()).status == 403
    # The log's good signature beside an unknown key's: the unknown one is ignored.
    extra = f"{EM_DASH} someone.else {b64(b'1234' + bytes(64))}\n"
    assert_cosigned(running, add(running, f"old 0\n\n{log.checkpoint()}{extra}".encode()), log)

    unknown = Log("unknown.test/log")
    unknown.append("a")
    assert add(running, unknown.request(0)).status == 404
    # Proof lines where there is nothing to prove, on an origin never cosigned.
    other_origin.append("b")
    lines = f"old 0\n{b64(leaf_hash(b'a'))}\n\n{other_origin.checkpoint()}"
    assert add(running, lines.encode()).status == 422
    assert add(running, other_origin.request(2, 1, proof=[])).status == 400  # old above the size
    assert_cosigned(running, add(running, other_origin.request(0)), other_origin)


def garbage(log: Log) -> list[bytes]:
    cp = log.checkpoint()
    sigs = cp.split("\n\n")[1]
    root = b64(log.root_at(3))
    return [
        b"",
        b"hello",
        f"old 0\n{cp}".encode(),  # no empty line
        f"old 00\n\n{cp}".encode(),
        f"old -1\n\n{cp}".encode(),
        f"old 1 \n\n{cp}".encode(),
        f"new 0\n\n{cp}".encode(),
        f"old 0\r\n\r\n{cp}".encode(),
        f"old 0\n\n{cp}".encode()[:-1],  # no final newline
        f"old 0\n\n{ORIGIN}\n3\n{root}\n".encode(),  # no signature
        f"old 0\n\n{ORIGIN}\n3\n{root}\n\n\n{sigs}".encode(),  # an empty line in the text
        f"old 0\n\n{ORIGIN}\n3\n{root}\n\n{sigs.removeprefix(EM_DASH + ' ')}".encode(),
        f"old 0\n\n{ORIGIN}\n03\n{root}\n\n{sigs}".encode(),
        f"old 0\n\n{ORIGIN}\n3\n{root[:-1]}\n\n{sigs}".encode(),
        f"old 0\n\n{ORIGIN}\n3\n{b64(bytes(31))}\n\n{sigs}".encode(),
        f"old 0\n\n{ORIGIN}\n3\n\n{sigs}".encode(),  # no root line
        f"old 0\n\n{cp}{EM_DASH} x\n".encode(),
        f"old 0\nnot base64!\n\n{cp}".encode(),
        f"old 0\n{b64(bytes(33))}\n\n{cp}".encode(),
        ("old 0\n" + f"{b64(bytes(32))}\n" * 64 + f"\n{cp}").encode(),
        f"old 0\n\n{cp}".encode() + b"\xff",
        f"old 0\n\n{cp}".encode() + b"\n" * (64 * 1024),
    ]


def test_answers_400_to_garbage(launcher: Launcher, tmp_path: Path) -> None:
    log = history("a", "b", "c")
    running = launcher.start(tmp_path / "witness.key", log.vkey)
    for body in garbage(log):
        reply = add(running, body)
        assert reply.status == 400, body[:200]
        assert "Traceback" not in reply.body
    assert not (tmp_path / "witness-state.json").exists()
    assert_cosigned(running, add(running, log.request(0)), log)


def test_remembers_across_a_restart(launcher: Launcher, tmp_path: Path) -> None:
    key_file, state_dir = tmp_path / "keys" / "witness.key", tmp_path / "state"
    key_file.parent.mkdir()
    state_dir.mkdir()
    log = history("a", "b", "c", "d", "e")
    extra = ("--state-dir", str(state_dir))
    first = launcher.start(key_file, log.vkey, extra=extra)
    assert_cosigned(first, add(first, log.request(0)), log)
    # A second witness on the same state would not see the first one's writes.
    assert "another witness" in launcher.refused(
        "--key-file", str(key_file), "--log-key", log.vkey, *extra
    )

    first.proc.kill()  # no clean shutdown: what it cosigned was on disk before it answered
    first.proc.wait(timeout=TIMEOUT)
    again = launcher.start(key_file, log.vkey, extra=extra)
    assert again.vkey == first.vkey

    rewritten = fork_of(log, 2, "C", "D", "E")
    assert add(again, rewritten.request(5)).status == 409
    rewritten.append("F")
    assert (
        add(again, rewritten.request(5, proof=consistency_proof(5, rewritten.leaves))).status == 422
    )
    assert add(again, log.request(0)) == Reply(409, "text/x.tlog.size", "5\n")
    log.append("f", "g")
    assert_cosigned(again, add(again, log.request(5)), log)


def test_concurrent_extensions_get_one_cosignature(launcher: Launcher, tmp_path: Path) -> None:
    log = history(*(f"entry {i}" for i in range(32)))
    running = launcher.start(tmp_path / "witness.key", log.vkey)
    assert_cosigned(running, add(running, log.request(0, 4)), log, 4)

    # Every request extends size 4: the witness may cosign only the first one it settles,
    # or a smaller tree cosigned after a larger one would roll the log back.
    with ThreadPoolExecutor(max_workers=28) as pool:
        replies = list(pool.map(lambda size: add(running, log.request(4, size)), range(5, 33)))
    won = [size for size, reply in zip(range(5, 33), replies, strict=True) if reply.status == 200]
    assert len(won) == 1, [r.status for r in replies]
    for size, reply in zip(range(5, 33), replies, strict=True):
        if size != won[0]:
            assert reply == Reply(409, "text/x.tlog.size", f"{won[0]}\n")
    assert state(tmp_path)[ORIGIN] == {"size": won[0], "root": b64(log.root_at(won[0]))}


def test_a_split_view_shows(launcher: Launcher, tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    seen_by_one = history("a", "b", "c", "d")
    seen_by_two = fork_of(seen_by_one, 3, "D")  # the same log key signed both
    one = launcher.start(tmp_path / "one" / "w.key", seen_by_one.vkey)
    two = launcher.start(tmp_path / "two" / "w.key", seen_by_one.vkey)
    assert one.vkey != two.vkey

    body_one = assert_cosigned(one, add(one, seen_by_one.request(0)), seen_by_one)
    body_two = assert_cosigned(two, add(two, seen_by_two.request(0)), seen_by_two)
    # A verifier pinning both witnesses holds two cosigned trees of size 4 with two roots.
    assert body_one.split("\n")[:2] == body_two.split("\n")[:2]
    assert body_one != body_two
    # And neither witness will cosign the other's view.
    assert add(one, seen_by_two.request(4)).status == 409
    assert add(two, seen_by_one.request(4)).status == 409


# --- Refusals at start and the strict Ed25519 rules ------------------------------------

SMALL_ORDER = [  # the canonical encodings of the eight points of order 1, 2, 4 and 8
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
]
NON_CANONICAL = [
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p + 1
    "0100000000000000000000000000000000000000000000000000000000000080",  # x = 0, sign 1
    "0200000000000000000000000000000000000000000000000000000000000000",  # y = 2: no x
]


def vkey_of(name: str, sig_type: int, public: bytes) -> str:
    return f"{name}+{key_id(name, sig_type, public).hex()}+{b64(bytes([sig_type]) + public)}"


def test_strict_ed25519() -> None:
    for hex_key in SMALL_ORDER:
        assert w.decode_point(bytes.fromhex(hex_key)) is not None, hex_key
        assert w.strict_public_key(bytes.fromhex(hex_key)) is None, hex_key
    for hex_key in NON_CANONICAL:
        assert w.decode_point(bytes.fromhex(hex_key)) is None, hex_key
    for _ in range(20):
        key = Ed25519PrivateKey.generate()
        public = w.strict_public_key(w.public_bytes(key.public_key()))
        assert public is not None
        signature = key.sign(b"message")
        assert w.strict_verify(public, signature, b"message")
        assert not w.strict_verify(public, signature, b"massage")
        s = int.from_bytes(signature[32:], "little")
        malleated = signature[:32] + (s + w.L).to_bytes(32, "little")
        assert not w.strict_verify(public, malleated, b"message")


class AcceptsAnything:
    """A key whose own check passes every signature: what the explicit checks must stop."""

    def verify(self, signature: bytes, data: bytes) -> None:
        pass


def test_refuses_s_not_below_l_whatever_the_library_says() -> None:
    lax = cast(Ed25519PublicKey, AcceptsAnything())
    s = w.L - 1
    assert w.strict_verify(lax, bytes(32) + s.to_bytes(32, "little"), b"m")
    for s in (w.L, w.L + 1, 2**256 - 1):
        assert not w.strict_verify(lax, bytes(32) + s.to_bytes(32, "little"), b"m")
    assert not w.strict_verify(lax, bytes(63), b"m")


def test_published_vectors() -> None:
    """Keys and signatures made by other implementations: the formats are the common ones."""
    # golang.org/x/mod/sumdb/note's example, and c2sp.org/signed-note's.
    peter = w.parse_log_vkey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    text = b"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"  # noqa: E501
    sig = base64.b64decode(
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
    )
    assert sig[:4] == peter.key_id
    assert w.strict_verify(peter.key, sig[4:], text)
    spec = w.parse_log_vkey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    sig = base64.b64decode(
        "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
    )
    assert sig[:4] == spec.key_id
    assert w.strict_verify(spec.key, sig[4:], b"This is an example message.\n")
    # transparency-dev/formats' tests: a vkey whose base64 holds a "+", and a witness's vkey.
    assert (
        w.parse_log_vkey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").origin
        == "TEST"
    )
    witness_vkey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    name, hex_id, key_b64 = witness_vkey.split("+")
    raw = base64.b64decode(key_b64)
    assert raw[0] == 0x04
    assert w.key_id(name, 0x04, raw[1:]).hex() == hex_id


@pytest.mark.parametrize(
    ("vkey", "why"),
    [
        (vkey_of(ORIGIN, 0x01, bytes.fromhex(SMALL_ORDER[4])), "large order"),
        (vkey_of(ORIGIN, 0x01, bytes.fromhex(NON_CANONICAL[0])), "large order"),
        (vkey_of(ORIGIN, 0x04, bytes(range(32))), "0x01"),
        (vkey_of(ORIGIN, 0x01, bytes(31)), "0x01"),
        (history().vkey.replace(ORIGIN, "lottery.test/other", 1), "key id"),
        (ORIGIN, "expected origin"),
        (history().vkey + "=", "0x01"),
    ],
)
def test_refuses_a_bad_log_key(launcher: Launcher, tmp_path: Path, vkey: str, why: str) -> None:
    stderr = launcher.refused("--key-file", str(tmp_path / "w.key"), "--log-key", vkey)
    assert why in stderr
    assert not (tmp_path / "w.key").exists()


def test_consistency_proofs_verify_exactly() -> None:
    log = history(*(str(i) for i in range(40)))
    for n in range(2, 41):
        leaves = log.leaves[:n]
        for m in range(1, n):
            old, new = log.root_at(m), log.root_at(n)
            proof = consistency_proof(m, leaves)
            assert w.verify_consistency(m, n, old, new, proof), (m, n)
            assert not w.verify_consistency(m, n, new, old, proof)
            assert not w.verify_consistency(m, n, old, new, [*proof, new])
            if m + 1 < n:
                assert not w.verify_consistency(m + 1, n, old, new, proof)
            for i in range(len(proof)):
                bad = [*proof[:i], hashlib.sha256(proof[i]).digest(), *proof[i + 1 :]]
                assert not w.verify_consistency(m, n, old, new, bad), (m, n, i)
                assert not w.verify_consistency(m, n, old, new, proof[:i] + proof[i + 1 :])
