"""The Merkle tree over a day's ballots and the winner rule (pure functions, no database).

The tree is RFC 6962's Merkle Tree Hash (as in Certificate Transparency):

- leaf  = SHA-256(0x00 || the ballot id's 16 bytes)
- node  = SHA-256(0x01 || left || right)
- leaves in ascending ballot-id order (the UUIDs' bytes, the (lottery, id) index's order)
- odd level: the last node has no partner and moves up unchanged; it is never paired with a
  copy of itself (a duplicated last node lets two different ballot lists share one root,
  Bitcoin's CVE-2012-2459), and the 0x00/0x01 prefixes keep a node from passing as a leaf
- the empty day's root is SHA-256 of nothing

Built from a power-of-two chunk size, the roots of consecutive CHUNK_SIZE-leaf chunks are the
nodes of one level of that same tree, so the draw keeps only the chunk roots and a proof
recomputes one chunk (``chunk_path``) and then the path over the chunk roots.

scripts/verify_draw.py re-implements all of this with the standard library only; keep both
in step.
"""

import hashlib
import hmac
from collections.abc import Iterator
from datetime import date

CHUNK_SIZE = 1024  # a power of two: chunk roots are then nodes of the day's tree
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(ballot_id: bytes) -> bytes:
    return _sha256(b"\x00" + ballot_id).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def root_of(hashes: list[bytes]) -> bytes:
    """The root over ``hashes`` (leaf hashes, or chunk roots), level by level."""
    if not hashes:
        return EMPTY_ROOT
    level = hashes
    while len(level) > 1:
        paired = [
            _sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])  # carried up unchanged, never duplicated
        level = paired
    return level[0]


def audit_path(hashes: list[bytes], index: int) -> list[bytes]:
    """The sibling hashes from ``hashes[index]`` up to the root, bottom first.

    A level where the node is the unpartnered last one adds no sibling; the verifier knows
    those levels from the index and the count (RFC 9162, 2.1.3.2).
    """
    path = []
    level = hashes
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level, index = paired, index // 2
    return path


def chunk_roots(ballot_ids: Iterator[list[bytes]]) -> tuple[int, list[tuple[bytes, bytes]]]:
    """Count the ids and return ``(first id, root)`` of each CHUNK_SIZE-leaf chunk.

    ``ballot_ids`` yields batches of 16-byte ids in canonical order (any batch sizes). Memory
    holds one chunk plus one entry per chunk (48 bytes per 1,024 ballots), never the day.
    """
    count = 0
    chunks: list[tuple[bytes, bytes]] = []
    pending: list[bytes] = []
    for batch in ballot_ids:
        count += len(batch)
        ids = pending + batch if pending else batch
        whole = len(ids) - len(ids) % CHUNK_SIZE
        for start in range(0, whole, CHUNK_SIZE):
            chunks.append((ids[start], _chunk_root(ids[start : start + CHUNK_SIZE])))
        pending = ids[whole:]
    if pending:
        chunks.append((pending[0], _chunk_root(pending)))
    return count, chunks


def _chunk_root(ids: list[bytes]) -> bytes:
    return root_of([_sha256(b"\x00" + ballot_id).digest() for ballot_id in ids])


def winning_index(
    *, seed: bytes, lottery_date: date, count: int, root: bytes, beacon: str = ""
) -> int:
    """The winner's position among the ``count`` ballots in canonical order.

    HMAC-SHA256(key=seed, message="YYYY-MM-DD|count|root hex[|beacon hex]") read as a
    256-bit big-endian integer, modulo ``count``. Each index then has probability within
    2**-256 of 1/count (total bias below count / 2**256, under 2**-224 for any count that
    fits a 32-bit integer).
    """
    message = f"{lottery_date.isoformat()}|{count}|{root.hex()}"
    if beacon:
        message += f"|{beacon}"
    digest = hmac.new(seed, message.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % count
