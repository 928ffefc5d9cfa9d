#!/usr/bin/env python3
"""A transparency-log witness (C2SP tlog-witness): cosigns a log's checkpoints, never a fork.

    witness.py --port P --key-file F --log-key VKEY [--log-key VKEY ...]
               [--name NAME] [--host H] [--state-dir DIR]

Python 3.11+ standard library plus the `cryptography` package; nothing of the lottery. It
serves `POST /add-checkpoint` (C2SP tlog-witness) and `GET /health`. For each log it is
given (`--log-key`, the log's signed-note verifier key `origin+<key id>+<base64>`) it keeps
the size and root hash of the last checkpoint it cosigned, and cosigns a new checkpoint
(C2SP tlog-cosignature, Ed25519, timestamped with this machine's clock) only when the log's
key signed it and an RFC 6962 consistency proof shows it extends that one.

  --key-file F   the witness's Ed25519 key, made (mode 0600) if F does not exist:
                 `PRIVATE+KEY+<name>+<key id>+<base64(0x04 || seed)>`
  --name NAME    the witness's name, used only when the key is made (default
                 witness.localhost/<8 hex of the public key's SHA-256>); a NAME that differs
                 from the key file's is refused
  --host H       address to listen on (default 127.0.0.1); --port 0 picks a free port
  --state-dir D  where witness-state.json is kept (default: the key file's directory)
  --vkey-file F  also write the verifier key to F (for a deployment that reads it there)

Prints its verifier key (`name+<key id>+base64(0x04 || public key)`, the key a verifier
pins) as the first line of stdout, then `witness listening on http://H:P`, and serves until
SIGTERM or SIGINT (exit 0). Exits 2 on a bad argument, key file or state file, or when
another witness holds the state directory's lock (.witness-state.lock).

POST /add-checkpoint takes `old <size>`, up to 63 base64 proof lines, an empty line and the
signed checkpoint (at most 64 KiB), and answers 200 with one cosignature line
(`— <name> base64(key id || u64 timestamp || signature)`), or 400 (malformed, or old above
the size), 404 (unknown origin), 403 (no valid signature by the log's key), 409 with
`text/x.tlog.size` and the size it last cosigned (old is not that size), 409 in text/plain
(same size, another root) or 422 (the consistency proof does not verify).

The state file is the witness's memory of each log: back it up with the key file, and never
run the key with an older copy or none, or the witness could cosign a history that
contradicts what it cosigned before. The state is written to disk before each cosignature
is sent.

A witness gives assurance only when a party other than the log's operator runs it, on its
own machine and clock: then the operator cannot show two histories (a split view) to the
witnesses a verifier pins, nor backdate a checkpoint, without a witness refusing.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
import re
import signal
import socketserver
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAX_BODY = 64 * 1024
DRAIN_LIMIT = 1024 * 1024  # a refused body up to this size is read, not cut off
MAX_PROOF_LINES = 63
STATE_FILE = "witness-state.json"
EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 6962: the root of an empty tree
SIZE_RE = re.compile(r"0|[1-9][0-9]{0,18}")  # ASCII digits only, no leading zeros
HEX_ID_RE = re.compile(r"[0-9a-fA-F]{8}")
SIG_TYPE_ED25519 = 0x01
SIG_TYPE_COSIGNATURE = 0x04


class Refused(Exception):
    """A bad argument, key file or state file: the witness does not start (exit 2)."""


class Malformed(ValueError):
    """A request body that is not what tlog-witness defines (400)."""


# --- Ed25519, strict (RFC 8032 5.1.7) --------------------------------------------------
# OpenSSL's verify may accept a non-canonical or small-order public key, and a signature
# by such a key can be valid for many messages; every verifier of this project refuses them.

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def decode_point(encoded: bytes) -> tuple[int, int] | None:
    """The affine point of a canonical encoding (RFC 8032 5.1.3), else None."""
    if len(encoded) != 32:
        return None
    n = int.from_bytes(encoded, "little")
    sign, y = n >> 255, n & ((1 << 255) - 1)
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P or (x == 0 and sign):
        return None
    return (P - x if x & 1 != sign else x), y


def point_add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    # The Edwards addition law of ed25519 (a = -1) is complete: no special cases.
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + t, P - 2, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P
    return x3, y3


def strict_public_key(raw: bytes) -> Ed25519PublicKey | None:
    """The key, if `raw` is a canonical encoding of a point not of small order."""
    point = decode_point(raw)
    if point is None:
        return None
    for _ in range(3):  # [8]P is the identity exactly when P's order divides 8
        point = point_add(point, point)
    if point == (0, 1):
        return None
    return Ed25519PublicKey.from_public_bytes(raw)


def strict_verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    if len(signature) != 64 or int.from_bytes(signature[32:], "little") >= L:
        return False
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


# --- Keys and names (C2SP signed-note) -------------------------------------------------


def key_id(name: str, sig_type: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()[:4]


def valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() or c < " " for c in name)


def b64decode_canonical(text: str) -> bytes | None:
    """Standard base64 in its one canonical spelling, else None."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        return None
    return raw if base64.b64encode(raw).decode() == text else None


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class LogKey:
    origin: str
    key_id: bytes
    key: Ed25519PublicKey


