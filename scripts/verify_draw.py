#!/usr/bin/env python3
"""Check a lottery draw from public data only (Python 3.11+ standard library, nothing else).

    verify_draw.py BASE_URL DATE              # the whole day: every ballot id
    verify_draw.py BASE_URL DATE --ballot ID  # one ballot's inclusion proof (a few KB)

Options:
  --min-delay N      refuse a delay-function draw whose delay is below N squarings
                     (default 2^27, about ten minutes with GMP; demo and test days publish
                     2^16 or less and need e.g. --min-delay 2^16)
  --commitment HEX   hmac-sha256 days (the old rule): the seed commitment you saw before
                     the day closed; without it (or a --record kept while the day was
                     open) such a day fails, since its seed could have been made up after
  --chain N          also check the last N links of the chain of draws before this one
  --record FILE      keep what this run saw (each open day's policy, each closed day's count
                     and root, each draw's record hash) in FILE, and fail if the server now
                     contradicts what an earlier run kept
  --beacon-url URL   take the beacon's genesis, period and public key from its own /info
                     (the default is drand's quicknet, built in) and re-read the round there
  --require-beacon   fail a day drawn without a beacon round

A beacon round is checked offline: it must be the round the rule fixes from the close and
the day's published beacon delay, its randomness the SHA-256 of its signature, and the
signature a BLS signature of the round by the beacon's key. That last check needs the
py_ecc package, or --beacon-url to read the round from the beacon itself; with neither, the
verifier checks everything else and fails the day (an unchecked signature lets the server
make the randomness up).

Prints one line per check. Exits 0 when every check passed, 1 when one failed (a value that
does not match, or is not in its one canonical form), 2 when the server's answer cannot be
used at all (an HTTP error, with the server's detail; not JSON; a missing field).

The rules are docs/draw-rules.md; the server's draws/merkle.py, draws/vdf.py and
draws/chain.py implement the same ones, and so does the in-browser verifier.
"""

import argparse
import hashlib
import hmac
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from time import sleep
from typing import Any

PAGE = 10_000
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # a page of 10,000 ids is about 400 KB
DEFAULT_MIN_DELAY = 1 << 27
UNICORN = "unicorn-pietrzak-rsa2048"
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


class Unusable(Exception):
    """The server's answer cannot be used at all: exit 2."""


class Refused(Exception):
    """A value is not in its one canonical form: a failed check, and nothing more to check."""


