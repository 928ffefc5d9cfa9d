"""A fake lottery for scripts/verify_draw.py's record tests, served over HTTP on 127.0.0.1.

It keeps an in-memory log (entries, checkpoints signed with a test Ed25519 key, witnesses'
cosignatures) and canned answers of GET /draws/{date}, and builds honest days with the
server's own rules (draws.vdf, draws.merkle): a test then changes what it wants to forge.
The signing here uses `cryptography`; the verifier must check it with its own Ed25519.
"""

import base64
import hashlib
import json
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from draws import merkle, vdf

ORIGIN = "lottery.test/daily"
EM_DASH = "\u2014"
DELAY_FUNCTION_RULE = "unicorn-pietrzak-rsa2048"
HMAC_RULE = "hmac-sha256"
DELAY_LOG2 = 8
BEACON_GENESIS, BEACON_PERIOD = 1_692_803_367, 3


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, key_type: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public).digest()[:4]


def vkey(name: str, key_type: int, public: bytes) -> str:
    return f"{name}+{key_id(name, key_type, public).hex()}+{b64(bytes([key_type]) + public)}"


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def posix(moment: datetime) -> int:
    return int(moment.timestamp())


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entry(kind: str, **values: object) -> str:
    def spelled(value: object) -> str:
        if value is None:
            return "none"
        return instant(value) if isinstance(value, datetime) else str(value)

    return kind + "\n" + "".join(f"{name} {spelled(v)}\n" for name, v in values.items())


class Witness:
    def __init__(self, name: str, key: Ed25519PrivateKey | None = None) -> None:
        self.name = name
        self.key = key or Ed25519PrivateKey.generate()

    @property
    def vkey(self) -> str:
        return vkey(self.name, 0x04, raw_public(self.key))

    def line(self, body: str, timestamp: int) -> str:
        message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
        payload = key_id(self.name, 0x04, raw_public(self.key)) + timestamp.to_bytes(8, "big")
        return f"{EM_DASH} {self.name} {b64(payload + self.key.sign(message))}\n"


def tree_root(leaves: list[bytes]) -> bytes:
    """RFC 6962's MTH, split at the largest power of two below n (not the verifier's way)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + tree_root(leaves[:k]) + tree_root(leaves[k:])).digest()


@dataclass
class FakeLog:
    origin: str = ORIGIN
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    entries: list[str] = field(default_factory=list)
    cosignatures: dict[int, list[str]] = field(default_factory=dict)  # size -> lines
    forged_roots: dict[int, bytes] = field(default_factory=dict)  # size -> a root it lies about

    @property
    def vkey(self) -> str:
        return vkey(self.origin, 0x01, raw_public(self.key))

    def append(self, text: str) -> int:
        self.entries.append(text)
        return len(self.entries) - 1

    def body(self, size: int) -> str:
        leaves = [hashlib.sha256(b"\x00" + e.encode()).digest() for e in self.entries[:size]]
        root = self.forged_roots.get(size) or tree_root(leaves)
        return f"{self.origin}\n{size}\n{b64(root)}\n"

    def cosign(self, witness: Witness, size: int, timestamp: int) -> None:
        self.cosignatures.setdefault(size, []).append(witness.line(self.body(size), timestamp))

    def note(self, size: int) -> str:
        body = self.body(size)
        signature = key_id(self.origin, 0x01, raw_public(self.key)) + self.key.sign(body.encode())
        lines = "".join(self.cosignatures.get(size, []))
        return f"{body}\n{EM_DASH} {self.origin} {b64(signature)}\n{lines}"


@dataclass
class Built:
    """One day as built: its entries' indexes, its ballots and the /draws answer."""

    day: date
    policy: int
    close: int
    draw: int
    ids: list[str]
    answer: dict[str, Any]


