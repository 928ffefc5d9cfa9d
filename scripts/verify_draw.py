#!/usr/bin/env python3
"""Check a lottery draw from public data only (Python 3.11+ standard library, nothing else).

    verify_draw.py BASE_URL DATE              # the whole day: every ballot id
    verify_draw.py BASE_URL DATE --ballot ID  # one ballot's inclusion proof (a few KB)
    verify_draw.py BASE_URL DATE --receipt FILE  # a receipt: each ballot in, or left out
    verify_draw.py --bundle FILE --log-key VKEY  # a proof bundle, with no network

Options:
  --receipt FILE     the receipt the lottery gave (its signed note, exactly as the API
                     returned it): checks its signature by the log key, its day, policy and
                     time, then each of its ballots as --ballot does; a ballot the server has
                     no proof of is looked up among its neighbours in the list, and when their
                     proofs show it absent from the witnessed close, the run fails with a
                     PROOF OF OMISSION. Writes the proof bundle (below) to
                     bundle-<date>-<first 8 hex digits of the first ballot>.json
  --save-bundle FILE with --receipt or --ballot: write the proof bundle there
                     (lottery-ballot-bundle/v1: the entries with their audit paths, the
                     checkpoints, the consistency proofs, the draw and the ballots' proofs)
  --bundle FILE      check a proof bundle with no network (no BASE_URL or DATE): with the
                     pinned --log-key (else the bundle's own key, with a SKIP), --witness-key,
                     --min-delay, --allow-demo, --max-close-delay, --require-witnesses
  --timeout SECONDS  the deadline of the whole run (default 1800); each request has 120 s
                     (or what is left) for its whole body, and every Retry-After wait of the
                     run shares 600 s (60 s each at most); a deadline passed exits 2
  --min-delay N      refuse a delay-function draw whose delay is below N squarings
                     (default 2^27, about ten minutes with GMP; test days publish 2^16 or
                     less and need e.g. --min-delay 2^16)
  --commitment HEX   hmac-sha256 days (the old rule): the seed commitment you saw before the
                     day closed; without it (or a --record kept while the day was open) such
                     a day fails, since its seed could have been made up after
  --chain N          also check the last N links of the chain of draws before this one
  --record FILE      keep what this run saw (each open day's policy, each closed day's count
                     and root, each draw's record hash, each checkpoint of the log) in FILE,
                     and fail if the server now contradicts what an earlier run kept
  --beacon-url URL   take the beacon's genesis, period and public key from its own /info
                     (the default is drand's quicknet, built in) and re-read the round there
  --require-beacon   fail a day drawn without a beacon round
  --log-key VKEY     the lottery's log key (a C2SP vkey, name+id+base64), pinned from a
                     source other than the server; without it the key the server serves is
                     used, and the run says so (SKIP)
  --witness-key VKEY a witness's key (vkey of type 0x04), repeatable: each one given must
                     have cosigned the day's policy before the close and its close in time
  --require-witnesses
                     any check that could not be made (a SKIP) fails the run, and so does
                     a run without --witness-key
  --max-close-delay SECONDS
                     the most time after the close the day's policy may allow for its close
                     to be witnessed (default 900)
  --allow-demo       accept a day whose policy says "demo yes" (make demo's days) below the
                     delay floor and with late timing; nothing else is waived

The public record (docs/draw-rules.md, 6): every day on or after the log's first policy entry
is checked against the log. The verifier reads every entry up to the newest checkpoint,
recomputes its root, takes every value that decides the winner from the day's policy, close
and draw entries (the draw must equal them), and, for each pinned witness, finds the first
checkpoint holding the policy entry and the first holding the close entry that the witness
cosigned: the policy must be cosigned before closes_at, the close within the policy's
close_witness_seconds after it. Days before the record keep the draw's own checks.

A beacon round is checked offline: it must be the round the rule fixes from the close and
the day's beacon delay, its randomness the SHA-256 of its signature, and the signature a BLS
signature of the round by the beacon's key. That last check needs the py_ecc package, or
--beacon-url to read the round from the beacon itself; with neither, the verifier checks
everything else and fails the day (an unchecked signature lets the server make the
randomness up).

Answers are read as the browser's verifier reads them (docs/draw-rules.md, 7): at most 64 MB
each after decompression (gzip only), JSON as UTF-8 without a byte-order mark, no integer
written -0 or above 2^53 - 1 (in the log's entries either).

Prints one line per check (OK, FAIL, or SKIP for one that could not be made, with why). Exits
0 when every check passed (the last line lists what was not checked, if anything), 1 when
one failed (a value that does not match, or is not in its one canonical form), 2 when the
server's answer cannot be used at all (an HTTP error, with the server's detail; not JSON; a
missing field).

The rules are docs/draw-rules.md; the server's draws/merkle.py, draws/vdf.py, draws/chain.py
and record/ implement the same ones, and so does the in-browser verifier.
"""

import argparse
import base64
import binascii
import copy
import hashlib
import hmac
import http.client
import itertools
import json
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep
from typing import Any

PAGE = 10_000
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # a page of 10,000 ids is about 400 KB
DEFAULT_MIN_DELAY = 1 << 27
DELAY_FUNCTION_RULE = "unicorn-pietrzak-rsa2048"
HMAC_RULE = "hmac-sha256"
# RSA Laboratories' RSA-2048 challenge number; docs/draw-rules.md states the trust in it.
N = int(
    "25195908475657893494027183240048398571429282126204032027777137836043662020707595556264018525"
    "88078440691829064124951508218929855914917618450280848912007284499268739280728777673597141834"
    "72702618963750149718246911650776133798590957000973304597488084284017974291006424586918171951"
    "18746121515172654632282216869987549182422433637259085141865462043576798423387184774447920739"
    "93423658482382428119816381501067481045166037730605620161967625613384414360383390441495263443"
    "21901146575444541784240209246165157233507787077498171257724679629263863563732899121548314381"
    "67899885040445364023527381951378636564391212010397122822120720357"
)
HALF_N = (N - 1) // 2

DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, as the server writes
HEX64 = re.compile(r"[0-9a-f]{64}")
HEX_ELEMENT = re.compile(r"[0-9a-f]{512}")
HEX_BEACON = re.compile(r"[0-9a-f]{2,128}")
HEX_SIGNATURE = re.compile(r"[0-9a-f]{96}")  # a compressed BLS12-381 G1 point
# drand's quicknet (League of Entropy mainnet): BLS12-381 signatures on G1, RFC 9380.
QUICKNET = {
    "genesis_time": 1692803367,
    "period": 3,
    "public_key": "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c"
    "3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a"
    "4bc09e76eae8991ef5ece45a",
}
BLS_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The public record (docs/draw-rules.md, 6).
ENTRY_PAGE = 1000  # GET /log/entries' largest page
CHECKPOINT_PAGE = 100  # GET /log/checkpoints' largest page
MAX_LOG_SIZE = 10_000_000  # a few entries a day: far more than any real log
MAX_TEXT_BYTES = 1024 * 1024  # a key or a checkpoint with its cosignatures
DEFAULT_MAX_CLOSE_DELAY = 900


class Unusable(Exception):
    """The server's answer cannot be used at all: exit 2."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when the server answered with an error


class Refused(Exception):
    """A value is not in its one canonical form: a failed check, and nothing more to check."""


class Checks:
    def __init__(self) -> None:
        self.failed = 0
        self.skipped: list[str] = []  # what could not be checked, for the last line

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        print(f"{'OK  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
        self.failed += not ok
        return ok

    def skip(self, label: str, what: str, why: str) -> None:
        """A check that cannot be made: ``SKIP <what>: <why>``; ``label`` names it at the end."""
        print(f"SKIP {what}: {why}")
        if label not in self.skipped:
            self.skipped.append(label)

    def verdict(self, strict: bool) -> tuple[str, int]:
        """The last line and the exit code; ``strict`` (--require-witnesses) fails a SKIP."""
        unchecked = f"not checked: {', '.join(self.skipped)}"
        if self.failed:
            return f"{self.failed} check(s) FAILED" + (f"; {unchecked}" if self.skipped else ""), 1
        if self.skipped and strict:
            return f"not every check was made (--require-witnesses): {unchecked}", 1
        return "all checks passed" + (f"; {unchecked}" if self.skipped else ""), 0


def note(text: str) -> None:
    print(f"     {text}")


# --- Reading the server -------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate keys in {keys}")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


RATE_LIMIT_WAITS = 10  # per URL: a day of 1.2M+ ballots takes more pages than a minute allows
MAX_WAIT_SECONDS = 60  # the most one Retry-After is waited
WAIT_BUDGET_SECONDS = 600  # every Retry-After wait of the run, together
REQUEST_SECONDS = 120  # one request, its whole body included
DEFAULT_TIMEOUT = 1800  # the whole run (--timeout)
MAX_SAFE_INTEGER = 2**53 - 1  # the largest integer a browser reads exactly
READ_CHUNK = 64 * 1024
GZIP_SLACK = 1024 * 1024  # gzip may grow an incompressible body a little


class DeadlinePassed(Unusable):
    """A deadline of the run passed (the run's, a request's, the waits' budget): exit 2."""


class Run:
    """The run's deadlines (docs/draw-rules.md, 7, "Reading the server"), set by main()."""

    def __init__(self) -> None:
        self.start(DEFAULT_TIMEOUT)

    def start(self, seconds: float, *, offline: bool = False) -> None:
        self.seconds = seconds
        self.ends = monotonic() + seconds
        self.waits_left = float(WAIT_BUDGET_SECONDS)
        self.offline = offline  # --bundle: nothing is read from any server

    def left(self) -> float:
        return self.ends - monotonic()

    @property
    def deadline(self) -> str:
        return f"the run's deadline, --timeout {self.seconds:g} s"


RUN = Run()


class _Unsafe:
    """A JSON integer a browser cannot read exactly (-0, or beyond 2^53 - 1): never an int."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _parse_int(text: str) -> "int | _Unsafe":
    if text == "-0" or len(text.lstrip("-")) > 16 or abs(int(text)) > MAX_SAFE_INTEGER:
        return _Unsafe(text)
    return int(text)


def shown(value: Any) -> str:
    """A JSON value as the answer wrote it, for a message."""
    if isinstance(value, _Unsafe):
        return value.text
    return json.dumps(value, default=repr)


def parse_json(body: bytes, where: str) -> Any:
    """A JSON body: UTF-8 without a byte-order mark, integers a browser reads exactly."""
    if body.startswith(b"\xef\xbb\xbf") or b"\x00" in body:
        raise Unusable(f"{where} did not answer UTF-8 JSON (a byte-order mark, or NUL bytes)")
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unusable(f"{where} did not answer UTF-8 JSON: {exc}") from None
    try:
        return json.loads(
            decoded,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_int=_parse_int,
        )
    except (ValueError, RecursionError) as exc:
        raise Unusable(f"{where} did not answer JSON: {exc}") from None


def get_json(url: str) -> Any:
    """The JSON answer at ``url``; a 429 is waited out as its Retry-After asks, a few times."""
    return parse_json(_get(url, "application/json", MAX_ANSWER_BYTES), url)


def get_text(url: str) -> str:
    """The text/plain answer at ``url`` (a key, a signed note), as UTF-8."""
    try:
        return _get(url, "text/plain", MAX_TEXT_BYTES).decode()
    except UnicodeDecodeError:
        raise Unusable(f"{url} did not answer UTF-8 text") from None


class _Status(Exception):
    """An HTTP error answer, read whole (bounded) on the request's own thread."""

    def __init__(self, code: int, retry_after: str, detail: str) -> None:
        super().__init__(code)
        self.code, self.retry_after, self.detail = code, retry_after, detail


def _get(url: str, accept: str, most: int) -> bytes:
    if RUN.offline:
        raise Unusable(f"a bundle is checked with no network, and {url} would be read")
    for _ in range(RATE_LIMIT_WAITS):
        try:
            return _get_once(url, accept, most)
        except _Status as exc:
            if exc.code != 429:
                raise Unusable(f"{url} answered HTTP {exc.code}: {exc.detail}", exc.code) from None
            asked = re.fullmatch(r"[0-9]{1,9}", exc.retry_after.strip()) is not None
            seconds = min(int(exc.retry_after), MAX_WAIT_SECONDS) if asked else 5
            if seconds > RUN.waits_left:
                raise DeadlinePassed(
                    f"{url} answered HTTP 429 (too many requests): waiting {seconds} s more would "
                    f"pass the {WAIT_BUDGET_SECONDS} s budget of the run's waits (deadline)"
                ) from None
            if seconds >= RUN.left():
                raise DeadlinePassed(
                    f"{url} answered HTTP 429 (too many requests) and asks for {seconds} s: "
                    f"waiting would pass {RUN.deadline} (deadline)"
                ) from None
            as_asked = " as it asks" if asked else ""
            note(f"the server limits how fast it is read (HTTP 429): waiting {seconds} s{as_asked}")
            RUN.waits_left -= seconds
            sleep(seconds)
    raise Unusable(f"{url} kept answering HTTP 429 (too many requests); try again later")


def _get_once(url: str, accept: str, most: int) -> bytes:
    """One request, on a thread of its own: whatever the server does (drip the body one byte
    at a time, never answer), the run goes on after the request's deadline."""
    left = RUN.left()
    if left <= 0:
        raise DeadlinePassed(f"{url} was not read: {RUN.deadline}, passed (deadline)")
    limit = min(float(REQUEST_SECONDS), left)
    which = (
        f"the per-request deadline of {REQUEST_SECONDS} s"
        if limit == REQUEST_SECONDS
        else RUN.deadline
    )
    outcome: list[tuple[bool, Any]] = []
    cancelled = threading.Event()

    def fetch() -> None:
        try:
            outcome.append((True, _read(url, accept, most, limit, cancelled)))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=fetch, daemon=True)
    thread.start()
    thread.join(limit)
    if not outcome:
        cancelled.set()  # the thread stops at its next read; it dies with the run at worst
        raise DeadlinePassed(f"{url} did not answer within {limit:.0f} s ({which}; deadline)")
    done, value = outcome[0]
    if not done:
        raise value
    return bytes(value)


