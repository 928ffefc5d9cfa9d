"""RFC 6962 Merkle trees (pure functions): roots, inclusion paths and consistency proofs.

The hashing of Certificate Transparency: ``leaf = SHA-256(0x00 || data)``, ``node =
SHA-256(0x01 || left || right)``, the empty tree's root is SHA-256 of nothing. The day's
ballot set (draws.merkle) and the lottery's log (record) are both such trees. Pairing level by
level, with an odd last node carried up unchanged, gives the same root as RFC 6962's split at
the largest power of two, and never pairs a node with a copy of itself (CVE-2012-2459).
"""

import hashlib

EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def root_of(hashes: list[bytes]) -> bytes:
    """The root over ``hashes`` (leaf hashes, or the roots of equal power-of-two subtrees)."""
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


def consistency_path(hashes: list[bytes], old_size: int) -> list[bytes]:
    """RFC 6962 2.1.2's PROOF(m, D[n]): that the first ``old_size`` leaves are a prefix."""
    if not 0 < old_size <= len(hashes):
        return []
    return _subproof(old_size, hashes, complete=True)


def _subproof(m: int, leaves: list[bytes], *, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root_of(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)  # the largest power of two below n
    if m <= k:
        return [*_subproof(m, leaves[:k], complete=complete), root_of(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], complete=False), root_of(leaves[:k])]


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
