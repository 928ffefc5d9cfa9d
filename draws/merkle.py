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

from record.tree import EMPTY_ROOT, audit_path, leaf_hash, node_hash, root_of

CHUNK_SIZE = 1024  # a power of two: chunk roots are then nodes of the day's tree

__all__ = ["EMPTY_ROOT", "audit_path", "leaf_hash", "node_hash", "root_of"]


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
    return root_of([leaf_hash(ballot_id) for ballot_id in ids])


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