class Checks:
    def __init__(self) -> None:
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        print(f"{'OK  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
        self.failed += not ok
        return ok


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


RATE_LIMIT_WAITS = 10  # a day of 1.2M+ ballots takes more pages than a minute's limit allows
MAX_WAIT_SECONDS = 60


def get_json(url: str) -> Any:
    """The JSON answer at ``url``; a 429 is waited out as its Retry-After asks, a few times."""
    for _ in range(RATE_LIMIT_WAITS):
        try:
            return _get_json_once(url)
        except urllib.error.HTTPError as exc:
            if exc.code != 429:
                raise Unusable(f"{url} answered HTTP {exc.code}: {_detail(exc)}") from None
            wait = exc.headers.get("Retry-After", "")
            seconds = min(int(wait), MAX_WAIT_SECONDS) if wait.isdigit() else 5
            asked = " as it asks" if wait.isdigit() else ""
            note(f"the server limits how fast it is read (HTTP 429): waiting {seconds} s{asked}")
            sleep(seconds)
    raise Unusable(f"{url} kept answering HTTP 429 (too many requests); try again later")


def _get_json_once(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError:
        raise  # get_json tells a 429 from the rest
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unusable(f"{url} could not be read: {exc}") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise Unusable(f"{url} answered more than {MAX_ANSWER_BYTES} bytes")
    try:
        return json.loads(body, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise Unusable(f"{url} did not answer JSON: {exc}") from None


def _detail(exc: urllib.error.HTTPError) -> str:
    """The server's own reason, from its {"detail": ...} answer when it gave one."""
    try:
        raw = exc.read(64 * 1024)
        answer = json.loads(raw)
        detail = answer["detail"] if isinstance(answer, dict) and "detail" in answer else raw
    except (ValueError, OSError):
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
        raise Refused(f"{name} must be a JSON integer >= 0, not {json.dumps(value)}")
    return value


def optional_integer(answer: Any, name: str) -> int | None:
    return None if field(answer, name) is None else integer(answer, name)


def text(answer: Any, name: str, pattern: re.Pattern[str]) -> str:
    value = field(answer, name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Refused(f"{name} is not in its canonical form: {json.dumps(value)[:80]}")
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
        if self.rule not in (UNICORN, HMAC_RULE):
            raise Refused(f"unknown rule {json.dumps(self.rule)[:80]}")
        self.state = field(answer, "state")
        if self.state not in ("drawing", "drawn"):
            raise Refused(f"unknown state {json.dumps(self.state)[:80]}")
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


def normalize(value: int) -> int:
    value %= N
    return min(value, N - value)


def encode(value: int) -> bytes:
    return value.to_bytes(256, "big")


def vdf_input(draw: Draw) -> int:
    statement = f"{UNICORN}|{draw.date}|{draw.count}|{draw.root}|{draw.delay_log2}"
    message = b"lottery-vdf-input|" + statement.encode()
    blocks = b"".join(hashlib.sha256(bytes([i]) + message).digest() for i in range(9))
    return normalize(int.from_bytes(blocks, "big"))


def vdf_verify(x: int, y: int, proof: list[int], delay_log2: int) -> bool:
    """Pietrzak's halving rounds (docs/draw-rules.md, 2); every element already canonical."""
    for round_no, mu in enumerate(proof, start=1):
        half = 1 << (delay_log2 - round_no)
        digest = hashlib.sha256(
            b"lottery-vdf-challenge|" + encode(x) + encode(y) + encode(mu) + half.to_bytes(8, "big")
        ).digest()
        r = int.from_bytes(digest[:16], "big")
        x, y = normalize(pow(x, r, N) * mu), normalize(pow(mu, r, N) * y)
    return len(proof) == delay_log2 and y == normalize(x * x)


def winning_index(draw: Draw) -> int | None:
    if draw.count == 0:
        return None
    if draw.rule == UNICORN:
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


def check_policy(checks: Checks, draw: Draw, min_delay: int, commitment: str | None) -> None:
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
    checks.check(
        f"the delay is at least {_power(min_delay)} squarings",
        squarings >= min_delay,
        f"2^{draw.delay_log2} squarings (about {took} at a GMP-speed 5 us each)"
        + ("" if squarings >= min_delay else f"; --min-delay 2^{draw.delay_log2} accepts it"),
    )


def check_winner(checks: Checks, draw: Draw) -> int | None:
    if draw.rule == UNICORN and draw.count:
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


def verify_ballot(checks: Checks, base: str, draw: Draw, ballot_id: str) -> None:
    def proven_index(of: str) -> int | None:
        try:
            proof = get_json(f"{base}/draws/{draw.date}/ballots/{of}/proof")
        except Unusable as exc:
            note(str(exc))
            return None
        if text(proof, "ballot_id", UUID_TEXT) != of or text(proof, "date", DATE) != draw.date:
            raise Refused(f"the proof asked for {of} is another ballot's or another day's")
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
        siblings = [bytes.fromhex(sibling) for sibling in path]
        root = path_root(leaf_hash(of), leaf_index, draw.count, siblings)
        return leaf_index if root is not None and root.hex() == draw.root else None

    if not UUID_TEXT.fullmatch(ballot_id):
        ballot_id = str(uuid.UUID(ballot_id))
    index = check_winner(checks, draw)
    leaf_index = proven_index(ballot_id)
    checks.check(
        f"ballot {ballot_id} is in the draw",
        leaf_index is not None,
        f"its path leads to the Merkle root from index {leaf_index}",
    )
    if draw.count:
        checks.check(
            "the winning ballot sits at the winning index",
            draw.winner is not None and proven_index(draw.winner) == index,
        )


def check_chain(checks: Checks, base: str, draw: Draw, links: int) -> None:
    current = draw
    for _ in range(links):
        if current.previous_date is None:
            note(f"the chain starts at {current.date} (height 0)")
            return
        previous = Draw(get_json(f"{base}/draws/{current.previous_date}"), current.previous_date)
        if previous.state != "drawn":
            raise Refused(f"the chain links {current.date} to {previous.date}, not drawn")
        checks.check(
            f"the chain link {current.date} -> {previous.date}",
            record_hash(previous) == previous.record_hash == current.previous_hash
            and previous.height == current.height - 1,
            f"height {previous.height}, record hash {previous.record_hash}",
        )
        current = previous


def check_beacon(checks: Checks, draw: Draw, beacon_url: str | None, required: bool) -> None:
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
    closes = _day_close(draw)
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


# --- What earlier runs saw ----------------------------------------------------------------


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
                    f"kept {json.dumps(kept[name])[:80]}, now {json.dumps(value)[:80]}",
                )
            kept.setdefault(name, value)

    def save(self) -> None:
        if self.path is not None:
            self.path.write_text(json.dumps(self.days, indent=1, sort_keys=True) + "\n")


def record_open_days(checks: Checks, record: Record, base: str) -> None:
    """Each open day's policy, as /lotteries shows it before the day's draw."""
    days = get_json(f"{base}/lotteries")
    if not isinstance(days, list):
        raise Unusable("/lotteries did not answer a list")
    for day in days:
        date = text(day, "date", DATE)
        record.see(
            checks,
            date,
            rule=field(day, "rule"),
            closes_at=field(day, "closes_at"),
            beacon_delay_seconds=optional_integer(day, "beacon_delay_seconds"),
            vdf_delay_log2=optional_integer(day, "vdf_delay_log2"),
            seed_commitment=optional_text(day, "seed_commitment", HEX64),
            seen_open=True,
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


# --- The command --------------------------------------------------------------------------


def _power(value: int) -> str:
    return f"2^{value.bit_length() - 1}" if value > 0 and value & (value - 1) == 0 else str(value)


def _delay(value: str) -> int:
    match = re.fullmatch(r"\s*2\s*\^\s*([0-9]{1,2})\s*|\s*([0-9]{1,20})\s*", value)
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r}: expected a number of squarings, e.g. 2^27")
    return 1 << int(match[1]) if match[1] else int(match[2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the lottery API, e.g. http://localhost:8000")
    parser.add_argument("date", help="the lottery day, YYYY-MM-DD")
    parser.add_argument("--ballot", help="check only this ballot's inclusion proof")
    parser.add_argument("--min-delay", type=_delay, default=DEFAULT_MIN_DELAY)
    parser.add_argument("--commitment", help="hmac-sha256 days: the commitment seen before")
    parser.add_argument("--chain", type=int, default=0, metavar="N")
    parser.add_argument("--record", type=Path, metavar="FILE")
    parser.add_argument("--beacon-url", help="re-read the beacon round from this drand URL")
    parser.add_argument("--require-beacon", action="store_true")
    args = parser.parse_args(argv)
    if not DATE.fullmatch(args.date):
        parser.error(f"{args.date!r} is not a date (YYYY-MM-DD)")
    if args.ballot is not None:
        try:
            uuid.UUID(args.ballot)
        except ValueError:
            parser.error(f"{args.ballot!r} is not a ballot id (a UUID)")
    base = args.base_url.rstrip("/")
    checks = Checks()
    try:
        record = Record(args.record)
        if args.record is not None:
            record_open_days(checks, record, base)
        draw = Draw(get_json(f"{base}/draws/{args.date}"), args.date)
        if args.record is not None:
            record_draw(checks, record, draw)
            record.save()
        print(f"     draw of {draw.date}: {draw.count} ballots, rule {draw.rule}")
        if draw.state == "drawing":
            note(f"closed with {draw.count} ballots, Merkle root {draw.root}")
            print("not drawn yet: its delay function is still running; try again later")
            return 2 if not checks.failed else 1
        commitment = args.commitment or record.commitment_seen_open(draw.date)
        check_policy(checks, draw, args.min_delay, commitment)
        check_beacon(checks, draw, args.beacon_url, args.require_beacon)
        if args.ballot:
            verify_ballot(checks, base, draw, args.ballot)
        else:
            verify_day(checks, base, draw)
        check_record(checks, draw)
        check_chain(checks, base, draw, args.chain)
    except Refused as exc:
        checks.check("the answer is in canonical form", False, str(exc))
    except Unusable as exc:
        print(f"cannot check the draw: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"cannot check the draw: unexpected answer ({exc!r})", file=sys.stderr)
        return 2
    print("all checks passed" if not checks.failed else f"{checks.failed} check(s) FAILED")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