def parse_log_vkey(vkey: str) -> LogKey:
    parts = vkey.split("+", 2)  # base64 may contain "+", a name may not
    if len(parts) != 3 or not valid_name(parts[0]) or not HEX_ID_RE.fullmatch(parts[1]):
        raise Refused(f"--log-key {vkey!r}: expected origin+<8 hex key id>+<base64>")
    origin, hex_id, b64 = parts
    raw = b64decode_canonical(b64)
    if raw is None or len(raw) != 33 or raw[0] != SIG_TYPE_ED25519:
        raise Refused(f"--log-key {vkey!r}: not base64 of 0x01 and a 32-byte Ed25519 key")
    key = strict_public_key(raw[1:])
    if key is None:
        raise Refused(f"--log-key {vkey!r}: not a canonical Ed25519 key of large order")
    if bytes.fromhex(hex_id) != key_id(origin, SIG_TYPE_ED25519, raw[1:]):
        raise Refused(f"--log-key {vkey!r}: the key id does not match the name and key")
    return LogKey(origin, bytes.fromhex(hex_id), key)


@dataclass(frozen=True)
class WitnessKey:
    name: str
    private: Ed25519PrivateKey

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, SIG_TYPE_COSIGNATURE, public_bytes(self.private.public_key()))

    @property
    def vkey(self) -> str:
        raw = bytes([SIG_TYPE_COSIGNATURE]) + public_bytes(self.private.public_key())
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"

    def private_line(self) -> str:
        raw = bytes([SIG_TYPE_COSIGNATURE]) + self.private.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"


