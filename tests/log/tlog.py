"""A tiny transparency log for the witness tests: RFC 6962 trees, checkpoints, cosignatures.

Written from the specs (RFC 6962 2.1, C2SP signed-note, tlog-checkpoint, tlog-cosignature)
and independent of scripts/witness.py, so the two check each other.
"""

import base64
import hashlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

EM_DASH = "\u2014"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def consistency_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 2.1.2; empty when m is 0 or n, as tlog-witness wants."""
    if m in (0, len(leaves)):
        return []
    return _subproof(m, leaves, complete=True)


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = split_point(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def key_id(name: str, sig_type: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()[:4]


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass
class Log:
    """An append-only list of entries, with a key that signs its checkpoints."""

    origin: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    leaves: list[bytes] = field(default_factory=list)

    @property
    def vkey(self) -> str:
        public = raw_public(self.key)
        return f"{self.origin}+{key_id(self.origin, 1, public).hex()}+{b64(b'\x01' + public)}"

    def append(self, *entries: str) -> None:
        self.leaves.extend(leaf_hash(e.encode()) for e in entries)

    def root_at(self, size: int) -> bytes:
        return root(self.leaves[:size])

    def body(self, size: int | None = None) -> str:
        size = len(self.leaves) if size is None else size
        return f"{self.origin}\n{size}\n{b64(self.root_at(size))}\n"

    def checkpoint(self, size: int | None = None, signer: Ed25519PrivateKey | None = None) -> str:
        """The signed note of the tree at `size`, signed by the log's key or by `signer`."""
        body = self.body(size)
        signer = signer or self.key
        kid = key_id(self.origin, 1, raw_public(signer))
        return f"{body}\n{EM_DASH} {self.origin} {b64(kid + signer.sign(body.encode()))}\n"

    def request(self, old: int, size: int | None = None, proof: list[bytes] | None = None) -> bytes:
        """An add-checkpoint body: the true proof from `old` unless one is given."""
        size = len(self.leaves) if size is None else size
        if proof is None:
            proof = consistency_proof(old, self.leaves[:size])
        lines = "".join(f"{b64(h)}\n" for h in proof)
        return f"old {old}\n{lines}\n{self.checkpoint(size)}".encode()


@dataclass(frozen=True)
class Cosignature:
    timestamp: int
    body: str  # the checkpoint body it covers


def verify_cosignature(witness_vkey: str, line: str, body: str) -> Cosignature:
    """Check one cosignature line against a witness vkey (type 0x04); raise if it fails."""
    name, hex_id, key_b64 = witness_vkey.split("+", 2)
    raw = base64.b64decode(key_b64, validate=True)
    assert raw[0] == 0x04
    assert len(raw) == 33
    assert key_id(name, 0x04, raw[1:]).hex() == hex_id
    assert line.endswith("\n")
    dash, sig_name, sig_b64 = line[:-1].split(" ")
    assert dash == EM_DASH
    assert sig_name == name
    sig = base64.b64decode(sig_b64, validate=True)
    assert len(sig) == 4 + 8 + 64
    assert sig[:4].hex() == hex_id
    timestamp = int.from_bytes(sig[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(sig[12:], message)  # raises if bad
    return Cosignature(timestamp, body)