class FakeLottery:
    """The endpoints verify_draw.py reads, from ``log``, ``draws`` and ``ballots``."""

    def __init__(self) -> None:
        self.log = FakeLog()
        self.draws: dict[str, dict[str, Any]] = {}
        self.ballots: dict[str, list[str]] = {}
        self.lotteries: list[dict[str, Any]] = []
        self.beacon_rounds: dict[int, str] = {}  # round -> randomness
        self.requests: list[str] = []
        self.rewrite: Callable[[str, Any], Any] = lambda path, answer: answer
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeLottery":
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- What it serves -------------------------------------------------------------------

    def answer(
        self, path: str, query: dict[str, str]
    ) -> tuple[int, str | dict[str, Any] | list[Any]]:
        log = self.log
        size = len(log.entries)
        parts = path.strip("/").split("/")
        if path == "/log/key":
            return 200, log.vkey + "\n"
        if path == "/log/checkpoint":
            return (200, log.note(size)) if size else (404, {"detail": "The log is empty."})
        if path == "/log/checkpoints":
            after, limit = int(query.get("after", "0")), int(query.get("limit", "100"))
            sizes = sorted(s for s in log.cosignatures if s > after and s <= size)
            page = sizes[:limit]
            more = len(sizes) > limit
            return 200, {
                "items": [log.note(s) for s in page],
                "next_after": page[-1] if more else None,
            }
        if path == "/log/entries":
            start, limit = int(query.get("start", "0")), int(query.get("limit", "1000"))
            texts = log.entries[start : start + limit]
            following = start + len(texts)
            return 200, {
                "start": start,
                "entries": texts,
                "next_start": following if following < size and texts else None,
            }
        if path == "/log/witnesses":
            return 200, {"witnesses": []}
        if path == "/lotteries":
            return 200, self.lotteries
        if parts[:2] == ["beacon", "info"]:
            public_key = "00" * 96
            return 200, {
                "genesis_time": BEACON_GENESIS,
                "period": BEACON_PERIOD,
                "public_key": public_key,
            }
        if parts[:2] == ["beacon", "public"] and int(parts[2]) in self.beacon_rounds:
            return 200, {"round": int(parts[2]), "randomness": self.beacon_rounds[int(parts[2])]}
        if parts[0] == "draws" and len(parts) == 2 and parts[1] in self.draws:
            return 200, self.draws[parts[1]]
        if parts[0] == "draws" and len(parts) == 3 and parts[2] == "ballots":
            return 200, {"items": self.ballots[parts[1]], "next_after": None}
        if parts[0] == "draws" and len(parts) == 5 and parts[4] == "proof":
            ids = self.ballots[parts[1]]
            hashes = [merkle.leaf_hash(uuid.UUID(i).bytes) for i in ids]
            index = ids.index(parts[3])
            return 200, {
                "ballot_id": parts[3],
                "date": parts[1],
                "ballot_count": len(ids),
                "leaf_index": index,
                "path": [h.hex() for h in merkle.audit_path(hashes, index)],
                "merkle_root": merkle.root_of(hashes).hex(),
            }
        return 404, {"detail": "Not Found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        lottery = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                lottery.requests.append(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                try:
                    status, answer = lottery.answer(url.path, query)
                    answer = lottery.rewrite(url.path, answer)
                except (KeyError, ValueError, IndexError) as exc:
                    status, answer = 404, {"detail": repr(exc)}
                text = isinstance(answer, str)
                body = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if text else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    # --- Building days --------------------------------------------------------------------

    def policy(
        self,
        day: date,
        *,
        rule: str = DELAY_FUNCTION_RULE,
        delay_log2: int | None = DELAY_LOG2,
        beacon_delay: int | None = None,
        close_witness_seconds: int = 600,
        seed_commitment: str | None = None,
        demo: bool = False,
    ) -> str:
        return entry(
            "lottery-policy/v1",
            date=day.isoformat(),
            rule=rule,
            vdf_delay_log2=delay_log2 if rule == DELAY_FUNCTION_RULE else None,
            beacon="none" if beacon_delay is None else f"{beacon_delay} {self.url}/beacon",
            opens_at=midnight(day),
            closes_at=midnight(day + timedelta(days=1)),
            close_witness_seconds=close_witness_seconds,
            seed_commitment=seed_commitment,
            demo="yes" if demo else "no",
        )

    def beacon_round(self, day: date, delay: int) -> int:
        after = posix(midnight(day + timedelta(days=1))) + delay
        return max(1, -(-(after - BEACON_GENESIS) // BEACON_PERIOD) + 1)

    def build_day(
        self,
        day: date,
        witnesses: list[Witness],
        *,
        ballots: int = 5,
        rule: str = DELAY_FUNCTION_RULE,
        beacon_delay: int | None = None,
        policy_cosigned: int = -86_400,  # seconds after opens_at
        close_cosigned: int = 30,  # seconds after closes_at
        previous: Built | None = None,
        served_delay_log2: int = DELAY_LOG2,
        served_beacon_delay: int | None = None,
        **policy: Any,
    ) -> Built:
        """An honest day: policy, close and draw entries, each checkpoint cosigned by every
        witness at the times given, and the /draws answer that matches them.

        ``served_delay_log2`` and ``served_beacon_delay``, other than the policy's, build the
        draw (its entry and its answer) with those instead, as a server that ignores its
        policy would."""
        opens, closes = midnight(day), midnight(day + timedelta(days=1))
        seed = secrets.token_bytes(32)
        commitment = hashlib.sha256(seed).hexdigest() if rule == HMAC_RULE else None
        policy_text = self.policy(
            day, rule=rule, beacon_delay=beacon_delay, seed_commitment=commitment, **policy
        )
        policy_index = self.log.append(policy_text)
        for witness in witnesses:
            self.log.cosign(witness, policy_index + 1, posix(opens) + policy_cosigned)

        ids = sorted((uuid.uuid4() for _ in range(ballots)), key=lambda u: u.bytes)
        hashes = [merkle.leaf_hash(u.bytes) for u in ids]
        root = merkle.root_of(hashes)
        close_text = entry(
            "lottery-close/v1",
            date=day.isoformat(),
            policy=sha256(policy_text),
            ballot_count=ballots,
            merkle_root=root.hex(),
            closed_at=closes + timedelta(microseconds=412_345),
        )
        close_index = self.log.append(close_text)
        for witness in witnesses:
            self.log.cosign(witness, close_index + 1, posix(closes) + close_cosigned)

        beacon_round = beacon_randomness = beacon_signature = None
        served_beacon_delay = served_beacon_delay or beacon_delay
        if served_beacon_delay is not None:
            beacon_round = self.beacon_round(day, served_beacon_delay)
            signature = secrets.token_bytes(48)
            beacon_signature = signature.hex()
            beacon_randomness = hashlib.sha256(signature).hexdigest()
            self.beacon_rounds[beacon_round] = beacon_randomness
        output: int | None = None
        proof: list[int] = []
        index = None
        if ballots and rule == DELAY_FUNCTION_RULE:
            statement = vdf.statement(
                lottery_date=day, count=ballots, root=root.hex(), delay_log2=served_delay_log2
            )
            evaluation = vdf.evaluate(vdf.input_element(statement), served_delay_log2)
            output, proof = evaluation.output, evaluation.proof
            index = vdf.winner_index(output=output, count=ballots, beacon=beacon_randomness or "")
        elif ballots:
            index = merkle.winning_index(
                seed=seed,
                lottery_date=day,
                count=ballots,
                root=root,
                beacon=beacon_randomness or "",
            )
        winner = None if index is None else str(ids[index])
        height = 0 if previous is None else previous.answer["height"] + 1
        previous_hash = None if previous is None else previous.answer["record_hash"]
        draw_text = entry(
            "lottery-draw/v1",
            date=day.isoformat(),
            policy=sha256(policy_text),
            close=sha256(close_text),
            winning_index=index,
            winning_ballot_id=winner,
            seed=seed.hex() if rule == HMAC_RULE else None,
            vdf_output=None if output is None else vdf.element_hex(output),
            beacon_round=beacon_round,
            beacon_randomness=beacon_randomness,
            beacon_signature=beacon_signature,
            height=height,
            previous_record_hash=previous_hash,
            drawn_at=closes + timedelta(minutes=3),
        )
        draw_index = self.log.append(draw_text)
        for witness in witnesses:
            self.log.cosign(witness, draw_index + 1, posix(closes) + 600)

        answer = {
            "date": day.isoformat(),
            "rule": rule,
            "state": "drawn",
            "winning_ballot_id": winner,
            "ballot_count": ballots,
            "closes_at": closes.isoformat(),
            "closed_at": (closes + timedelta(seconds=1)).isoformat(),
            "drawn_at": (closes + timedelta(minutes=3)).isoformat(),
            "merkle_root": root.hex(),
            "winning_index": index,
            "seed": seed.hex() if rule == HMAC_RULE else None,
            "seed_commitment": commitment,
            "vdf_delay_log2": served_delay_log2 if rule == DELAY_FUNCTION_RULE else None,
            "vdf_output": None if output is None else vdf.element_hex(output),
            "vdf_proof": [vdf.element_hex(mu) for mu in proof],
            "beacon_delay_seconds": served_beacon_delay,
            "beacon_round": beacon_round,
            "beacon_randomness": beacon_randomness,
            "beacon_signature": beacon_signature,
            "height": height,
            "previous_date": None if previous is None else previous.day.isoformat(),
            "previous_record_hash": previous_hash,
            "record_hash": sha256(draw_text),
        }
        self.draws[day.isoformat()] = answer
        self.ballots[day.isoformat()] = [str(u) for u in ids]
        return Built(day, policy_index, close_index, draw_index, [str(u) for u in ids], answer)