def _read(url: str, accept: str, most: int, limit: float, cancelled: threading.Event) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept, "Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=limit) as response:
            return _body(url, response, most, cancelled)
    except urllib.error.HTTPError as exc:
        try:
            raw = _body(url, exc, 64 * 1024, cancelled)
        except Exception:  # the status is the answer; its detail is a courtesy
            raw = b""
        retry_after = exc.headers.get("Retry-After", "") if exc.headers else ""
        raise _Status(exc.code, retry_after, _detail(exc, raw)) from None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        raise Unusable(f"{url} could not be read: {exc}") from None


def _body(url: str, response: Any, most: int, cancelled: threading.Event) -> bytes:
    """The body, decompressed (gzip only) and at most ``most`` bytes, read in chunks."""
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise Unusable(f"{url} answered in Content-Encoding {encoding!r}: only gzip is accepted")
    inflate = zlib.decompressobj(wbits=31) if encoding == "gzip" else None
    body, read = bytearray(), 0
    too_large = Unusable(f"{url} answered more than {most} bytes")
    try:
        while not cancelled.is_set():
            chunk = response.read1(READ_CHUNK)
            if not chunk:
                break
            read += len(chunk)
            if inflate is None:
                body += chunk
            else:
                body += inflate.decompress(chunk, most + 1 - len(body))
                if inflate.unconsumed_tail or read > most + GZIP_SLACK:
                    raise too_large
            if len(body) > most:
                raise too_large
        if inflate is not None:
            body += inflate.flush()
            if not inflate.eof or inflate.unused_data:
                raise Unusable(
                    f"{url} answered a gzip stream that is cut short or followed by data"
                )
    except zlib.error as exc:
        raise Unusable(f"{url} answered a body that is not gzip: {exc}") from None
    if len(body) > most:
        raise too_large
    return bytes(body)


def _detail(exc: urllib.error.HTTPError, raw: bytes) -> str:
    """The server's own reason, from its {"detail": ...} answer when it gave one."""
    try:
        answer = json.loads(raw)
        detail = answer["detail"] if isinstance(answer, dict) and "detail" in answer else raw
    except (ValueError, RecursionError):
        return exc.reason if isinstance(exc.reason, str) else "no detail"
    return str(detail if not isinstance(detail, bytes) else detail.decode(errors="replace"))


def field(answer: Any, name: str) -> Any:
    if not isinstance(answer, dict):
        raise Unusable(f"expected a JSON object, got {type(answer).__name__}")
    if name not in answer:
        raise Unusable(f"the answer has no {name!r} field")
    return answer[name]


# --- Canonical forms (docs/draw-rules.md) --------------------------------------------------


def integer(answer: Any, name: str) -> int:
    value = field(answer, name)
    if type(value) is not int or value < 0:
        raise Refused(
            f"{name} must be a JSON integer >= 0 and at most 2^53 - 1, not {shown(value)[:80]}"
        )
    return value


def optional_integer(answer: Any, name: str) -> int | None:
    return None if field(answer, name) is None else integer(answer, name)


