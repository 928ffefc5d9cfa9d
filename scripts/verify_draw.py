#!/usr/bin/env python3
"""Check a lottery draw from public data only (Python 3.11+ standard library, nothing else).

    verify_draw.py BASE_URL DATE              # the whole day: every ballot id
    verify_draw.py BASE_URL DATE --ballot ID  # one ballot's inclusion proof (a few KB)

Options: --commitment HEX checks the commitment against the one you saw before the day
opened (GET /lotteries); --beacon-url URL re-reads the public-randomness round from the
beacon itself instead of trusting the value the lottery published, and checks that the
round was published after the day closed.

Prints one line per check and exits 1 if any check fails (2 if the server cannot be read).

What is checked, and the exact rules (the server's draws/merkle.py implements the same):

1. Commitment: SHA-256(seed) == seed_commitment, with the seed given as 64 hex digits.
2. Ballot set: the day's ballot ids, in canonical order = ascending by the UUID's 16 bytes,
   are the leaves of an RFC 6962 Merkle tree:
     leaf = SHA-256(0x00 || 16 bytes of the ballot id)
     node = SHA-256(0x01 || left || right)
   Each level pairs nodes left to right; an odd last node moves up unchanged (it is never
   paired with a copy of itself: duplicating it, as Bitcoin did, lets two different lists
   share a root, CVE-2012-2459). The root of an empty day is SHA-256 of nothing.
   Their number must equal ballot_count, their root merkle_root.
3. Winner: winning_index = HMAC-SHA256(key=seed, message) read as a 256-bit big-endian
   integer, modulo ballot_count, where message is the UTF-8 text
   "YYYY-MM-DD|ballot_count|merkle_root" (root in lowercase hex), followed by
   "|beacon_randomness" when the draw mixed in a beacon round. The modulo's bias: every
   index has probability within 2**-256 of 1/ballot_count. The winner is the ballot at
   winning_index in canonical order; a day without ballots has no index and no winner.
4. --ballot: the proof's path leads from the ballot's leaf at leaf_index to merkle_root
   (RFC 9162, 2.1.3.2: a level where the node is the last, unpartnered one has no sibling),
   and the winner's own proof puts it at winning_index.
"""

import argparse
import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

PAGE = 10_000