def load_or_make_key(path: Path, name: str | None) -> WitnessKey:
    if name is not None and not valid_name(name):
        raise Refused(f"--name {name!r}: a name is non-empty, without spaces or '+'")
    if not path.exists():
        private = Ed25519PrivateKey.generate()
        digest = hashlib.sha256(public_bytes(private.public_key())).hexdigest()
        made = WitnessKey(name or f"witness.localhost/{digest[:8]}", private)
        try:
            # O_EXCL: never overwrite a key another process has just made.
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass
        except OSError as e:
            raise Refused(f"cannot create the key file {path}: {e.strerror}") from None
        else:
            with os.fdopen(fd, "w") as f:
                f.write(made.private_line() + "\n")
                f.flush()
                os.fsync(f.fileno())
            return made
    try:
        line = path.read_text().strip()
    except (OSError, UnicodeDecodeError) as e:
        raise Refused(f"cannot read the key file {path}: {e}") from None
    parts = line.split("+", 4)
    raw = b64decode_canonical(parts[4]) if len(parts) == 5 else None
    if (
        raw is None
        or parts[:2] != ["PRIVATE", "KEY"]
        or not valid_name(parts[2])
        or len(raw) != 33
        or raw[0] != SIG_TYPE_COSIGNATURE
    ):
        raise Refused(f"{path}: not a witness key (PRIVATE+KEY+<name>+<id>+<base64>)")
    key = WitnessKey(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
    if parts[3] != key.key_id.hex():
        raise Refused(f"{path}: the key id does not match the name and key")
    if name is not None and name != key.name:
        raise Refused(f"--name {name!r} differs from the key file's name {key.name!r}")
    return key


# --- Checkpoints (C2SP signed-note, tlog-checkpoint) and requests (tlog-witness) ----------


@dataclass(frozen=True)
class Checkpoint:
    body: str  # the note text, with its final newline: what the signatures cover
    origin: str
    size: int
    root: bytes
    signatures: list[tuple[str, bytes]]  # (key name, key id || signature)


def parse_size(text: str) -> int:
    if not SIZE_RE.fullmatch(text) or int(text) >= 2**63:
        raise Malformed(f"not a size: {text!r}")
    return int(text)


def parse_hash(text: str) -> bytes:
    raw = b64decode_canonical(text)
    if raw is None or len(raw) != 32:
        raise Malformed(f"not the base64 of a 32-byte hash: {text!r}")
    return raw


def parse_checkpoint(note: str) -> Checkpoint:
    split = note.rfind("\n\n")  # the last blank line separates the text from signatures
    if split < 0 or not note.endswith("\n"):
        raise Malformed("not a signed note")
    body, lines = note[: split + 1], note[split + 2 : -1].split("\n")
    signatures = []
    for line in lines:
        fields = line.removeprefix("\u2014 ").split(" ")
        sig = b64decode_canonical(fields[-1])
        if not line.startswith("\u2014 ") or len(fields) != 2 or sig is None or len(sig) < 5:
            raise Malformed("not a note signature line")
        if not valid_name(fields[0]):
            raise Malformed("not a key name")
        signatures.append((fields[0], sig))
    text = body[:-1].split("\n")
    if len(text) < 3 or not all(text):
        raise Malformed("a checkpoint is an origin, a size, a root and non-empty extensions")
    return Checkpoint(body, text[0], parse_size(text[1]), parse_hash(text[2]), signatures)


@dataclass(frozen=True)
class Request:
    old: int
    proof: list[bytes]
    checkpoint: Checkpoint


def parse_request(raw: bytes) -> Request:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("not UTF-8") from None
    if any(c < " " and c != "\n" for c in text):
        raise Malformed("a control character")
    head, sep, note = text.partition("\n\n")  # proof lines are never empty
    if not sep:
        raise Malformed("no empty line before the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise Malformed("the first line is not `old <size>`")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Malformed(f"more than {MAX_PROOF_LINES} proof lines")
    proof = [parse_hash(line) for line in lines[1:]]
    return Request(parse_size(lines[0][4:]), proof, parse_checkpoint(note))


# --- RFC 6962 consistency proofs, verified as RFC 9162 2.1.4.2 says ------------------


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, proof: list[bytes]
) -> bool:
    """For 0 < first < second: does `proof` show the tree `first` is a prefix of `second`?"""
    if not 0 < first < second or not proof:
        return False
    if first & (first - 1) == 0:  # a power of two: the old root is itself a node of the path
        proof = [first_hash, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0


# --- The witness ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class Witness:
    def __init__(self, key: WitnessKey, logs: list[LogKey], state_dir: Path) -> None:
        self.key = key
        self.logs: dict[str, list[LogKey]] = {}
        for log in logs:
            self.logs.setdefault(log.origin, []).append(log)
        self.state_path = state_dir / STATE_FILE
        self.state = self.read_state()
        # One lock for check-and-persist: the file holds every origin, and a check must not
        # interleave with another request's write (tlog-witness's rollback race).
        self.lock = threading.Lock()

    def read_state(self) -> dict[str, tuple[int, bytes]]:
        try:
            data: Any = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            raise Refused(f"cannot read the state file {self.state_path}: {e}") from None
        try:
            state = {
                origin: (parse_size(str(entry["size"])), parse_hash(entry["root"]))
                for origin, entry in data["logs"].items()
            }
        except (KeyError, TypeError, ValueError, AttributeError):
            raise Refused(f"{self.state_path}: not a witness state file") from None
        return state

    def write_state(self, state: dict[str, tuple[int, bytes]]) -> None:
        logs = {o: {"size": s, "root": base64.b64encode(r).decode()} for o, (s, r) in state.items()}
        data = json.dumps({"logs": logs}, indent=1, sort_keys=True) + "\n"
        directory = self.state_path.parent
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".witness-state.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        # The rename is durable only once the directory entry is.
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def signed_by_log(self, cp: Checkpoint, logs: list[LogKey]) -> bool:
        verified = False
        for name, sig in cp.signatures:
            for log in logs:
                if name == log.origin and sig[:4] == log.key_id:
                    # A known key's bad signature condemns the note (signed-note: SHOULD).
                    if not strict_verify(log.key, sig[4:], cp.body.encode()):
                        return False
                    verified = True
        return verified

    def add_checkpoint(self, raw: bytes) -> tuple[Answer, str]:
        """The answer to a POST /add-checkpoint, and a note for the request's log line."""
        try:
            req = parse_request(raw)
        except Malformed as e:
            return Answer(400, f"malformed: {e}\n"), str(e)
        cp = req.checkpoint
        seen = f"{cp.origin} old {req.old} size {cp.size} root {base64.b64encode(cp.root).decode()}"
        if req.old > cp.size:
            return Answer(400, "old size above the checkpoint size\n"), seen
        logs = self.logs.get(cp.origin)
        if not logs:
            return Answer(404, "unknown log origin\n"), seen
        if not self.signed_by_log(cp, logs):
            return Answer(403, "no valid signature by the log's key\n"), seen
        with self.lock:
            size, root = self.state.get(cp.origin, (0, EMPTY_ROOT))
            if req.old != size:
                return Answer(409, f"{size}\n", "text/x.tlog.size"), seen
            if cp.size == size and cp.root != root:
                return Answer(409, "root differs from the cosigned one of the same size\n"), seen
            if size in (0, cp.size):  # nothing to prove: tlog-witness wants no proof lines
                consistent = not req.proof
            else:
                consistent = verify_consistency(size, cp.size, root, cp.root, req.proof)
            if not consistent:
                return Answer(422, "the consistency proof does not verify\n"), seen
            if (size, root) != (cp.size, cp.root):
                state = {**self.state, cp.origin: (cp.size, cp.root)}
                self.write_state(state)  # before the answer: a cosignature is never forgotten
                self.state = state
        return Answer(200, self.cosign(cp.body), "text/x.tlog.cosignature"), "cosigned " + seen

    def cosign(self, body: str) -> str:
        timestamp = int(time.time())
        message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
        sig = self.key.key_id + timestamp.to_bytes(8, "big") + self.key.private.sign(message)
        return f"\u2014 {self.key.name} {base64.b64encode(sig).decode()}\n"


class Handler(BaseHTTPRequestHandler):
    server: WitnessServer
    protocol_version = "HTTP/1.1"  # keep-alive, as tlog-witness recommends
    timeout = 30  # a stalled client does not hold a thread forever
    server_version = "witness.py"

    def answer(self, answer: Answer, note: str = "") -> None:
        payload = answer.body.encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.log_message('"%s" %d %s', self.requestline, answer.status, note)

    def do_GET(self) -> None:
        if self.path == "/health":
            self.answer(Answer(200, "ok\n"))
        else:
            self.answer(Answer(404, "not found\n"))

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "")
        size = int(length) if re.fullmatch(r"[0-9]{1,9}", length) else None
        if size is None or size > DRAIN_LIMIT or "Transfer-Encoding" in self.headers:
            size, body = None, b""
            self.close_connection = True  # a body it does not read
        else:
            # Read even a body it refuses: closing on unread data resets the connection, and
            # the client would see that instead of the answer.
            body = self.rfile.read(size)
        if self.path != "/add-checkpoint":
            self.answer(Answer(404, "not found\n"))
        elif size is None or size > MAX_BODY:
            answer = Answer(400, f"a body of at most {MAX_BODY} bytes, with Content-Length\n")
            self.answer(answer, f"Content-Length {length!r}")
        else:
            try:
                answer, note = self.server.witness.add_checkpoint(body)
            except Exception as e:  # a full disk, say: no cosignature, no traceback sent
                answer, note = Answer(500, "internal error\n"), f"{type(e).__name__}: {e}"
            self.answer(answer, note)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # answer() logs each request once, with what the witness made of it


class WitnessServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 resets a burst of concurrent clients

    def __init__(self, address: tuple[str, int], witness: Witness) -> None:
        super().__init__(address, Handler)
        self.witness = witness

    def server_bind(self) -> None:
        # HTTPServer's own looks the host's name up in DNS, which can stall the start.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # One line, not socketserver's traceback (a client that hung up, mostly).
        print(f"{client_address[0]} error: {sys.exception()!r}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="A C2SP tlog-witness: cosigns a log's checkpoints."
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key-file", type=Path, required=True)
    parser.add_argument("--log-key", action="append", required=True, metavar="VKEY")
    parser.add_argument("--name")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state-dir", type=Path)
    parser.add_argument("--vkey-file", type=Path, help="also write the vkey to this file")
    args = parser.parse_args(argv)
    try:
        logs = [parse_log_vkey(v) for v in args.log_key]
        state_dir = args.state_dir or args.key_file.resolve().parent
        if not state_dir.is_dir():
            raise Refused(f"the state directory {state_dir} does not exist")
        key = load_or_make_key(args.key_file, args.name)
        # Two witnesses on one state would each check against a copy the other overwrites.
        try:
            lock_file = open(state_dir / ".witness-state.lock", "a")  # noqa: SIM115 - kept open
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Refused(f"another witness is running on the state in {state_dir}") from None
        except OSError as e:
            raise Refused(f"cannot lock the state in {state_dir}: {e.strerror}") from None
        witness = Witness(key, logs, state_dir)
    except Refused as e:
        print(f"witness: {e}", file=sys.stderr)
        return 2
    try:
        server = WitnessServer((args.host, args.port), witness)
    except OSError as e:
        print(f"witness: cannot listen on {args.host}:{args.port}: {e.strerror}", file=sys.stderr)
        return 2
    # Before the ready lines, so that a signal sent once they are read is handled. The
    # handler only notes the signal: taking a lock in it could deadlock the main thread.
    signals: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _: signals.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _: signals.append(signum))
    if args.vkey_file is not None:
        args.vkey_file.write_text(key.vkey + "\n")
    print(key.vkey, flush=True)
    print(f"witness listening on http://{args.host}:{server.server_address[1]}", flush=True)
    print(
        f"witness: state {witness.state_path} ({len(witness.state)} logs cosigned before);"
        f" logs {', '.join(sorted(witness.logs))}",
        file=sys.stderr,
        flush=True,
    )

    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    while not signals:
        time.sleep(0.1)
    server.shutdown()
    server.server_close()
    lock_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
