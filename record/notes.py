"""C2SP signed notes: the lottery's Ed25519 key, its checkpoints and the witnesses' cosignatures.

- signed-note: a key is named; its id is ``SHA-256(name || "\\n" || type || public key)[:4]``;
  a signature line is ``— <name> base64(key id || signature)``; type 0x01 is Ed25519.
- tlog-checkpoint: the body ``<origin>\\n<size>\\n<base64 root>\\n``.
- tlog-cosignature: type 0x04, the line's payload is ``key id || u64 timestamp || signature``
  over ``cosignature/v1\\ntime <timestamp>\\n`` followed by the body.

The private key file holds one line, ``PRIVATE+KEY+<name>+<key id>+base64(0x01 || seed)``,
so the log's origin (the key's name) is stored with the key and never derived from a URL.
"""

import base64
import binascii
import contextlib
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
SIGNATURE_DASH = "\u2014"  # the em dash that starts every signature line


class UnusableKey(ValueError):
    """A key file or verifier key that cannot be used."""


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def _valid_name(name: str) -> bool:
    return bool(name) and name.isprintable() and not any(c in name for c in " +\u2014")


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A verifier key (vkey): a name, a key type and an Ed25519 public key."""

    name: str
    key_type: int
    public_key: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.key_type, self.public_key)

    @property
    def vkey(self) -> str:
        material = base64.b64encode(bytes([self.key_type]) + self.public_key).decode()
        return f"{self.name}+{self.id.hex()}+{material}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def _key_bytes(material: str, key_type: int, what: str) -> bytes:
    """The 32 key bytes of ``base64(type || key)``, refusing any other type or length."""
    try:
        raw = base64.b64decode(material, validate=True)
    except binascii.Error:
        raise UnusableKey(f"{what}: the key material is not base64") from None
    if len(raw) != 33 or raw[0] != key_type:
        raise UnusableKey(f"{what}: expected a key of type 0x{key_type:02x} (33 bytes)")
    return raw[1:]


def vkey_parse(text: str, *, key_type: int) -> Verifier:
    """Read ``name+<8 hex key id>+<base64(type || key)>``, refusing any other shape."""
    parts = text.strip().split("+", 2)  # base64 may hold "+" too
    if len(parts) != 3 or not _valid_name(parts[0]):
        raise UnusableKey(f"{text!r} is not a verifier key (name+keyid+base64)")
    name, hex_id, material = parts
    verifier = Verifier(name, key_type, _key_bytes(material, key_type, f"{text!r}"))
    if verifier.id.hex() != hex_id:
        raise UnusableKey(f"{text!r}: its key id does not match its name and key")
    return verifier


@dataclass(frozen=True)
class Signer:
    """The lottery's log key: signs checkpoints (and anything else the lottery vouches for)."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, ED25519, _raw(self.private_key.public_key()))

    def signature_line(self, body: str) -> str:
        signature = self.private_key.sign(body.encode())
        payload = base64.b64encode(self.verifier.id + signature).decode()
        return f"{SIGNATURE_DASH} {self.name} {payload}\n"

    def sign(self, body: str) -> str:
        """The signed note: the body, a blank line, the signature line."""
        return f"{body}\n{self.signature_line(body)}"


def signer_load(path: Path, *, origin: str, create_as: str | None = None) -> Signer:
    """The key in ``path``; with ``create_as`` (its name), made there (mode 0600) if missing.

    A non-empty ``origin`` must be the name stored with the key: a log never changes its name.
    """
    if create_as is not None and not path.exists():
        if not _valid_name(create_as):
            raise UnusableKey(f"{create_as!r} is not a log name: no spaces or '+'")
        seed = os.urandom(32)
        public = _raw(Ed25519PrivateKey.from_private_bytes(seed).public_key())
        line = (
            f"PRIVATE+KEY+{create_as}+{key_id(create_as, ED25519, public).hex()}+"
            f"{base64.b64encode(bytes([ED25519]) + seed).decode()}\n"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a file of its own, then linked into place: a crash leaves no
        # empty key, and of two processes making one at once, the first link wins.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".log_key.")
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(line)
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    text = ""
    for _ in range(50):  # a process that made the file at the same moment may still write it
        try:
            text = path.read_text().strip()
        except OSError as exc:
            raise UnusableKey(f"the log key {path} cannot be read: {exc.strerror}") from None
        if text:
            break
        time.sleep(0.01)
    parts = text.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise UnusableKey(f"the log key {path} is not a PRIVATE+KEY+name+id+key line")
    name, material = parts[2], parts[4]
    seed = _key_bytes(material, ED25519, f"the log key {path}")
    signer = Signer(name, Ed25519PrivateKey.from_private_bytes(seed))
    if signer.verifier.id.hex() != parts[3]:
        raise UnusableKey(f"the log key {path}: its key id does not match")
    if origin and name != origin:
        raise UnusableKey(
            f"the log key {path} is the key of {name!r}, not LOTTERY_LOG_ORIGIN={origin!r}: "
            "a log keeps its name for good"
        )
    return signer


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def cosignature_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosignature_timestamp(witness: Verifier, body: str, line: str) -> int | None:
    """The time in ``line`` if it is ``witness``'s valid cosignature of ``body``, else None."""
    prefix = f"{SIGNATURE_DASH} {witness.name} "
    if not line.startswith(prefix) or not line.endswith("\n"):
        return None
    try:
        payload = base64.b64decode(line[len(prefix) : -1], validate=True)
    except binascii.Error:
        return None
    if len(payload) != 4 + 8 + 64 or payload[:4] != witness.id:
        return None
    timestamp = int.from_bytes(payload[4:12], "big")
    if timestamp >= 1 << 63:
        return None
    if not witness.verify(cosignature_message(body, timestamp), payload[12:]):
        return None
    return timestamp