def text(answer: Any, name: str, pattern: re.Pattern[str]) -> str:
    value = field(answer, name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Refused(f"{name} is not in its canonical form: {shown(value)[:80]}")
    return value


def optional_text(answer: Any, name: str, pattern: re.Pattern[str]) -> str | None:
    return None if field(answer, name) is None else text(answer, name, pattern)


def element(value: Any, name: str) -> int:
    if not isinstance(value, str) or not HEX_ELEMENT.fullmatch(value):
        raise Refused(f"{name} must be 512 lowercase hex digits")
    number = int(value, 16)
    if not 1 <= number <= HALF_N:
        raise Refused(f"{name} is not a canonical group element (1 <= v <= (N - 1) / 2)")
    return number


class Draw:
    """A draw as published, every field checked for its one canonical form."""

    def __init__(self, answer: Any, date: str) -> None:
        self.date = text(answer, "date", DATE)
        if self.date != date:
            raise Refused(f"asked for the draw of {date}, the server answered {self.date}")
        self.rule = field(answer, "rule")
        if self.rule not in (DELAY_FUNCTION_RULE, HMAC_RULE):
            raise Refused(f"unknown rule {shown(self.rule)[:80]}")
        self.state = field(answer, "state")
        if self.state not in ("drawing", "drawn"):
            raise Refused(f"unknown state {shown(self.state)[:80]}")
        self.count = integer(answer, "ballot_count")
        self.root = text(answer, "merkle_root", HEX64)
        self.closes_at = field(answer, "closes_at")
        if self.state == "drawing":
            return
        self.index = optional_integer(answer, "winning_index")
        self.winner = optional_text(answer, "winning_ballot_id", UUID_TEXT)
        if (self.count == 0) != (self.index is None) or (self.index is None) != (
            self.winner is None
        ):
            raise Refused("a winner, its index and a non-empty day go together")
        if self.index is not None and self.index >= self.count:
            raise Refused(f"winning_index {self.index} is not below ballot_count {self.count}")
        self.beacon_round = optional_integer(answer, "beacon_round")
        self.beacon = optional_text(answer, "beacon_randomness", HEX_BEACON) or ""
        self.beacon_signature = optional_text(answer, "beacon_signature", HEX_SIGNATURE) or ""
        self.beacon_delay = optional_integer(answer, "beacon_delay_seconds")
        if len({self.beacon_round is None, not self.beacon, not self.beacon_signature}) != 1:
            raise Refused("beacon_round, beacon_randomness and beacon_signature go together")
        if (self.beacon_round is None) != (self.beacon_delay is None):
            raise Refused("a beacon round is drawn exactly when the day's policy has one")
        self.height = integer(answer, "height")
        self.previous_date = optional_text(answer, "previous_date", DATE)
        self.previous_hash = optional_text(answer, "previous_record_hash", HEX64)
        if (self.height == 0) != (self.previous_hash is None) or (self.previous_hash is None) != (
            self.previous_date is None
        ):
            raise Refused("only the first draw (height 0) has no previous draw")
        self.record_hash = text(answer, "record_hash", HEX64)
        self.seed = ""
        self.commitment = ""
        self.delay_log2: int | None = None
        self.output: int | None = None
        self.proof: list[int] = []
        if self.rule == HMAC_RULE:
            self.seed = text(answer, "seed", HEX64)
            self.commitment = text(answer, "seed_commitment", HEX64)
            return
        self.delay_log2 = integer(answer, "vdf_delay_log2")
        if not 1 <= self.delay_log2 <= 64:
            raise Refused(f"vdf_delay_log2 {self.delay_log2} is outside 1..64")
        proof = field(answer, "vdf_proof")
        if not isinstance(proof, list):
            raise Refused("vdf_proof must be a list")
        if self.count == 0:
            if field(answer, "vdf_output") is not None or proof:
                raise Refused("a day without ballots has no delay-function output or proof")
            return
        self.output = element(field(answer, "vdf_output"), "vdf_output")
        if len(proof) != self.delay_log2:
            raise Refused(f"vdf_proof has {len(proof)} elements, the delay needs {self.delay_log2}")
        self.proof = [element(mu, f"vdf_proof[{i}]") for i, mu in enumerate(proof)]


# --- The rules --------------------------------------------------------------------------


def leaf_hash(ballot_id: str) -> bytes:
    return hashlib.sha256(b"\x00" + uuid.UUID(ballot_id).bytes).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class RootBuilder:
    """The Merkle root of leaves added one by one, keeping O(log n) hashes."""

    def __init__(self) -> None:
        self.frontier: list[tuple[int, bytes]] = []  # (height, root of a perfect subtree)

    def add(self, leaf: bytes) -> None:
        height, node = 0, leaf
        while self.frontier and self.frontier[-1][0] == height:
            node = node_hash(self.frontier.pop()[1], node)
            height += 1
        self.frontier.append((height, node))

    def root(self) -> bytes:
        if not self.frontier:
            return hashlib.sha256(b"").digest()
        # Odd nodes that moved up unchanged meet their left neighbours right to left.
        node = self.frontier[-1][1]
        for _, left in reversed(self.frontier[:-1]):
            node = node_hash(left, node)
        return node


def path_root(leaf: bytes, index: int, count: int, path: list[bytes]) -> bytes | None:
    """RFC 9162 2.1.3.2: the root the path leads to, or None if it cannot fit the tree."""
    if not 0 <= index < count:
        return None
    fn, sn, node = index, count - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    return node if sn == 0 else None


def tree_root(hashes: list[bytes]) -> bytes:
    """The RFC 6962 root over ``hashes``: paired level by level, an odd last node carried up."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    level = hashes
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = [*paired, level[-1]] if len(level) % 2 else paired
    return level[0]


def audit_path(hashes: list[bytes], index: int) -> list[bytes]:
    """RFC 6962 2.1.1: the siblings from ``hashes[index]`` up to the root, bottom first (a
    level where the node is the unpartnered last one adds none)."""
    path, level = [], hashes
    while len(level) > 1:
        if index ^ 1 < len(level):
            path.append(level[index ^ 1])
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level, index = ([*paired, level[-1]] if len(level) % 2 else paired), index // 2
    return path


def consistency_path(hashes: list[bytes], old_size: int) -> list[bytes]:
    """RFC 6962 2.1.2's PROOF(m, D[n]) that the first ``old_size`` leaves are a prefix of
    ``hashes``; empty when the sizes are equal (or the old tree is empty)."""

    def subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
        n = len(leaves)
        if m == n:
            return [] if complete else [tree_root(leaves)]
        k = 1 << ((n - 1).bit_length() - 1)  # the largest power of two below n
        if m <= k:
            return [*subproof(m, leaves[:k], complete), tree_root(leaves[k:])]
        return [*subproof(m - k, leaves[k:], False), tree_root(leaves[:k])]

    if not 0 < old_size <= len(hashes):
        return []
    return subproof(old_size, hashes, True)


def consistency_valid(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: does ``proof`` show the tree of ``old_size`` is a prefix of the new?"""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if old_size & (old_size - 1) == 0:  # a power of two: the old root starts the proof
        proof = [old_root, *proof]
    if not proof:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def normalize(value: int) -> int:
    value %= N
    return min(value, N - value)


def encode(value: int) -> bytes:
    return value.to_bytes(256, "big")


def vdf_input(draw: Draw) -> int:
    statement = f"{DELAY_FUNCTION_RULE}|{draw.date}|{draw.count}|{draw.root}|{draw.delay_log2}"
    message = b"lottery-vdf-input|" + statement.encode()
    blocks = b"".join(hashlib.sha256(bytes([i]) + message).digest() for i in range(9))
    return normalize(int.from_bytes(blocks, "big"))


def vdf_verify(x: int, y: int, proof: list[int], delay_log2: int) -> bool:
    """Pietrzak's halving rounds (docs/draw-rules.md, 2); every element already canonical."""
    if len(proof) != delay_log2:  # e.g. a proof of the answer's delay, not the policy's
        return False
    for round_no, mu in enumerate(proof, start=1):
        half = 1 << (delay_log2 - round_no)
        digest = hashlib.sha256(
            b"lottery-vdf-challenge|" + encode(x) + encode(y) + encode(mu) + half.to_bytes(8, "big")
        ).digest()
        r = int.from_bytes(digest[:16], "big")
        x, y = normalize(pow(x, r, N) * mu), normalize(pow(mu, r, N) * y)
    return y == normalize(x * x)


def winning_index(draw: Draw) -> int | None:
    if draw.count == 0:
        return None
    if draw.rule == DELAY_FUNCTION_RULE:
        assert draw.output is not None
        message = b"lottery-winner|" + encode(draw.output)
        if draw.beacon:
            message += b"|" + draw.beacon.encode()
        return int.from_bytes(hashlib.sha256(message).digest(), "big") % draw.count
    text = f"{draw.date}|{draw.count}|{draw.root}" + (f"|{draw.beacon}" if draw.beacon else "")
    digest = hmac.new(bytes.fromhex(draw.seed), text.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % draw.count


def record_hash(draw: Draw) -> str:
    def t(value: object) -> str:
        return "" if value is None else str(value)

    fields = [
        "lottery-draw-record",
        draw.rule,
        draw.date,
        str(draw.count),
        draw.root,
        t(draw.index),
        t(draw.winner),
        draw.seed,
        t(draw.delay_log2),
        "" if draw.output is None else encode(draw.output).hex(),
        t(draw.beacon_round),
        draw.beacon,
        t(draw.previous_hash),
    ]
    return hashlib.sha256("|".join(fields).encode()).hexdigest()


# --- The checks ---------------------------------------------------------------------------


def check_policy(
    checks: Checks,
    draw: Draw,
    min_delay: int,
    commitment: str | None,
    *,
    demo: bool = False,
) -> None:
    """The rule's own conditions, ``commitment`` being the one the person saw before the
    close; ``demo`` waives the delay floor (--allow-demo)."""
    _day_close(draw)  # every day closes at the midnight that ends it, whatever its rule
    if draw.rule == HMAC_RULE:
        note("rule hmac-sha256 (a day created before the delay function)")
        seed_digest = hashlib.sha256(bytes.fromhex(draw.seed)).hexdigest()
        checks.check(
            "the seed matches its commitment",
            seed_digest == draw.commitment,
            f"SHA-256(seed) = {seed_digest}",
        )
        # Whoever holds the seed can make up another after the close, with its commitment:
        # only a commitment public before the close makes the old rule fair.
        checks.check(
            "the commitment is the one seen before the day",
            commitment is not None and commitment.lower() == draw.commitment,
            "none given; hmac-sha256 is fair only if the seed_commitment was public before the "
            "day closed: pass the one you saw with --commitment, or keep GET /lotteries with "
            "--record while the day is open"
            if commitment is None
            else f"you saw {commitment.lower()}",
        )
        return
    assert draw.delay_log2 is not None
    squarings = 1 << draw.delay_log2
    seconds = squarings * 5e-6
    took = f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.2g} s"
    if demo:
        note(f"the delay is 2^{draw.delay_log2} squarings (about {took}); not held to the floor")
        return
    checks.check(
        f"the delay is at least {_power(min_delay)} squarings",
        squarings >= min_delay,
        f"2^{draw.delay_log2} squarings (about {took} at a GMP-speed 5 us each)"
        + ("" if squarings >= min_delay else f"; --min-delay 2^{draw.delay_log2} accepts it"),
    )


def check_winner(checks: Checks, draw: Draw) -> int | None:
    if draw.rule == DELAY_FUNCTION_RULE and draw.count:
        assert draw.output is not None
        assert draw.delay_log2 is not None
        checks.check(
            "the delay function's output is proven",
            vdf_verify(vdf_input(draw), draw.output, draw.proof, draw.delay_log2),
            f"Pietrzak proof of 2^{draw.delay_log2} squarings over the day's count and root",
        )
    index = winning_index(draw)
    if index is None:
        note("no ballots: no index and no winner")
        checks.check("the winning index", draw.index is None, "null, as a day without ballots")
    else:
        checks.check("the winning index", index == draw.index, f"the rule gives {index}")
    return index


def check_record(checks: Checks, draw: Draw) -> None:
    recomputed = record_hash(draw)
    checks.check("the record hash", recomputed == draw.record_hash, f"recomputed {recomputed}")


def ballot_ids(base: str, draw: Draw) -> Iterator[str]:
    """The day's ids page by page; the paging itself must make progress and stop."""
    after = ""
    most_pages = draw.count // PAGE + 1
    for _ in range(most_pages):
        query = urllib.parse.urlencode({"limit": PAGE, **({"after": after} if after else {})})
        page = get_json(f"{base}/draws/{draw.date}/ballots?{query}")
        items, next_after = field(page, "items"), field(page, "next_after")
        if not isinstance(items, list) or not all(
            isinstance(item, str) and UUID_TEXT.fullmatch(item) for item in items
        ):
            raise Refused("a page of ballot ids is not a list of canonical UUIDs")
        if next_after is None:
            yield from items
            return
        if len(items) != PAGE or next_after != items[-1]:
            raise Refused(f"a page that is not the last must hold {PAGE} ids and end at next_after")
        yield from items
        after = next_after
    raise Refused(f"the ballot list goes on past {most_pages} pages for {draw.count} ballots")


def verify_day(checks: Checks, base: str, draw: Draw) -> None:
    index = check_winner(checks, draw)
    builder = RootBuilder()
    count = 0
    previous = b""
    in_order = True
    winner_id = None
    for ballot_id in ballot_ids(base, draw):
        raw = uuid.UUID(ballot_id).bytes
        in_order = in_order and raw > previous
        previous = raw
        if count == index:
            winner_id = ballot_id
        builder.add(leaf_hash(ballot_id))
        count += 1
    root = builder.root().hex()
    checks.check("the ballot ids are in canonical order, each once", in_order)
    checks.check("the ballot count", count == draw.count, f"{count} ids listed")
    checks.check("the Merkle root", root == draw.root, f"recomputed {root}")
    checks.check(
        "the winning ballot",
        winner_id == draw.winner,
        f"the ballot at index {index} is {winner_id}" if index is not None else "none",
    )


# --- Ballots: inclusion, and proof of omission (docs/draw-rules.md, 7) --------------------

NEIGHBOUR_PAGE = 100  # ids read at a time around a ballot the server has no proof of


@dataclass(frozen=True)
class Proven:
    """A ballot's leaf index and audit path in the close's tree, as given (checked apart)."""

    ballot_id: str
    leaf_index: int
    path: list[str]  # 64 hex digits each

    def leads_to(self, count: int, root: str) -> bool:
        siblings = [bytes.fromhex(sibling) for sibling in self.path]
        found = path_root(leaf_hash(self.ballot_id), self.leaf_index, count, siblings)
        return found is not None and found.hex() == root

    def bundled(self) -> dict[str, Any]:
        return {"ballot_id": self.ballot_id, "leaf_index": self.leaf_index, "path": self.path}


@dataclass
class BallotSeen:
    """What a run learnt of one ballot: the server's proof of it, or its neighbours' proofs."""

    ballot_id: str
    proven: Proven | None = None
    left: Proven | None = None
    right: Proven | None = None
    why: str = ""  # why neither, when neither

    def bundled(self) -> dict[str, Any]:
        if self.proven is not None:
            return self.proven.bundled()
        left, right = (None if n is None else n.bundled() for n in (self.left, self.right))
        return {"ballot_id": self.ballot_id, "absent": {"left": left, "right": right}}


def absence(
    ballot_id: str, count: int, root: str, left: Proven | None, right: Proven | None
) -> str | None:
    """How ``left`` and ``right`` (the ids just below and above ``ballot_id``) show it absent
    from the close of ``count`` leaves under ``root``; None if they do not show it."""
    if count == 0:
        return "its close holds no ballots (ballot_count 0)" if left is right is None else None
    if any(n is not None and not n.leads_to(count, root) for n in (left, right)):
        return None
    # Canonical ids compare as their 16 bytes when compared as text.
    if (left is not None and not left.ballot_id < ballot_id) or (
        right is not None and not ballot_id < right.ballot_id
    ):
        return None
    close = f"its close of {count} ballots"
    if left is not None and right is not None and right.leaf_index == left.leaf_index + 1:
        return (
            f"{close} has {left.ballot_id} at index {left.leaf_index} and {right.ballot_id} at "
            f"index {right.leaf_index}"
        )
    if left is None and right is not None and right.leaf_index == 0:
        return f"{close} has {right.ballot_id}, above it, first (index 0)"
    if right is None and left is not None and left.leaf_index == count - 1:
        return f"{close} has {left.ballot_id}, below it, last (index {count - 1})"
    return None


@dataclass(frozen=True)
class ReceiptCheck:
    holds: bool  # signed by the log key, for this day and policy, accepted while it was open
    accepted_at: str


def judge_ballot(
    checks: Checks,
    seen: BallotSeen,
    count: int,
    root: str,
    label: str,
    receipt: ReceiptCheck | None,
) -> None:
    """One line: the ballot is in the close, or it is not (a proof of omission, with a receipt
    that holds)."""
    name = f"ballot {seen.ballot_id} {label}"
    if seen.proven is not None:
        included = seen.proven.leads_to(count, root)
        checks.check(
            name,
            included,
            f"its path {'leads' if included else 'does not lead'} to the Merkle root from index "
            f"{seen.proven.leaf_index}",
        )
        return
    absent = absence(seen.ballot_id, count, root, seen.left, seen.right)
    if absent is None:
        why = seen.why or "no inclusion proof, and its neighbours' proofs do not show it absent"
        checks.check(name, False, why)
    elif receipt is not None and receipt.holds:
        checks.check(
            name,
            False,
            f"PROOF OF OMISSION: the lottery signed its receipt (accepted at "
            f"{receipt.accepted_at}) and {absent}",
        )
    elif receipt is not None:
        checks.check(
            name, False, f"absent: {absent}; the receipt does not hold: no proof of omission"
        )
    else:
        checks.check(name, False, f"absent: {absent}")


def fetch_proof(base: str, draw: Draw, ballot_id: str) -> tuple[Proven | None, int | None, str]:
    """The server's proof of ``ballot_id`` (its form checked, not its path), or None with the
    HTTP status and why when it has none."""
    try:
        proof = get_json(f"{base}/draws/{draw.date}/ballots/{ballot_id}/proof")
    except DeadlinePassed:
        raise
    except Unusable as exc:
        note(str(exc))
        return None, exc.status, str(exc)
    if text(proof, "ballot_id", UUID_TEXT) != ballot_id or text(proof, "date", DATE) != draw.date:
        raise Refused(f"the proof asked for {ballot_id} is another ballot's or another day's")
    if integer(proof, "ballot_count") != draw.count:
        raise Refused("the proof's ballot_count is not the draw's")
    if text(proof, "merkle_root", HEX64) != draw.root:
        raise Refused("the proof's merkle_root is not the draw's")
    leaf_index = integer(proof, "leaf_index")
    path = field(proof, "path")
    if not isinstance(path, list) or not all(
        isinstance(s, str) and HEX64.fullmatch(s) for s in path
    ):
        raise Refused("the proof's path is not a list of 64-hex-digit hashes")
    return Proven(ballot_id, leaf_index, list(path)), None, ""


def ballot_page(base: str, day: str, after: str | None, limit: int) -> tuple[list[str], str | None]:
    """One page of the public list: ids above ``after``, ascending, each page's end its
    next_after."""
    query = urllib.parse.urlencode({"limit": limit, **({"after": after} if after else {})})
    page = get_json(f"{base}/draws/{day}/ballots?{query}")
    items, next_after = field(page, "items"), field(page, "next_after")
    if not isinstance(items, list) or not all(
        isinstance(item, str) and UUID_TEXT.fullmatch(item) for item in items
    ):
        raise Refused("a page of ballot ids is not a list of canonical UUIDs")
    if any(b <= a for a, b in itertools.pairwise(items)) or (
        after is not None and items and items[0] <= after
    ):
        raise Refused(f"the page of ballot ids after {after} is not ascending from it")
    if next_after is not None and (len(items) != limit or next_after != items[-1]):
        raise Refused(f"a page that is not the last must hold {limit} ids and end at next_after")
    return items, next_after


def neighbours(base: str, draw: Draw, ballot_id: str) -> tuple[str | None, str | None, bool]:
    """The listed ids just below and just above ``ballot_id`` (None past an end), and whether
    the list holds it: read from a little below it, the gap doubled until the first id read
    is below it (docs/draw-rules.md, 7)."""
    x = uuid.UUID(ballot_id).int
    gap = max(1, 4 * (1 << 128) // max(draw.count, 1))
    while True:  # at most 129 doublings: then it reads from the start
        after = None if x - gap <= 0 else str(uuid.UUID(int=x - gap))
        items, next_after = ballot_page(base, draw.date, after, NEIGHBOUR_PAGE)
        if after is None or (items and items[0] < ballot_id):
            break
        gap *= 2
    left, listed = None, False
    most = draw.count // NEIGHBOUR_PAGE + 2  # the witnessed count bounds the pages
    for _ in range(most):
        for item in items:
            if item > ballot_id:
                return left, item, listed
            if item == ballot_id:
                listed = True
            else:
                left = item
        if next_after is None:
            return left, None, listed
        items, next_after = ballot_page(base, draw.date, next_after, NEIGHBOUR_PAGE)
    raise Refused(f"the ballot list goes on past {most} pages for {draw.count} ballots")


def see_ballot(base: str, draw: Draw, ballot_id: str) -> BallotSeen:
    """Its proof; or, when the server answers 404 for it, its neighbours' proofs."""
    proven, status, why = fetch_proof(base, draw, ballot_id)
    seen = BallotSeen(ballot_id, proven, why=why)
    if proven is not None or status != 404:
        return seen
    left, right, listed = neighbours(base, draw, ballot_id)
    if listed:
        seen.why = "the server lists it, but answered HTTP 404 for its proof"
        return seen
    for neighbour in (left, right):
        if neighbour is None:
            continue
        found, _, why = fetch_proof(base, draw, neighbour)
        if found is None:
            seen.why = f"no inclusion proof, and none of its neighbour {neighbour} either ({why})"
            return seen
        if neighbour == left:
            seen.left = found
        else:
            seen.right = found
    seen.why = "no inclusion proof, and its neighbours' proofs do not show it absent"
    return seen


def verify_ballots(
    checks: Checks,
    base: str,
    draw: Draw,
    ballot_ids: list[str],
    receipt: ReceiptCheck | None,
    label: str,
) -> tuple[list[BallotSeen], Proven | None]:
    """--ballot, --receipt: each ballot in the draw (or shown absent), and the winner's own
    proof at the winning index."""
    index = check_winner(checks, draw)
    seen = []
    for ballot_id in ballot_ids:
        if not UUID_TEXT.fullmatch(ballot_id):
            ballot_id = str(uuid.UUID(ballot_id))
        seen.append(see_ballot(base, draw, ballot_id))
        judge_ballot(checks, seen[-1], draw.count, draw.root, label, receipt)
    winner = None
    if draw.count:
        if draw.winner is not None:
            winner, _, _ = fetch_proof(base, draw, draw.winner)
        check_winner_proof(checks, draw, index, winner)
    return seen, winner


def check_winner_proof(
    checks: Checks, draw: Draw, index: int | None, winner: Proven | None
) -> None:
    checks.check(
        "the winning ballot sits at the winning index",
        winner is not None
        and winner.ballot_id == draw.winner
        and winner.leaf_index == index
        and winner.leads_to(draw.count, draw.root),
    )


def check_chain(checks: Checks, base: str, draw: Draw, links: int) -> None:
    _walk_chain(checks, base, draw.date, draw.height, draw.previous_date, draw.previous_hash, links)


def _walk_chain(
    checks: Checks,
    base: str,
    day: str,
    height: int,
    previous_date: str | None,
    previous_hash: str | None,
    links: int,
) -> None:
    """Follow ``links`` links back from the draw of ``day`` through GET /draws/{date}: days
    that predate the public record, whose record hash is the rule of section 5."""
    for _ in range(links):
        if previous_date is None:
            note(f"the chain starts at {day} (height {height})")
            return
        previous = Draw(get_json(f"{base}/draws/{previous_date}"), previous_date)
        if previous.state != "drawn":
            raise Refused(f"the chain links {day} to {previous.date}, not drawn")
        checks.check(
            f"the chain link {day} -> {previous.date}",
            record_hash(previous) == previous.record_hash == previous_hash
            and previous.height == height - 1,
            f"height {previous.height}, record hash {previous.record_hash}",
        )
        day, height = previous.date, previous.height
        previous_date, previous_hash = previous.previous_date, previous.previous_hash


def check_beacon(
    checks: Checks, draw: Draw, closes: int, beacon_url: str | None, required: bool
) -> None:
    """The beacon round of ``draw``, whose day closed at the POSIX time ``closes``."""
    if draw.beacon_round is None:
        if required:
            checks.check("a beacon round was mixed in", False, "the day was drawn without one")
        else:
            note("no public-randomness beacon was mixed into this draw")
        return
    assert draw.beacon_delay is not None
    if beacon_url is None:
        chain, source = QUICKNET, "drand quicknet (built in; --beacon-url for another beacon)"
    else:
        chain, source = get_json(f"{beacon_url.rstrip('/')}/info"), beacon_url
    genesis, period = field(chain, "genesis_time"), field(chain, "period")
    public_key = field(chain, "public_key")
    if type(genesis) is not int or type(period) is not int or period < 1:
        raise Unusable("the beacon's /info has no integer genesis_time and period")
    note(f"beacon: {source}")
    after = closes + draw.beacon_delay
    expected = max(1, -(-(after - genesis) // period) + 1)
    checks.check(
        "the beacon round is the one the rule fixes",
        draw.beacon_round == expected,
        f"the first round {draw.beacon_delay} s after the close is {expected}",
    )
    signature = bytes.fromhex(draw.beacon_signature)
    checks.check(
        "the beacon randomness is SHA-256 of its signature",
        hashlib.sha256(signature).hexdigest() == draw.beacon,
    )
    valid = bls_valid(str(public_key), draw.beacon_round, signature)
    name = f"the beacon's BLS signature of round {draw.beacon_round}"
    if valid is not None:
        checks.check(name, valid)
    elif beacon_url is None:
        # Unchecked, the "randomness" could be any bytes the server liked: a chosen winner.
        checks.check(
            name,
            False,
            "NOT checked: that needs the py_ecc package (pip install py_ecc), or --beacon-url "
            "to read the round from the beacon itself; every other check ran",
        )
    else:
        note(f"{name} is not checked (no py_ecc): the round is read from the beacon instead")
    if beacon_url is not None:
        value = get_json(f"{beacon_url.rstrip('/')}/public/{draw.beacon_round}")
        checks.check(
            f"beacon round {draw.beacon_round} is what the beacon published",
            str(field(value, "randomness")).lower() == draw.beacon,
        )


def _day_close(draw: Draw) -> int:
    """The draw's closes_at, which must be the midnight that ends its date, as a timestamp."""
    try:
        closes = datetime.fromisoformat(str(draw.closes_at))
    except ValueError:
        raise Refused(f"closes_at is not an ISO 8601 time: {draw.closes_at!r}") from None
    next_day = (datetime.fromisoformat(draw.date) + timedelta(days=1)).date()
    if closes.tzinfo is None or closes.time() != time(0) or closes.date() != next_day:
        raise Refused(f"closes_at {draw.closes_at} is not the midnight that ends {draw.date}")
    return int(closes.timestamp())


def bls_valid(public_key: str, round_: int, signature: bytes) -> bool | None:
    """drand's unchained G1 scheme: e(signature, g2) == e(H(SHA-256(round)), public key).

    None when py_ecc, the one package this needs, is not installed.
    """
    try:
        from py_ecc.bls.hash_to_curve import hash_to_G1
        from py_ecc.bls.point_compression import decompress_G1, decompress_G2
        from py_ecc.bls.typing import G1Compressed, G2Compressed
        from py_ecc.optimized_bls12_381 import (
            FQ12,
            G2,
            curve_order,
            final_exponentiate,
            is_inf,
            multiply,
            neg,
            pairing,
        )
    except ImportError:
        return None
    try:
        key = bytes.fromhex(public_key)
        if len(key) != 96:
            return False
        point = decompress_G1(G1Compressed(int.from_bytes(signature, "big")))
        halves = (int.from_bytes(key[:48], "big"), int.from_bytes(key[48:], "big"))
        key_point = decompress_G2(G2Compressed(halves))
    except ValueError:
        return False
    if not is_inf(multiply(point, curve_order)):  # not in the prime-order subgroup
        return False
    message = hashlib.sha256(round_.to_bytes(8, "big")).digest()
    hashed = hash_to_G1(message, BLS_DST, hashlib.sha256)  # type: ignore[arg-type]
    product = pairing(key_point, hashed, final_exponentiate=False) * pairing(
        neg(G2), point, final_exponentiate=False
    )
    return bool(final_exponentiate(product) == FQ12.one())


# --- Ed25519 (RFC 8032), verification only -------------------------------------------------
#
# Points are kept in extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x*y = T/Z, and added
# with RFC 8032 5.1.4's formulas, which also double. Strict, as docs/draw-rules.md (6) asks:
# a public key or an R that is not the canonical encoding of a curve point is refused
# (y >= p, or x = 0 with its sign bit set), so is a public key of small order ([8]A = 0) and
# an S that is not below L. The equation checked is the cofactorless [S]B = R + [k]A, the one
# Go's crypto/ed25519 (the witnesses' library) and OpenSSL check: with R canonical, what
# passes here passes there.

ED_P = 2**255 - 19
ED_L = 2**252 + 27742317777372353535851937790883648493  # the order of the base point
ED_D = -121665 * pow(121666, -1, ED_P) % ED_P
ED_SQRT_M1 = pow(2, (ED_P - 1) // 4, ED_P)
EdPoint = tuple[int, int, int, int]
ED_IDENTITY: EdPoint = (0, 1, 1, 0)


def _ed_add(a: EdPoint, b: EdPoint) -> EdPoint:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    p = ED_P
    e1, e2 = (y1 - x1) * (y2 - x2) % p, (y1 + x1) * (y2 + x2) % p
    c, d = 2 * t1 * t2 * ED_D % p, 2 * z1 * z2 % p
    e, f, g, h = e2 - e1, d - c, d + c, e2 + e1
    return (e * f % p, g * h % p, f * g % p, e * h % p)


def _ed_multiply(scalar: int, point: EdPoint) -> EdPoint:
    result = ED_IDENTITY
    while scalar:
        if scalar & 1:
            result = _ed_add(result, point)
        point = _ed_add(point, point)
        scalar >>= 1
    return result


def _ed_equal(a: EdPoint, b: EdPoint) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % ED_P == 0 and (a[1] * b[2] - b[1] * a[2]) % ED_P == 0


def _ed_decode(encoded: bytes) -> EdPoint | None:
    """RFC 8032 5.1.3: the point, or None for anything but a point's canonical encoding."""
    if len(encoded) != 32:
        return None
    number = int.from_bytes(encoded, "little")
    y, sign = number & ((1 << 255) - 1), number >> 255
    if y >= ED_P:
        return None
    u, v = (y * y - 1) % ED_P, (ED_D * y * y + 1) % ED_P
    x = u * pow(v, 3, ED_P) * pow(u * pow(v, 7, ED_P), (ED_P - 5) // 8, ED_P) % ED_P
    if (v * x * x - u) % ED_P:
        if (v * x * x + u) % ED_P:
            return None  # u/v has no square root: not on the curve
        x = x * ED_SQRT_M1 % ED_P
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = ED_P - x
    return (x, y, 1, x * y % ED_P)


ED_BASE = _ed_decode(bytes([0x58]) + bytes([0x66]) * 31)  # y = 4/5, x even


def _ed_key(public_key: bytes) -> EdPoint | None:
    point = _ed_decode(public_key)
    if point is None or _ed_equal(_ed_multiply(8, point), ED_IDENTITY):
        return None  # not a canonical point, or of small order
    return point


def ed25519_key_valid(public_key: bytes) -> bool:
    return _ed_key(public_key) is not None


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 5.1.7, strict (above)."""
    if len(signature) != 64:
        return False
    a, r = _ed_key(public_key), _ed_decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= ED_L or ED_BASE is None:
        return False
    digest = hashlib.sha512(signature[:32] + public_key + message).digest()
    k = int.from_bytes(digest, "little") % ED_L
    return _ed_equal(_ed_multiply(s, ED_BASE), _ed_add(r, _ed_multiply(k, a)))


# --- Signed notes, keys and checkpoints (C2SP signed-note, tlog-checkpoint, tlog-cosignature)

LOG_KEY_TYPE = 0x01  # Ed25519 over the note's text
WITNESS_KEY_TYPE = 0x04  # a timestamped Ed25519 cosignature
EM_DASH = "\u2014"
KEY_NAME = re.compile(r"[^\s+\u2014\x00-\x1f\x7f]+")  # no spaces, no "+", no control characters
BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # every ASCII control character but "\n"
MAX_SIGNATURES = 100
MAX_TIMESTAMP = (1 << 63) - 1


def b64decode(encoded: str) -> bytes | None:
    """Standard base64 in its one canonical spelling (padded, no stray bits), or None."""
    if not BASE64.fullmatch(encoded):
        return None
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return None
    return raw if base64.b64encode(raw).decode() == encoded else None


@dataclass(frozen=True)
class Key:
    """A verifier key (vkey): ``name+<key id, 8 hex digits>+base64(type || public key)``."""

    name: str
    type: int
    public: bytes

    @property
    def id(self) -> bytes:
        raw = self.name.encode() + b"\n" + bytes([self.type]) + self.public
        return hashlib.sha256(raw).digest()[:4]

    @property
    def vkey(self) -> str:
        material = base64.b64encode(bytes([self.type]) + self.public).decode()
        return f"{self.name}+{self.id.hex()}+{material}"

    @classmethod
    def parse(cls, vkey: str, key_type: int) -> "Key":
        """The key, or ValueError saying why ``vkey`` is not one of ``key_type``."""
        parts = vkey.split("+", 2)  # the base64 may hold "+" too
        if len(parts) != 3 or not KEY_NAME.fullmatch(parts[0]):
            raise ValueError("not a verifier key (name+keyid+base64, the name without spaces)")
        name, key_id, material = parts
        raw = b64decode(material)
        if not re.fullmatch(r"[0-9a-f]{8}", key_id) or raw is None:
            raise ValueError("its key id is not 8 lowercase hex digits, or its key not base64")
        if len(raw) != 33 or raw[0] != key_type:
            raise ValueError(f"not a key of type 0x{key_type:02x} (1 + 32 bytes)")
        key = cls(name, key_type, raw[1:])
        if key.id.hex() != key_id:
            raise ValueError(f"its key id {key_id} is not the one of its name and key")
        if not ed25519_key_valid(key.public):
            raise ValueError("not a canonical Ed25519 point of large order")
        return key


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate, as JSON may carry
        return False
    return True


def cosignature_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


@dataclass
class Note:
    """A signed note: its text (``body``, ending in "\\n") and its signature lines."""

    body: str
    signatures: list[tuple[str, bytes]]  # (key name, key id || signature)
    text: str = ""  # the note as read
    _verified: dict[bytes, bool] = dataclass_field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> "Note":
        if CONTROL.search(text) or not _utf8(text):
            raise ValueError("it holds a control character, or is not UTF-8")
        separator = text.rfind("\n\n")
        if separator < 0 or not text.endswith("\n"):
            raise ValueError("no blank line between its text and its signatures")
        lines = text[separator + 2 : -1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise ValueError(f"more than {MAX_SIGNATURES} signature lines")
        signatures = []
        for line in lines:
            parts = line.split(" ")
            payload = b64decode(parts[2]) if len(parts) == 3 else None
            if len(parts) != 3 or parts[0] != EM_DASH or not KEY_NAME.fullmatch(parts[1]):
                raise ValueError(f"not a signature line: {line[:80]!r}")
            if payload is None or len(payload) < 5:
                raise ValueError(
                    f"a signature that is not base64 of key id and bytes: {line[:80]!r}"
                )
            signatures.append((parts[1], payload))
        return cls(text[: separator + 1], signatures, text)

    def _lines_of(self, key: Key) -> list[bytes]:
        """The signatures of ``key`` (its name and key id); a note ignores other keys'."""
        return [sig[4:] for name, sig in self.signatures if name == key.name and sig[:4] == key.id]

    def signed_by(self, key: Key) -> bool:
        """Signed by ``key``: at least one signature of it, and every one valid."""
        if key.public not in self._verified:
            signatures = self._lines_of(key)
            self._verified[key.public] = bool(signatures) and all(
                ed25519_verify(key.public, self.body.encode(), signature)
                for signature in signatures
            )
        return self._verified[key.public]

    def cosigned_at(self, witness: Key) -> tuple[int | None, int]:
        """The earliest time of a valid cosignature of ``witness`` (None if it has none), and
        how many of its cosignatures did not verify."""
        times, invalid = [], 0
        for payload in self._lines_of(witness):
            timestamp = int.from_bytes(payload[:8], "big")
            valid = len(payload) == 8 + 64 and timestamp <= MAX_TIMESTAMP
            message = cosignature_message(self.body, timestamp)
            if valid and ed25519_verify(witness.public, message, payload[8:]):
                times.append(timestamp)
            else:
                invalid += 1
        return (min(times) if times else None), invalid


@dataclass
class Checkpoint:
    """A checkpoint of the log: ``origin``, ``size``, ``root`` (and ignored extension lines)."""

    note: Note
    size: int
    root: bytes

    @classmethod
    def parse(cls, text: str, origin: str) -> "Checkpoint":
        """The checkpoint of the log named ``origin``; Refused if it is anything else."""
        try:
            note = Note.parse(text)
        except ValueError as exc:
            raise Refused(f"a checkpoint is not a signed note: {exc}") from None
        lines = note.body[:-1].split("\n")
        if len(lines) < 3 or not all(lines):
            raise Refused("a checkpoint's text is not origin, size, root and extension lines")
        root = b64decode(lines[2])
        if lines[0] != origin:
            raise Refused(f"a checkpoint of {lines[0][:80]!r}, not of the log {origin!r}")
        if not re.fullmatch(r"0|[1-9][0-9]{0,18}", lines[1]) or root is None or len(root) != 32:
            raise Refused(f"a checkpoint's size or root is not canonical: {note.body[:200]!r}")
        return cls(note, int(lines[1]), root)


# --- The lottery's log: entries and their tree (docs/draw-rules.md, 6) ---------------------

POLICY, CLOSE, DRAW = "lottery-policy/v1", "lottery-close/v1", "lottery-draw/v1"
KIND_NAMES = {POLICY: "policy", CLOSE: "close", DRAW: "draw"}
_INT = "0|[1-9][0-9]{0,15}"  # and at most 2^53 - 1 (Entry.parse), as a browser reads it
INTEGER_LINES = {
    "vdf_delay_log2",
    "beacon",  # its delay
    "close_witness_seconds",
    "ballot_count",
    "winning_index",
    "beacon_round",
    "height",
}
_INSTANT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"
_HEX64 = "[0-9a-f]{64}"


def _or_none(pattern: str) -> str:
    return f"none|{pattern}"


# Each kind's lines, in their one order, with the form of each value.
ENTRY_LINES: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    kind: [(name, re.compile(pattern)) for name, pattern in lines]
    for kind, lines in {
        POLICY: [
            ("date", DATE.pattern),
            ("rule", f"{DELAY_FUNCTION_RULE}|{HMAC_RULE}"),
            ("vdf_delay_log2", _or_none(_INT)),
            ("beacon", f"none|(?:{_INT}) [^\\s]+"),
            ("opens_at", _INSTANT),
            ("closes_at", _INSTANT),
            ("close_witness_seconds", _INT),
            ("seed_commitment", _or_none(_HEX64)),
            ("demo", "yes|no"),
        ],
        CLOSE: [
            ("date", DATE.pattern),
            ("policy", _HEX64),
            ("ballot_count", _INT),
            ("merkle_root", _HEX64),
            ("closed_at", _INSTANT),
        ],
        DRAW: [
            ("date", DATE.pattern),
            ("policy", _HEX64),
            ("close", _HEX64),
            ("winning_index", _or_none(_INT)),
            ("winning_ballot_id", _or_none(UUID_TEXT.pattern)),
            ("seed", _or_none(_HEX64)),
            ("vdf_output", _or_none(HEX_ELEMENT.pattern)),
            ("beacon_round", _or_none(_INT)),
            ("beacon_randomness", _or_none(HEX_BEACON.pattern)),
            ("beacon_signature", _or_none(HEX_SIGNATURE.pattern)),
            ("height", _INT),
            ("previous_record_hash", _or_none(_HEX64)),
            ("drawn_at", _INSTANT),
        ],
    }.items()
}


def _instant(value: str) -> int:
    """A ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` instant as microseconds since 1970 (UTC)."""
    moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _utc(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return f"{seconds} (POSIX time)"


@dataclass(frozen=True)
class Entry:
    """One entry of the log, every line checked for its name, order and canonical value."""

    index: int
    kind: str
    values: dict[str, str]
    text: bytes

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.text).hexdigest()

    @property
    def date(self) -> str:
        return self.values["date"]

    def value(self, name: str) -> str | None:
        return None if self.values[name] == "none" else self.values[name]

    def number(self, name: str) -> int | None:
        value = self.value(name)
        return None if value is None else int(value)

    @classmethod
    def parse(cls, index: int, raw: bytes) -> "Entry":
        def refuse(why: str) -> Refused:
            return Refused(f"the log's entry {index} is not in canonical form: {why}")

        try:
            entry = raw.decode()
        except UnicodeDecodeError:
            raise refuse("not UTF-8") from None
        if CONTROL.search(entry) or not entry.endswith("\n"):
            raise refuse("a control character, or no final newline")
        kind, *lines = entry[:-1].split("\n")
        if kind not in ENTRY_LINES:
            raise refuse(f"unknown kind {kind[:80]!r}")
        spec = ENTRY_LINES[kind]
        if len(lines) != len(spec):
            raise refuse(f"{len(lines)} lines after {kind}, not {len(spec)}")
        values = {}
        for line, (name, pattern) in zip(lines, spec, strict=True):
            key, _, value = line.partition(" ")
            if key != name or not pattern.fullmatch(value):
                raise refuse(f"expected {name} and its value, got {line[:100]!r}")
            values[name] = value
            number = value.split(" ")[0]
            if name in INTEGER_LINES and number != "none" and int(number) > MAX_SAFE_INTEGER:
                raise refuse(f"{name} is above 2^53 - 1: {line[:100]!r}")
        try:
            date.fromisoformat(values["date"])
            instants = {name: _instant(v) for name, v in values.items() if name.endswith("_at")}
        except ValueError as exc:
            raise refuse(f"a date or time that does not exist: {exc}") from None
        made = cls(index, kind, values, raw)
        if kind == POLICY:
            why = _policy_refusal(made, instants)
            if why:
                raise refuse(why)
        output = made.value("vdf_output") if kind == DRAW else None
        if output is not None and not 1 <= int(output, 16) <= HALF_N:
            raise refuse("vdf_output is not a canonical group element")
        return made


def _policy_refusal(policy: Entry, instants: dict[str, int]) -> str:
    delay = policy.number("vdf_delay_log2")
    if policy.values["rule"] == DELAY_FUNCTION_RULE and (delay is None or not 1 <= delay <= 64):
        return "a delay-function day's vdf_delay_log2 must be 1..64"
    if policy.values["rule"] == DELAY_FUNCTION_RULE and policy.value("seed_commitment") is not None:
        return "a delay-function day has no seed_commitment"
    if policy.values["rule"] == HMAC_RULE and (
        delay is not None or not policy.value("seed_commitment")
    ):
        return "an hmac-sha256 day has a seed_commitment and no vdf_delay_log2"
    opens, closes = instants["opens_at"], instants["closes_at"]
    if opens % 1_000_000 or closes % 1_000_000 or not opens < closes:
        return "opens_at and closes_at must be whole seconds, opens_at first"
    return ""


@dataclass(frozen=True)
class Policy:
    """The day's policy entry, read: every value that decides its winner."""

    entry: Entry
    rule: str
    delay_log2: int | None
    beacon_delay: int | None
    beacon_url: str | None
    opens: int  # POSIX seconds
    closes: int
    close_witness_seconds: int
    seed_commitment: str | None
    demo: bool

    @classmethod
    def of(cls, entry: Entry) -> "Policy":
        beacon = entry.value("beacon")
        delay, url = beacon.split(" ", 1) if beacon else (None, None)
        return cls(
            entry=entry,
            rule=entry.values["rule"],
            delay_log2=entry.number("vdf_delay_log2"),
            beacon_delay=None if delay is None else int(delay),
            beacon_url=url,
            opens=_instant(entry.values["opens_at"]) // 1_000_000,
            closes=_instant(entry.values["closes_at"]) // 1_000_000,
            close_witness_seconds=int(entry.values["close_witness_seconds"]),
            seed_commitment=entry.value("seed_commitment"),
            demo=entry.values["demo"] == "yes",
        )


class Log:
    """The log's entries up to a checkpoint, and the root of every prefix of them."""

    def __init__(self, texts: list[bytes]) -> None:
        self.entries = [Entry.parse(index, text) for index, text in enumerate(texts)]
        self.leaves = [hashlib.sha256(b"\x00" + text).digest() for text in texts]
        builder = RootBuilder()
        self.roots = [builder.root()]
        for leaf in self.leaves:
            builder.add(leaf)
            self.roots.append(builder.root())

    @property
    def size(self) -> int:
        return len(self.entries)

    def root(self, size: int) -> bytes:
        """The RFC 6962 root of the first ``size`` entries."""
        return self.roots[size]

    def first_policy_date(self) -> str | None:
        return next((e.date for e in self.entries if e.kind == POLICY), None)

    def of_day(self, day: str, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind and e.date == day]

    def draws_at_height(self, height: int) -> list[Entry]:
        return [e for e in self.entries if e.kind == DRAW and e.number("height") == height]


def read_entries(base: str, size: int) -> list[bytes]:
    """Entries 0 .. size - 1, in pages of ENTRY_PAGE; each page exactly the entries asked for."""
    texts: list[bytes] = []
    while len(texts) < size:
        start, limit = len(texts), min(ENTRY_PAGE, size - len(texts))
        page = get_json(f"{base}/log/entries?start={start}&limit={limit}")
        entries, next_start = field(page, "entries"), field(page, "next_start")
        if (
            type(field(page, "start")) is not int
            or field(page, "start") != start
            or not isinstance(entries, list)
            or len(entries) != limit
            or not all(isinstance(entry, str) for entry in entries)
            or not (next_start is None or (type(next_start) is int and next_start == start + limit))
        ):
            raise Refused(
                f"GET /log/entries?start={start}&limit={limit} did not answer exactly those "
                f"{limit} entries (start, entries, next_start)"
            )
        try:
            texts += [entry.encode() for entry in entries]
        except UnicodeEncodeError:
            raise Refused(f"an entry from {start} on is not UTF-8 text") from None
    return texts


def cosigned_checkpoints(base: str, after: int, origin: str) -> Iterator[Checkpoint]:
    """The cosigned checkpoints of size > ``after``, ascending; the paging must progress."""
    while True:
        page = get_json(f"{base}/log/checkpoints?after={after}&limit={CHECKPOINT_PAGE}")
        items, next_after = field(page, "items"), field(page, "next_after")
        if (
            not isinstance(items, list)
            or len(items) > CHECKPOINT_PAGE
            or not all(isinstance(item, str) for item in items)
        ):
            raise Refused(f"GET /log/checkpoints?after={after} is not a list of signed notes")
        previous = after
        for item in items:
            checkpoint = Checkpoint.parse(item, origin)
            if checkpoint.size <= previous:
                raise Refused(f"GET /log/checkpoints?after={after} is not ascending by size")
            previous = checkpoint.size
            yield checkpoint
        if next_after is None:
            return
        if not items or type(next_after) is not int or next_after != previous:
            raise Refused(f"GET /log/checkpoints?after={after}: next_after is not its last size")
        after = next_after


# --- Receipts (docs/draw-rules.md, 7) -----------------------------------------------------

RECEIPT_KIND = " receipt/v1"


@dataclass(frozen=True)
class Receipt:
    """A receipt: the log key's signed note naming a day, an instant, its policy, ballots."""

    note: Note
    origin: str
    date: str
    accepted_at: str
    policy: str | None
    ballots: list[str]

    @classmethod
    def parse(cls, text: str) -> "Receipt":
        """The receipt, or ValueError saying why ``text`` is not one."""
        note = Note.parse(text)
        first, *lines = note.body[:-1].split("\n")
        origin = first.removesuffix(RECEIPT_KIND)
        if not first.endswith(RECEIPT_KIND) or not KEY_NAME.fullmatch(origin):
            raise ValueError(f"its first line is not '<log name> receipt/v1': {first[:80]!r}")
        spec = [("date", DATE.pattern), ("accepted_at", _INSTANT), ("policy", _or_none(_HEX64))]
        if len(lines) < len(spec) + 1:
            raise ValueError("it names no ballot")
        values = []
        for line, (name, pattern) in zip(lines, spec, strict=False):
            key, _, value = line.partition(" ")
            if key != name or not re.fullmatch(pattern, value):
                raise ValueError(f"expected {name} and its value, got {line[:100]!r}")
            values.append(value)
        ballots: list[str] = []
        for line in lines[len(spec) :]:
            key, _, value = line.partition(" ")
            if key != "ballot" or not UUID_TEXT.fullmatch(value):
                raise ValueError(f"expected ballot and a canonical id, got {line[:100]!r}")
            if ballots and value <= ballots[-1]:
                raise ValueError("its ballots are not in canonical order, each once")
            ballots.append(value)
        try:
            date.fromisoformat(values[0])
            _instant(values[1])
        except ValueError as exc:
            raise ValueError(f"a date or time that does not exist: {exc}") from None
        policy = None if values[2] == "none" else values[2]
        return cls(note, origin, values[0], values[1], policy, ballots)


def check_receipt(
    checks: Checks,
    receipt: Receipt,
    key: Key,
    day: str,
    policy: Policy | None,
    closes: int,
) -> ReceiptCheck:
    """The receipt's signature and its values against the day (``policy`` None: a day before
    the record, whose ``closes`` is the draw's)."""
    signed = checks.check(
        "the receipt is signed by the log key", receipt.note.signed_by(key), key.name
    )
    named = checks.check(
        "the receipt is the log's",
        receipt.origin == key.name,
        f"its first line is {receipt.origin + RECEIPT_KIND!r}",
    )
    dated = checks.check(
        f"the receipt is for {day}", receipt.date == day, f"it says {receipt.date}"
    )
    logged = None if policy is None else policy.entry.hash
    of_policy = checks.check(
        "the receipt names the day's policy entry",
        receipt.policy == logged,
        f"it says {_shown(receipt.policy)}"
        + ("" if receipt.policy == logged else f"; the log's is {_shown(logged)}"),
    )
    accepted = _instant(receipt.accepted_at)
    opens = None if policy is None else policy.opens
    in_time = (opens is None or opens * 1_000_000 <= accepted) and accepted < closes * 1_000_000
    window = (
        f"the day closes at {_utc(closes)}"
        if opens is None
        else f"the policy opens the day at {_utc(opens)} and closes it at {_utc(closes)}"
    )
    open_day = checks.check(
        "the receipt's ballots were accepted while the day was open",
        in_time,
        f"accepted at {receipt.accepted_at}; {window}",
    )
    return ReceiptCheck(signed and named and dated and of_policy and open_day, receipt.accepted_at)


# --- What earlier runs saw ----------------------------------------------------------------


LOG_RECORD = "log"  # the key of --record's log section, beside the days' dates


class Record:
    """--record FILE: what was seen, by day; a later answer must not contradict it."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.days: dict[str, dict[str, Any]] = {}
        if path is not None and path.exists():
            try:
                kept = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise Unusable(f"the record {path} cannot be read: {exc}") from None
            if not isinstance(kept, dict):
                raise Unusable(f"the record {path} is not a JSON object")
            self.days = kept
        self.before: dict[str, Any] = json.loads(json.dumps(self.days))  # as runs before left it

    def commitment_seen_open(self, date: str) -> str | None:
        """The seed commitment an earlier run read from GET /lotteries while ``date`` was open."""
        day = self.before.get(date)
        if isinstance(day, dict) and day.get("seen_open") is True:
            kept = day.get("seed_commitment")
            return kept if isinstance(kept, str) else None
        return None

    def see(self, checks: Checks, date: str, **values: Any) -> None:
        kept = self.days.setdefault(date, {})
        for name, value in values.items():
            if name in kept and kept[name] != value:
                checks.check(
                    f"{date}'s {name} is what an earlier run saw",
                    False,
                    f"kept {shown(kept[name])[:80]}, now {shown(value)[:80]}",
                )
            kept.setdefault(name, value)

    def checkpoints_kept(self) -> dict[int, str]:
        """The log's checkpoints earlier runs saw: size -> root (hex)."""
        kept = self.before.get(LOG_RECORD, {})
        checkpoints = kept.get("checkpoints", {}) if isinstance(kept, dict) else {}
        if not isinstance(checkpoints, dict):
            return {}
        return {
            int(size): root
            for size, root in checkpoints.items()
            if isinstance(size, str) and size.isdigit() and isinstance(root, str)
        }

    def keep_checkpoint(self, size: int, root: bytes) -> None:
        kept = self.days.setdefault(LOG_RECORD, {})
        kept.setdefault("checkpoints", {}).setdefault(str(size), root.hex())

    def save(self) -> None:
        if self.path is not None:
            self.path.write_text(
                json.dumps(self.days, indent=1, sort_keys=True, default=repr) + "\n"
            )


def record_open_days(checks: Checks, record: Record, base: str) -> None:
    """Each listed day's policy, as /lotteries shows it before the day's draw. A day is kept
    as seen open (its seed commitment then vouches for an old-rule day) only while this
    machine's clock is before the day's closes_at."""
    days = get_json(f"{base}/lotteries")
    if not isinstance(days, list):
        raise Unusable("/lotteries did not answer a list")
    now = datetime.now(UTC)
    for day in days:
        date = text(day, "date", DATE)
        closes_at = field(day, "closes_at")
        try:
            closes = datetime.fromisoformat(str(closes_at))
        except ValueError:
            raise Refused(f"{date}'s closes_at is not an ISO 8601 time: {closes_at!r}") from None
        is_open = closes.tzinfo is not None and now < closes
        record.see(
            checks,
            date,
            rule=field(day, "rule"),
            closes_at=closes_at,
            beacon_delay_seconds=optional_integer(day, "beacon_delay_seconds"),
            vdf_delay_log2=optional_integer(day, "vdf_delay_log2"),
            seed_commitment=optional_text(day, "seed_commitment", HEX64),
            **({"seen_open": True} if is_open else {}),
        )


def record_draw(checks: Checks, record: Record, draw: Draw) -> None:
    record.see(
        checks,
        draw.date,
        ballot_count=draw.count,
        merkle_root=draw.root,
        rule=draw.rule,
        closes_at=draw.closes_at,
    )
    if draw.state != "drawn":
        return
    record.see(
        checks,
        draw.date,
        vdf_delay_log2=draw.delay_log2,
        beacon_delay_seconds=draw.beacon_delay,
        seed_commitment=draw.commitment or None,
        record_hash=draw.record_hash,
    )


# --- The checks of the public record ------------------------------------------------------


@dataclass
class LogView:
    """What this run read of the log: its key, newest checkpoint, entries, checkpoints seen."""

    key: Key
    newest: Checkpoint
    log: Log
    seen: dict[int, bytes] = dataclass_field(default_factory=dict)  # matched their entries


def read_log(checks: Checks, base: str, log_key: Key | None, pinned: bool) -> LogView | None:
    """The log up to its newest checkpoint, checked against the log key; None if the server
    keeps no log (GET /log/checkpoint answers 404)."""
    try:
        newest_text = get_text(f"{base}/log/checkpoint")
    except Unusable as exc:
        if exc.status != 404:
            raise
        why = "the server publishes no log (GET /log/checkpoint answered HTTP 404)"
        if pinned:
            checks.check("the lottery publishes its log", False, why)
        else:
            checks.skip("the public record", "the public record", why)
        return None
    if log_key is None:
        log_key = served_log_key(checks, base)
    newest = Checkpoint.parse(newest_text, log_key.name)
    checks.check(
        "the newest checkpoint is signed by the log key",
        newest.note.signed_by(log_key),
        f"{log_key.name}, size {newest.size}",
    )
    if newest.size > MAX_LOG_SIZE:
        raise Refused(f"the log claims {newest.size} entries, more than {MAX_LOG_SIZE}")
    log = Log(read_entries(base, newest.size))
    matches = log.root(newest.size) == newest.root
    checks.check(
        "the newest checkpoint's root is the root of the log's entries",
        matches,
        f"{log.size} entries, recomputed {log.root(log.size).hex()}"
        + ("" if matches else f"; the checkpoint says {newest.root.hex()}"),
    )
    view = LogView(log_key, newest, log)
    if matches and newest.note.signed_by(log_key):
        view.seen[newest.size] = newest.root
    return view


def served_log_key(checks: Checks, base: str) -> Key:
    """The log key GET /log/key serves, used with a SKIP: nobody but the server vouches."""
    served = get_text(f"{base}/log/key")
    try:
        if not served.endswith("\n") or "\n" in served[:-1]:
            raise ValueError("not one line")
        log_key = Key.parse(served[:-1], LOG_KEY_TYPE)
    except ValueError as exc:
        raise Unusable(f"GET /log/key is not the log's verifier key: {exc}") from None
    checks.skip(
        "the log key (--log-key)",
        "the lottery's log key is not pinned (--log-key)",
        "read from the server it checks",
    )
    note(f"the server's log key: {log_key.vkey}")
    return log_key


def check_kept_history(checks: Checks, record: Record, view: LogView) -> None:
    """--record: every checkpoint an earlier run kept is still the root of the entries."""
    kept = record.checkpoints_kept()
    if kept:
        log = view.log
        changed = [
            (size, root)
            for size, root in sorted(kept.items())
            if size > log.size or log.root(size).hex() != root
        ]
        size, root = changed[0] if changed else (0, "")
        checks.check(
            "the log's history is what earlier runs saw",
            not changed,
            f"{len(kept)} checkpoints kept"
            if not changed
            else f"the log now has {log.size} entries, fewer than the {size} kept"
            if size > log.size
            else f"kept root {root} for size {size}; its entries now give {log.root(size).hex()}",
        )


@dataclass(frozen=True)
class Day:
    """The day's entries in the log."""

    policy: Policy
    close: Entry
    draw: Entry | None  # None: not drawn yet (a bundle saved before the draw)


def day_entries(checks: Checks, log: Log, day: str) -> Day | None:
    found = {kind: log.of_day(day, kind) for kind in (POLICY, CLOSE, DRAW)}
    for kind, entries in found.items():
        if len(entries) > 1:
            checks.check(
                f"the log holds one {KIND_NAMES[kind]} entry for {day}",
                False,
                f"entries {', '.join(str(e.index) for e in entries)}",
            )
    missing = [KIND_NAMES[kind] for kind, entries in found.items() if not entries]
    checks.check(
        f"the log holds {day}'s policy, close and draw entries",
        not missing,
        f"no {' and no '.join(missing)} entry"
        if missing
        else "entries " + ", ".join(str(entries[0].index) for entries in found.values()),
    )
    if missing:
        return None
    policy, close, draw = (found[kind][0] for kind in (POLICY, CLOSE, DRAW))
    checks.check(
        "the close and draw entries follow the day's policy and close",
        close.values["policy"] == draw.values["policy"] == policy.hash
        and draw.values["close"] == close.hash
        and policy.index < close.index < draw.index,
        f"policy {policy.hash}, close {close.hash}",
    )
    day_policy = Policy.of(policy)
    _check_entries_agree(day_policy, close, draw)
    return Day(day_policy, close, draw)


def _check_entries_agree(policy: Policy, close: Entry, draw: Entry) -> None:
    """The draw entry has the values the policy's rule and the close's count call for."""
    count = int(close.values["ballot_count"])
    index, winner = draw.number("winning_index"), draw.value("winning_ballot_id")
    beacon = [
        draw.value(name) for name in ("beacon_round", "beacon_randomness", "beacon_signature")
    ]
    has_output = policy.rule == DELAY_FUNCTION_RULE and count > 0
    why = ""
    if (count == 0) != (index is None) or (index is None) != (winner is None):
        why = "a winner, its index and a non-empty day go together"
    elif index is not None and index >= count:
        why = f"winning_index {index} is not below ballot_count {count}"
    elif (draw.value("seed") is not None) != (policy.rule == HMAC_RULE):
        why = "a seed is drawn exactly on an hmac-sha256 day"
    elif (draw.value("vdf_output") is not None) != has_output:
        why = "a delay-function output is drawn exactly on a delay-function day with ballots"
    elif len({value is None for value in beacon}) != 1:
        why = "beacon_round, beacon_randomness and beacon_signature go together"
    elif (beacon[0] is None) != (policy.beacon_delay is None):
        why = "a beacon round is drawn exactly when the policy has a beacon"
    elif (draw.number("height") == 0) != (draw.value("previous_record_hash") is None):
        why = "only the first draw (height 0) has no previous draw"
    if why:
        raise Refused(f"the log's draw entry {draw.index} does not fit its policy and close: {why}")


def draw_from_log(checks: Checks, draw: Draw, day: Day) -> Draw | None:
    """The draw with every deciding value taken from the log (only the proof is the answer's);
    each value the answer gives must be the log's. None when the rules differ."""
    policy, close, entry = day.policy, day.close, day.draw
    assert entry is not None
    delay_rule = policy.rule == DELAY_FUNCTION_RULE
    output = entry.value("vdf_output")
    draw_closes = _day_close(draw)
    claims: list[tuple[str, object, object, str]] = [  # name, answer, log, where in the log
        ("rule", draw.rule, policy.rule, "policy"),
        ("closes_at", _utc(draw_closes), _utc(policy.closes), "policy"),
        ("beacon_delay_seconds", draw.beacon_delay, policy.beacon_delay, "policy"),
        ("ballot_count", draw.count, int(close.values["ballot_count"]), "close"),
        ("merkle_root", draw.root, close.values["merkle_root"], "close"),
        ("winning_index", draw.index, entry.number("winning_index"), "draw"),
        ("winning_ballot_id", draw.winner, entry.value("winning_ballot_id"), "draw"),
        ("beacon_round", draw.beacon_round, entry.number("beacon_round"), "draw"),
        ("beacon_randomness", draw.beacon or None, entry.value("beacon_randomness"), "draw"),
        (
            "beacon_signature",
            draw.beacon_signature or None,
            entry.value("beacon_signature"),
            "draw",
        ),
        ("height", draw.height, entry.number("height"), "draw"),
        ("previous_record_hash", draw.previous_hash, entry.value("previous_record_hash"), "draw"),
        ("record_hash", draw.record_hash, entry.hash, "draw entry's SHA-256"),
    ]
    if draw.rule == policy.rule and delay_rule:
        answer_output = None if draw.output is None else encode(draw.output).hex()
        claims.append(("vdf_delay_log2", draw.delay_log2, policy.delay_log2, "policy"))
        claims.append(("vdf_output", answer_output, output, "draw"))
    elif draw.rule == policy.rule:
        claims.append(("seed_commitment", draw.commitment, policy.seed_commitment, "policy"))
        claims.append(("seed", draw.seed, entry.value("seed"), "draw"))
    differ = [claim for claim in claims if claim[1] != claim[2]]
    for name, answer, logged, where in differ:
        source = where if where.endswith("SHA-256") else f"{where} entry"
        checks.check(
            f"the draw's {name} is the log's",
            False,
            f"the draw says {_shown(answer)}, the {source} says {_shown(logged)}",
        )
    if not differ:
        checks.check(
            "the draw is the log's",
            True,
            f"{', '.join(name for name, *_ in claims)} as its policy, close and draw entries say",
        )
    if draw.rule != policy.rule:
        note("the rest is not checked: the draw is not served under its policy's rule")
        return None
    logged = copy.copy(draw)
    logged.count, logged.root = int(close.values["ballot_count"]), close.values["merkle_root"]
    logged.index, logged.winner = entry.number("winning_index"), entry.value("winning_ballot_id")
    logged.delay_log2 = policy.delay_log2 if delay_rule else None
    logged.output = None if output is None else int(output, 16)
    logged.seed, logged.commitment = entry.value("seed") or "", policy.seed_commitment or ""
    logged.beacon_delay, logged.beacon_round = policy.beacon_delay, entry.number("beacon_round")
    logged.beacon = entry.value("beacon_randomness") or ""
    logged.beacon_signature = entry.value("beacon_signature") or ""
    logged.height, logged.previous_hash = (
        int(entry.values["height"]),
        entry.value("previous_record_hash"),
    )
    logged.record_hash = entry.hash
    return logged


def _shown(value: object) -> str:
    return "none" if value is None else str(value)


@dataclass(frozen=True)
class Cosigned:
    size: int  # the checkpoint's
    time: int  # the witness's, POSIX seconds
    text: str = ""  # the checkpoint, as read (a bundle keeps it)


def find_cosignatures(
    checks: Checks, base: str, view: LogView, witnesses: list[Key], targets: dict[str, int]
) -> dict[tuple[str, str], Cosigned]:
    """For each witness (by vkey) and each target entry (name -> index), the first cosigned
    checkpoint that holds the entry, matches the entries and carries the witness's valid
    cosignature. Every checkpoint read on the way must match the entries."""
    found: dict[tuple[str, str], Cosigned] = {}
    wanted = {(w.vkey, name) for w in witnesses for name in targets}
    read, mismatched, beyond = 0, [], None
    for checkpoint in cosigned_checkpoints(base, min(targets.values()), view.key.name):
        if checkpoint.size > view.log.size:
            beyond = checkpoint.size  # newer than the entries read: not checkable
            break
        read += 1
        if checkpoint.root != view.log.root(checkpoint.size):
            mismatched.append(checkpoint)
            continue
        view.seen[checkpoint.size] = checkpoint.root
        for witness in witnesses:
            names = [
                n for n, i in targets.items() if (witness.vkey, n) in wanted and checkpoint.size > i
            ]
            cosigned = _cosigned(checkpoint, witness, view.key) if names else None
            if cosigned is not None:
                for name in names:
                    found[witness.vkey, name] = Cosigned(
                        checkpoint.size, cosigned, checkpoint.note.text
                    )
                    wanted.discard((witness.vkey, name))
        if not wanted:
            break
    first = mismatched[0] if mismatched else None
    checks.check(
        "every cosigned checkpoint read has the root of the log's entries",
        first is None,
        f"{read} read"
        if first is None
        else f"the checkpoint of size {first.size} says {first.root.hex()}, its entries give "
        f"{view.log.root(first.size).hex()} ({len(mismatched)} of {read} differ)",
    )
    if wanted and beyond is not None:
        note(f"checkpoints from size {beyond} on are newer than the entries read: not used")
    return found


def _cosigned(checkpoint: Checkpoint, witness: Key, log_key: Key) -> int | None:
    """The time of ``witness``'s earliest valid cosignature of a checkpoint the log signed."""
    cosigned, invalid = checkpoint.note.cosigned_at(witness)
    if invalid:
        note(
            f"{invalid} cosignature(s) of {witness.name} on checkpoint {checkpoint.size} do "
            "not verify: not counted"
        )
    if cosigned is not None and not checkpoint.note.signed_by(log_key):
        note(
            f"checkpoint {checkpoint.size} is not signed by the log key: its cosignatures are "
            "not counted"
        )
        return None
    return cosigned


Found = dict[tuple[str, str], Cosigned]  # (witness vkey, "policy" or "close") -> its first


def check_witnesses(
    checks: Checks,
    day: Day,
    witnesses: list[Key],
    max_close_delay: int,
    demo: bool,
    find: Callable[[dict[str, int]], Found],
) -> Found:
    """The policy cosigned before the close, the close soon after it, by every pinned witness;
    ``find`` gives each one's first cosigned checkpoint holding each entry."""
    policy = day.policy
    allowed = policy.close_witness_seconds
    if not demo:
        checks.check(
            "the policy's close_witness_seconds is within --max-close-delay",
            allowed <= max_close_delay,
            f"the policy allows {allowed} s after closes_at; --max-close-delay is "
            f"{max_close_delay}",
        )
    if not witnesses:
        checks.skip(
            "witnesses (--witness-key)",
            "no witness key pinned (--witness-key)",
            "nobody but the lottery vouches for when the policy and close were public",
        )
        return {}
    targets = {"policy": policy.entry.index, "close": day.close.index}
    found = find(targets)
    for witness in witnesses:
        by = f"witness {witness.name}"
        for name, index in targets.items():
            cosigned = found.get((witness.vkey, name))
            if cosigned is None:
                checks.check(
                    f"the {name} entry was cosigned by {by}",
                    False,
                    f"no checkpoint holding entry {index} carries its valid cosignature",
                )
                continue
            after = cosigned.time - policy.closes
            when = f"{abs(after)} s {'after' if after >= 0 else 'before'} closes_at"
            where = f"{by}, checkpoint {cosigned.size} at {_utc(cosigned.time)}"
            if demo:
                note(f"the {name} was cosigned {when} ({where}): timing not checked, a demo day")
            elif name == "policy":
                on_time = after < 0
                checks.check(
                    f"the policy was {'' if on_time else 'not '}witnessed before the close",
                    on_time,
                    f"cosigned {when} ({where})",
                )
                if cosigned.time >= policy.opens:
                    note(
                        f"warning: {by} first cosigned the policy at {_utc(cosigned.time)}, not "
                        f"before the day opened ({_utc(policy.opens)})"
                    )
            else:
                on_time = after <= allowed
                checks.check(
                    f"the close was {'' if on_time else 'not '}witnessed in time",
                    on_time,
                    f"cosigned {when}, the policy allows {allowed} ({where})",
                )
                if after < 0:
                    note(f"warning: {by} cosigned the close before closes_at: the day closed early")
    return found


def check_chain_logged(
    checks: Checks, base: str, log: Log, draw: Draw, entry: Entry | None, links: int
) -> None:
    """Follow the chain through the log's draw entries (each previous_record_hash the SHA-256
    of the draw entry at height - 1), then through the API for days before the record."""
    if entry is None:
        return
    current = entry
    for done in range(links):
        height, previous_hash = int(current.values["height"]), current.value("previous_record_hash")
        if previous_hash is None:
            note(f"the chain starts at {current.date} (height {height})")
            return
        previous = log.draws_at_height(height - 1)
        if len(previous) > 1:
            checks.check(
                f"the log holds one draw at height {height - 1}",
                False,
                f"entries {', '.join(str(e.index) for e in previous)}",
            )
            return
        if not previous:  # the draw before predates the record
            answer = (
                draw
                if current is entry
                else Draw(get_json(f"{base}/draws/{current.date}"), current.date)
            )
            note(f"the chain leaves the log at {current.date}: the draw before predates the record")
            _walk_chain(
                checks,
                base,
                current.date,
                height,
                answer.previous_date,
                previous_hash,
                links - done,
            )
            return
        checks.check(
            f"the chain link {current.date} -> {previous[0].date}",
            previous[0].hash == previous_hash and previous[0].date < current.date,
            f"in the log: height {height - 1}, record hash {previous[0].hash}",
        )
        current = previous[0]


def demo_day(policy: Policy, allow_demo: bool, day: str) -> bool:
    """Whether the day's demo mark is accepted (--allow-demo), saying so either way."""
    if policy.demo and allow_demo:
        note(
            f"note: a demo day ({day}: its policy says demo yes, and --allow-demo): its "
            "delay floor and timing are not checked"
        )
    elif policy.demo:
        note("its policy says demo yes: --allow-demo would accept its delay and timing")
    return policy.demo and allow_demo


def verify_logged(
    checks: Checks,
    base: str,
    draw: Draw,
    view: LogView,
    args: Any,
    record: Record,
    answer: Any,
) -> None:
    """A day of the public record: its values from the log, witnessed; then the rule's checks."""
    day = day_entries(checks, view.log, draw.date)
    if day is None:
        return
    policy = day.policy
    logged = draw_from_log(checks, draw, day)
    demo = demo_day(policy, args.allow_demo, draw.date)

    def find(targets: dict[str, int]) -> Found:
        return find_cosignatures(checks, base, view, args.witness_key, targets)

    found = check_witnesses(checks, day, args.witness_key, args.max_close_delay, demo, find)
    if logged is None:
        return
    # An hmac-sha256 day passes only against a commitment the person saw before the close:
    # the policy entry is the operator's word, and whoever holds the seed and the key could
    # log a new policy with its commitment (the entry must agree with it, above).
    commitment = args.commitment or record.commitment_seen_open(draw.date)
    check_policy(checks, logged, args.min_delay, commitment, demo=demo)
    if policy.beacon_url is not None:
        note(f"the policy's beacon: {policy.beacon_url}, {policy.beacon_delay} s after the close")
        if args.beacon_url and args.beacon_url.rstrip("/") != policy.beacon_url.rstrip("/"):
            note("warning: --beacon-url is not the policy's beacon URL")
    check_beacon(checks, logged, policy.closes, args.beacon_url, args.require_beacon)
    receipt: Receipt | None = args.receipt
    if receipt is None and not args.ballot:
        verify_day(checks, base, logged)
        check_chain_logged(checks, base, view.log, draw, day.draw, args.chain)
        return
    held = (
        None
        if receipt is None
        else check_receipt(checks, receipt, view.key, draw.date, policy, policy.closes)
    )
    ids = [args.ballot] if receipt is None else receipt.ballots
    label = "is in the draw" if receipt is None else "is in the day's witnessed close"
    seen, winner = verify_ballots(checks, base, logged, ids, held, label)
    check_chain_logged(checks, base, view.log, draw, day.draw, args.chain)
    if args.save_bundle is not None:
        bundle = make_bundle(base, view, day, found, answer, receipt, seen, winner)
        save_bundle(args.save_bundle, bundle, view.key)


def verify_unlogged(
    checks: Checks, base: str, draw: Draw, args: Any, record: Record, view: LogView | None
) -> None:
    """A day before the public record (or of a server without one): the draw's own checks."""
    commitment = args.commitment or record.commitment_seen_open(draw.date)
    check_policy(checks, draw, args.min_delay, commitment)
    check_beacon(checks, draw, _day_close(draw), args.beacon_url, args.require_beacon)
    receipt: Receipt | None = args.receipt
    if receipt is not None:
        key = view.key if view is not None else args.log_key or served_log_key(checks, base)
        held = check_receipt(checks, receipt, key, draw.date, None, _day_close(draw))
        verify_ballots(checks, base, draw, receipt.ballots, held, "is in the draw")
    elif args.ballot:
        verify_ballots(checks, base, draw, [args.ballot], None, "is in the draw")
    else:
        verify_day(checks, base, draw)
    check_record(checks, draw)
    check_chain(checks, base, draw, args.chain)
    if args.save_bundle is not None:
        note(
            f"no proof bundle: {draw.date} is not in the public record, and a bundle is made of it"
        )


# --- Proof bundles (docs/draw-rules.md, 7) ------------------------------------------------

BUNDLE_FORMAT = "lottery-ballot-bundle/v1"
BUNDLE_FIELDS = {
    "bundle",
    "lottery",
    "date",
    "log_key",
    "receipt",
    "checkpoint",
    "entries",
    "witnessed",
    "draw",
    "ballots",
    "winner",
}
KINDS = {"policy": POLICY, "close": CLOSE, "draw": DRAW}
MAX_PATH = 64  # an audit path or a consistency proof of a tree of up to 2^64 leaves


def make_bundle(
    base: str,
    view: LogView,
    day: Day,
    found: Found,
    answer: Any,
    receipt: Receipt | None,
    seen: list[BallotSeen],
    winner: Proven | None,
) -> dict[str, Any]:
    """What this run read and checked, as one file: the entries' audit paths and the
    consistency proofs are computed here from the entries read, not taken from the server."""
    leaves = view.log.leaves[: view.newest.size]

    def entry(logged: Entry | None) -> dict[str, Any] | None:
        if logged is None:
            return None
        path = [h.hex() for h in audit_path(leaves, logged.index)]
        return {"index": logged.index, "text": logged.text.decode(), "path": path}

    witnessed = {cosigned.size: cosigned.text for cosigned in found.values()}
    return {
        "bundle": BUNDLE_FORMAT,
        "lottery": base,
        "date": day.policy.entry.date,
        "log_key": view.key.vkey,
        "receipt": None if receipt is None else receipt.note.text,
        "checkpoint": view.newest.note.text,
        "entries": {
            "policy": entry(day.policy.entry),
            "close": entry(day.close),
            "draw": entry(day.draw),
        },
        "witnessed": [
            {"checkpoint": text, "consistency": [h.hex() for h in consistency_path(leaves, size)]}
            for size, text in sorted(witnessed.items())
        ],
        "draw": answer,
        "ballots": [ballot.bundled() for ballot in seen],
        "winner": None if winner is None else winner.bundled(),
    }


def save_bundle(path: Path, bundle: dict[str, Any], key: Key) -> None:
    try:
        path.write_text(json.dumps(bundle, indent=1, default=repr) + "\n")
    except OSError as exc:
        raise Unusable(f"the proof bundle cannot be written to {path}: {exc}") from None
    note(
        f"proof bundle saved in {path}: anyone can check it with no network, "
        f"verify_draw.py --bundle {path} --log-key {key.vkey}"
    )


def _exactly(value: Any, names: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != names:
        raise Refused(f"{what} must be an object of exactly {', '.join(sorted(names))}")
    return value


def _count(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise Refused(f"{what} must be a JSON integer >= 0, not {shown(value)[:80]}")
    return value


def _hashes(value: Any, what: str) -> list[str]:
    if (
        not isinstance(value, list)
        or len(value) > MAX_PATH
        or not all(isinstance(h, str) and HEX64.fullmatch(h) for h in value)
    ):
        raise Refused(f"{what} must be a list of at most {MAX_PATH} 64-hex-digit hashes")
    return value


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _utf8(value):
        raise Refused(f"{what} must be a string of UTF-8 text")
    return value


def _bundled_proof(value: Any, what: str) -> Proven | None:
    if value is None:
        return None
    item = _exactly(value, {"ballot_id", "leaf_index", "path"}, what)
    ballot_id = text(item, "ballot_id", UUID_TEXT)
    return Proven(
        ballot_id,
        _count(item["leaf_index"], f"{what}'s leaf_index"),
        _hashes(item["path"], f"{what}'s path"),
    )


def _bundled_ballot(value: Any, what: str) -> BallotSeen:
    if isinstance(value, dict) and "absent" in value:
        item = _exactly(value, {"ballot_id", "absent"}, what)
        sides = _exactly(item["absent"], {"left", "right"}, f"{what}'s absent")
        left = _bundled_proof(sides["left"], f"{what}'s left")
        right = _bundled_proof(sides["right"], f"{what}'s right")
        return BallotSeen(text(item, "ballot_id", UUID_TEXT), left=left, right=right)
    proven = _bundled_proof(value, what)
    if proven is None:
        raise Refused(f"{what} is null")
    return BallotSeen(proven.ballot_id, proven)


def run_checks(
    checks: Checks, strict: bool, work: Callable[[], int | None], *, what: str, given: str
) -> int:
    """The exit code of ``work``, a run of checks on ``what`` (the draw, the bundle) read from
    ``given`` (the answer, the content): a value not in canonical form is a failed check; one
    that cannot be used at all ends the run with 2; else the verdict (or ``work``'s own code)."""
    try:
        early = work()
    except Refused as exc:
        checks.check(f"the {given} is in canonical form", False, str(exc))
        early = None
    except Unusable as exc:
        print(f"cannot check the {what}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"cannot check the {what}: unexpected {given} ({exc!r})", file=sys.stderr)
        return 2
    if early is not None:
        return early
    verdict, code = checks.verdict(strict)
    print(verdict)
    return code


def verify_bundle(args: Any) -> int:
    """--bundle FILE: the receipt or ballot of a proof bundle, checked with no network."""
    checks = Checks()

    def check() -> None:
        check_bundle(checks, args)

    return run_checks(checks, args.require_witnesses, check, what="bundle", given="content")


def check_bundle(checks: Checks, args: Any) -> None:
    path = Path(args.bundle)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_ANSWER_BYTES + 1)
    except OSError as exc:
        raise Unusable(f"{path} cannot be read: {exc}") from None
    if len(raw) > MAX_ANSWER_BYTES:
        raise Unusable(f"{path} is larger than {MAX_ANSWER_BYTES} bytes")
    bundle = _exactly(parse_json(raw, str(path)), BUNDLE_FIELDS, "the bundle")
    if bundle["bundle"] != BUNDLE_FORMAT:
        raise Refused(f"not a {BUNDLE_FORMAT}: {shown(bundle['bundle'])[:80]}")
    day = text(bundle, "date", DATE)
    try:
        date.fromisoformat(day)
    except ValueError:
        raise Refused(f"the bundle's date {day} does not exist") from None
    lottery = _string(bundle["lottery"], "lottery")
    print(f"     proof bundle of {day}, read from {lottery[:200]}: checked with no network")
    key: Key | None = args.log_key
    if key is None:
        try:
            key = Key.parse(_string(bundle["log_key"], "log_key"), LOG_KEY_TYPE)
        except ValueError as exc:
            raise Refused(f"the bundle's log_key is not a log's verifier key: {exc}") from None
        checks.skip(
            "the log key (--log-key)",
            "the lottery's log key is not pinned (--log-key)",
            "read from the bundle it checks",
        )
        note(f"the bundle's log key: {key.vkey}")
    newest = Checkpoint.parse(_string(bundle["checkpoint"], "checkpoint"), key.name)
    checks.check(
        "the checkpoint is signed by the log key",
        newest.note.signed_by(key),
        f"{key.name}, size {newest.size}",
    )

    entries = _exactly(bundle["entries"], set(KINDS), "the bundle's entries")
    read: dict[str, Entry | None] = {}
    for name, kind in KINDS.items():
        if entries[name] is None and name == "draw":
            read[name] = None
            continue
        item = _exactly(entries[name], {"index", "text", "path"}, f"the {name} entry")
        index = _count(item["index"], f"the {name} entry's index")
        raw_text = _string(item["text"], f"the {name} entry's text").encode()
        entry = Entry.parse(index, raw_text)
        if entry.kind != kind or entry.date != day:
            raise Refused(f"the bundle's {name} entry is not a {name} entry of {day}")
        siblings = [bytes.fromhex(h) for h in _hashes(item["path"], f"the {name} entry's path")]
        root = path_root(hashlib.sha256(b"\x00" + raw_text).digest(), index, newest.size, siblings)
        checks.check(
            f"the {name} entry is in the log",
            root == newest.root,
            f"entry {index}: its path {'leads' if root == newest.root else 'does not lead'} to "
            f"the checkpoint's root (size {newest.size})",
        )
        read[name] = entry
    policy_entry, close, draw_entry = read["policy"], read["close"], read["draw"]
    assert policy_entry is not None
    assert close is not None
    checks.check(
        "the close and draw entries follow the day's policy and close",
        close.values["policy"] == policy_entry.hash
        and policy_entry.index < close.index
        and (
            draw_entry is None
            or (
                draw_entry.values["policy"] == policy_entry.hash
                and draw_entry.values["close"] == close.hash
                and close.index < draw_entry.index
            )
        ),
        f"policy {policy_entry.hash}, close {close.hash}",
    )
    note(
        "a bundle cannot show that the log holds no second policy, close or draw entry for the "
        "day: the online check reads every entry"
    )
    policy = Policy.of(policy_entry)
    if draw_entry is not None:
        _check_entries_agree(policy, close, draw_entry)
    logged_day = Day(policy, close, draw_entry)

    witnessed = bundle["witnessed"]
    if not isinstance(witnessed, list) or len(witnessed) > MAX_SIGNATURES:
        raise Refused(f"witnessed must be a list of at most {MAX_SIGNATURES} checkpoints")
    consistent: list[Checkpoint] = []
    for number, value in enumerate(witnessed):
        item = _exactly(value, {"checkpoint", "consistency"}, f"witnessed[{number}]")
        checkpoint = Checkpoint.parse(
            _string(item["checkpoint"], "a witnessed checkpoint"), key.name
        )
        proof = [bytes.fromhex(h) for h in _hashes(item["consistency"], "a consistency proof")]
        signed = checkpoint.note.signed_by(key)
        fits = consistency_valid(checkpoint.size, newest.size, checkpoint.root, newest.root, proof)
        checks.check(
            f"the witnessed checkpoint of size {checkpoint.size} is the log's",
            signed and fits,
            "signed by the log key, consistent with the checkpoint"
            if signed and fits
            else ("" if signed else "not signed by the log key")
            + ("" if fits else " its consistency proof does not lead to the checkpoint"),
        )
        if signed and fits:
            consistent.append(checkpoint)
    consistent.sort(key=lambda checkpoint: checkpoint.size)

    def find(targets: dict[str, int]) -> Found:
        found: Found = {}
        for witness in args.witness_key:
            for name, index in targets.items():
                for checkpoint in consistent:
                    cosigned = (
                        _cosigned(checkpoint, witness, key) if checkpoint.size > index else None
                    )
                    if cosigned is not None:
                        found[witness.vkey, name] = Cosigned(checkpoint.size, cosigned)
                        break
        return found

    # The order of the online check: the draw against its entries, the witnesses, the rule,
    # the receipt, the ballots, the winner.
    answer = bundle["draw"]
    if (answer is None) != (draw_entry is None):
        raise Refused("the bundle has a draw entry exactly when it has the draw")
    logged = None
    if answer is not None:
        draw = Draw(answer, day)
        if draw.state != "drawn":
            raise Refused("the bundle's draw is not drawn")
        logged = draw_from_log(checks, draw, logged_day)
        if logged is None:
            return
    demo = demo_day(policy, args.allow_demo, day)
    check_witnesses(checks, logged_day, args.witness_key, args.max_close_delay, demo, find)
    if logged is not None:
        check_policy(checks, logged, args.min_delay, args.commitment, demo=demo)
        check_beacon(checks, logged, policy.closes, None, args.require_beacon)

    receipt, held = None, None
    if bundle["receipt"] is not None:
        try:
            receipt = Receipt.parse(_string(bundle["receipt"], "receipt"))
        except ValueError as exc:
            raise Refused(f"the bundle's receipt is not a receipt: {exc}") from None
        held = check_receipt(checks, receipt, key, day, policy, policy.closes)
    ballots = bundle["ballots"]
    if not isinstance(ballots, list) or not ballots:
        raise Refused("ballots must be a list of at least one ballot")
    seen = [_bundled_ballot(value, f"ballots[{n}]") for n, value in enumerate(ballots)]
    if receipt is not None and [s.ballot_id for s in seen] != receipt.ballots:
        raise Refused("the bundle's ballots are not its receipt's, in its order")
    winner = _bundled_proof(bundle["winner"], "the winner")
    count, close_root = int(close.values["ballot_count"]), close.values["merkle_root"]
    if (winner is None) != (logged is None or count == 0):
        raise Refused("a bundle has a winner exactly when it has a draw of a day with ballots")
    winning = None if logged is None else check_winner(checks, logged)
    label = "is in the draw" if receipt is None else "is in the day's witnessed close"
    for ballot in seen:
        judge_ballot(checks, ballot, count, close_root, label, held)
    if logged is None:
        checks.skip("the draw", "the draw", "not in the bundle: not drawn when it was saved")
    elif count:
        check_winner_proof(checks, logged, winning, winner)


# --- The command --------------------------------------------------------------------------


def _power(value: int) -> str:
    return f"2^{value.bit_length() - 1}" if value > 0 and value & (value - 1) == 0 else str(value)


def _delay(value: str) -> int:
    match = re.fullmatch(r"\s*2\s*\^\s*([0-9]{1,2})\s*|\s*([0-9]{1,20})\s*", value)
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r}: expected a number of squarings, e.g. 2^27")
    return 1 << int(match[1]) if match[1] else int(match[2])


def _vkey(key_type: int) -> Any:
    def parse(value: str) -> Key:
        try:
            return Key.parse(value.strip(), key_type)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{value!r}: {exc}") from None

    return parse


def predates(checks: Checks, day: str, first: str | None, strict: bool) -> None:
    why = (
        f"{day} predates the public record (the log's first policy entry is for {first})"
        if first
        else "the log holds no policy entry yet"
    )
    if strict:
        checks.skip("the public record", "the public record", why)
    else:
        note(f"{why}: only the draw's own checks run")


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 10**9:
        raise argparse.ArgumentTypeError(f"{value!r}: expected a number of seconds above 0")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", nargs="?", help="the lottery API, e.g. http://localhost:8000")
    parser.add_argument("date", nargs="?", help="the lottery day, YYYY-MM-DD")
    parser.add_argument("--ballot", help="check only this ballot's inclusion proof")
    parser.add_argument(
        "--receipt", type=Path, metavar="FILE", help="check a receipt (a signed note) in FILE"
    )
    parser.add_argument(
        "--save-bundle", type=Path, metavar="FILE", help="write the proof bundle of the check"
    )
    parser.add_argument(
        "--bundle", type=Path, metavar="FILE", help="check a proof bundle, with no network"
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"the deadline of the whole run ({DEFAULT_TIMEOUT})",
    )
    parser.add_argument("--min-delay", type=_delay, default=DEFAULT_MIN_DELAY)
    parser.add_argument("--commitment", help="hmac-sha256 days: the commitment seen before")
    parser.add_argument("--chain", type=int, default=0, metavar="N")
    parser.add_argument("--record", type=Path, metavar="FILE")
    parser.add_argument("--beacon-url", help="re-read the beacon round from this drand URL")
    parser.add_argument("--require-beacon", action="store_true")
    parser.add_argument(
        "--log-key", type=_vkey(LOG_KEY_TYPE), metavar="VKEY", help="the lottery's log key"
    )
    parser.add_argument(
        "--witness-key",
        type=_vkey(WITNESS_KEY_TYPE),
        action="append",
        default=[],
        metavar="VKEY",
        help="a witness that must have cosigned (repeatable)",
    )
    parser.add_argument(
        "--require-witnesses", action="store_true", help="fail any check that is skipped"
    )
    parser.add_argument(
        "--max-close-delay",
        type=int,
        default=DEFAULT_MAX_CLOSE_DELAY,
        metavar="SECONDS",
        help=f"the longest a policy may allow to witness its close ({DEFAULT_MAX_CLOSE_DELAY})",
    )
    parser.add_argument(
        "--allow-demo", action="store_true", help="accept demo days' short delay and timing"
    )
    args = parser.parse_args(argv)
    if args.max_close_delay < 0:
        parser.error("--max-close-delay is a number of seconds >= 0")
    args.witness_key = list({key.vkey: key for key in args.witness_key}.values())
    if args.bundle is not None:
        if args.base_url is not None:
            parser.error("--bundle FILE is checked with no network: give no BASE_URL or DATE")
        for option, given in [
            ("--ballot", args.ballot),
            ("--receipt", args.receipt),
            ("--save-bundle", args.save_bundle),
            ("--record", args.record),
            ("--beacon-url", args.beacon_url),
            ("--chain", args.chain),
        ]:
            if given:
                parser.error(f"{option} reads the server; --bundle FILE is checked with no network")
        RUN.start(args.timeout, offline=True)
        return verify_bundle(args)
    if args.base_url is None or args.date is None:
        parser.error(
            "give BASE_URL and DATE (or --bundle FILE to check a proof bundle with no network)"
        )
    if not DATE.fullmatch(args.date):
        parser.error(f"{args.date!r} is not a date (YYYY-MM-DD)")
    if args.ballot is not None:
        try:
            uuid.UUID(args.ballot)
        except ValueError:
            parser.error(f"{args.ballot!r} is not a ballot id (a UUID)")
    if args.receipt is not None and args.ballot is not None:
        parser.error("--receipt checks the receipt's ballots: give no --ballot with it")
    if args.save_bundle is not None and args.receipt is None and args.ballot is None:
        parser.error("--save-bundle needs --receipt FILE or --ballot ID")
    if args.receipt is not None:
        try:
            with args.receipt.open("rb") as file:
                kept = file.read(MAX_TEXT_BYTES + 1)
            if len(kept) > MAX_TEXT_BYTES:
                raise ValueError(f"larger than {MAX_TEXT_BYTES} bytes")
            args.receipt = Receipt.parse(kept.decode("utf-8"))
        except (OSError, ValueError) as exc:
            parser.error(f"--receipt {args.receipt}: not a receipt: {exc}")
        if args.save_bundle is None:
            first = args.receipt.ballots[0][:8]
            args.save_bundle = Path(f"bundle-{args.date}-{first}.json")
    base = args.base_url.rstrip("/")
    RUN.start(args.timeout)
    checks = Checks()

    def check_day() -> int | None:
        record = Record(args.record)
        if args.record is not None:
            record_open_days(checks, record, base)
        answer = get_json(f"{base}/draws/{args.date}")
        draw = Draw(answer, args.date)
        if args.record is not None:
            record_draw(checks, record, draw)
            record.save()
        print(
            f"     draw of {draw.date}: {draw.count} ballots, rule {draw.rule}; deadline: "
            f"{RUN.seconds:g} s for the whole run (--timeout)"
        )
        _day_close(draw)  # the answer's closes_at is the midnight that ends its date
        if draw.state == "drawing":
            note(f"closed with {draw.count} ballots, Merkle root {draw.root}")
            print("not drawn yet: its delay function is still running; try again later")
            return 2 if not checks.failed else 1
        pinned = args.log_key is not None or bool(args.witness_key)
        view = read_log(checks, base, args.log_key, pinned)
        try:
            if view is not None and args.record is not None:
                check_kept_history(checks, record, view)
            first = view.log.first_policy_date() if view is not None else None
            if view is not None and first is not None and draw.date >= first:
                verify_logged(checks, base, draw, view, args, record, answer)
            else:
                if view is not None:
                    predates(checks, draw.date, first, args.require_witnesses)
                verify_unlogged(checks, base, draw, args, record, view)
        finally:
            if view is not None and args.record is not None:
                for size, root in view.seen.items():
                    record.keep_checkpoint(size, root)
                record.save()
        return None

    return run_checks(checks, args.require_witnesses, check_day, what="draw", given="answer")


if __name__ == "__main__":
    sys.exit(main())