class Checks:
    def __init__(self) -> None:
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        print(f"{'OK  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
        self.failed += not ok
        return ok


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


def winning_index(draw: dict[str, Any]) -> int | None:
    count = draw["ballot_count"]
    if count == 0:
        return None
    message = f"{draw['date']}|{count}|{draw['merkle_root']}"
    if draw.get("beacon_randomness"):
        message += f"|{draw['beacon_randomness']}"
    digest = hmac.new(bytes.fromhex(draw["seed"]), message.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % count


def get_json(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def ballot_ids(base: str, date: str) -> Iterator[str]:
    after = ""
    while True:
        query = urllib.parse.urlencode({"limit": PAGE, **({"after": after} if after else {})})
        page = get_json(f"{base}/draws/{date}/ballots?{query}")
        yield from page["items"]
        if not page["next_after"]:
            return
        after = page["next_after"]


def check_seed(checks: Checks, draw: dict[str, Any], commitment: str | None) -> None:
    try:
        seed = bytes.fromhex(draw["seed"])
    except (TypeError, ValueError):
        seed = b""
    checks.check(
        "the seed matches its commitment",
        len(seed) == 32 and hashlib.sha256(seed).hexdigest() == draw["seed_commitment"],
        f"SHA-256(seed) = {hashlib.sha256(seed).hexdigest()}",
    )
    if commitment is not None:
        checks.check(
            "the commitment is the one seen before the day",
            commitment.lower() == draw["seed_commitment"],
        )


def check_beacon(checks: Checks, draw: dict[str, Any], beacon_url: str | None) -> None:
    if draw.get("beacon_round") is None:
        print("     no public-randomness beacon was mixed into this draw")
        return
    if beacon_url is None:
        print(f"     beacon round {draw['beacon_round']} taken as published (--beacon-url checks)")
        return
    base = beacon_url.rstrip("/")
    value = get_json(f"{base}/public/{draw['beacon_round']}")
    checks.check(
        f"beacon round {draw['beacon_round']} is what the beacon published",
        str(value.get("randomness", "")).lower() == draw["beacon_randomness"],
    )
    # An earlier round was known while ballots were still accepted: it would steer nothing.
    info = get_json(f"{base}/info")
    published = info["genesis_time"] + (draw["beacon_round"] - 1) * info["period"]
    closed = datetime.fromisoformat(draw["closes_at"]).timestamp()
    checks.check(
        "the beacon round came after the day closed",
        published >= closed,
        f"published {datetime.fromtimestamp(published, UTC).isoformat()}",
    )


def verify_day(checks: Checks, base: str, draw: dict[str, Any]) -> None:
    builder = RootBuilder()
    count = 0
    previous = b""
    in_order = True
    winner_id = None
    index = winning_index(draw)
    for ballot_id in ballot_ids(base, draw["date"]):
        raw = uuid.UUID(ballot_id).bytes
        in_order = in_order and raw > previous
        previous = raw
        if count == index:
            winner_id = ballot_id
        builder.add(leaf_hash(ballot_id))
        count += 1
    root = builder.root().hex()
    checks.check("the ballot ids are in canonical order, each once", in_order)
    checks.check("the ballot count", count == draw["ballot_count"], f"{count} ids listed")
    checks.check("the Merkle root", root == draw["merkle_root"], f"recomputed {root}")
    checks.check("the winning index", index == draw["winning_index"], f"HMAC rule gives {index}")
    checks.check(
        "the winning ballot",
        winner_id == draw["winning_ballot_id"],
        f"the ballot at index {index} is {winner_id}",
    )


def verify_ballot(checks: Checks, base: str, draw: dict[str, Any], ballot_id: str) -> None:
    def proven_index(of: str) -> int | None:
        try:
            proof = get_json(f"{base}/draws/{draw['date']}/ballots/{of}/proof")
        except urllib.error.HTTPError as exc:
            print(f"     {of}: HTTP {exc.code} {exc.read().decode(errors='replace')}")
            return None
        path = [bytes.fromhex(sibling) for sibling in proof["path"]]
        root = path_root(leaf_hash(of), proof["leaf_index"], draw["ballot_count"], path)
        ok = root is not None and root.hex() == draw["merkle_root"]
        return proof["leaf_index"] if ok else None

    index = winning_index(draw)
    checks.check("the winning index", index == draw["winning_index"], f"HMAC rule gives {index}")
    leaf_index = proven_index(ballot_id)
    checks.check(
        f"ballot {ballot_id} is in the draw",
        leaf_index is not None,
        f"its path leads to the Merkle root from index {leaf_index}",
    )
    if draw["winning_ballot_id"] is not None:
        checks.check(
            "the winning ballot sits at the winning index",
            proven_index(draw["winning_ballot_id"]) == index,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the lottery API, e.g. http://localhost:8000")
    parser.add_argument("date", help="the lottery day, YYYY-MM-DD")
    parser.add_argument("--ballot", help="check only this ballot's inclusion proof")
    parser.add_argument("--commitment", help="the seed commitment you saw before the day")
    parser.add_argument("--beacon-url", help="re-read the beacon round from this drand URL")
    args = parser.parse_args(argv)
    base = args.base_url.rstrip("/")
    checks = Checks()
    try:
        draw = get_json(f"{base}/draws/{args.date}")
        print(f"     draw of {draw['date']}: {draw['ballot_count']} ballots")
        check_seed(checks, draw, args.commitment)
        check_beacon(checks, draw, args.beacon_url)
        if args.ballot:
            verify_ballot(checks, base, draw, args.ballot)
        else:
            verify_day(checks, base, draw)
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        print(f"cannot read the draw: {exc}", file=sys.stderr)
        return 2
    print("all checks passed" if not checks.failed else f"{checks.failed} check(s) FAILED")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
