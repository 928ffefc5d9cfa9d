"""A hostile server of the test's own: it relays to the live server and rewrites answers.

Both verifiers (scripts/verify_draw.py and the browser's) read the lottery through it, so a
test can serve real answers altered in one precise way and compare what each concludes: the
draws (/draws/...), the public record (/log/...), and the pages and their scripts.

Beyond the body, it can rewrite an answer's headers, compress it (``Content-Encoding:
gzip``) and send it slowly (a byte at a time). It passes the live server's CORS headers
through, with ``Retry-After``, ``ETag`` and ``Content-Range``, as a real server in front of
the lottery would, and answers CORS preflights (OPTIONS) by relaying them.
"""

import gzip
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.conftest import close_thread_connection

# (path with query, status, body) -> (status, body): what the client gets instead.
Rewrite = Callable[[str, int, bytes], tuple[int, bytes]]
# (path with query, status, headers) -> the headers sent instead (Content-Length is the proxy's).
HeaderRewrite = Callable[[str, int, dict[str, str]], dict[str, str]]

# The request headers relayed to the live server, and the answer headers relayed back.
ASKED = (
    "accept",
    "cookie",
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "if-none-match",
    "range",
)
PASSED = (
    "content-type",
    "cache-control",
    "access-control-allow-origin",
    "access-control-expose-headers",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "retry-after",
    "etag",
    "content-range",
    "content-disposition",
)


def unchanged(path: str, status: int, body: bytes) -> tuple[int, bytes]:
    return status, body


def same_headers(path: str, status: int, headers: dict[str, str]) -> dict[str, str]:
    return headers


def never(path: str) -> bool:
    return False


def no_drip(path: str) -> float | None:
    return None


class RewritingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rewrite: Rewrite = unchanged
        self.rewrite_headers: HeaderRewrite = same_headers
        # Which answers are sent gzip-compressed, and which slowly (seconds between bytes).
        self.gzip: Callable[[str], bool] = never
        self.drip: Callable[[str], float | None] = no_drip
        self.requests: list[str] = []  # every path asked (with its query), in order
        self.closing = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._relay("GET")

            def do_HEAD(self) -> None:
                self._relay("HEAD")

            def do_OPTIONS(self) -> None:
                self._relay("OPTIONS")

            def _relay(self, method: str) -> None:
                proxy.requests.append(self.path)
                request = urllib.request.Request(  # noqa: S310 - http:// to the live server
                    proxy.upstream + self.path,
                    headers={k: v for k, v in self.headers.items() if k.lower() in ASKED},
                    method=method,
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - the live server
                        status, body, got = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as error:
                    status, body, got = error.code, error.read(), error.headers
                headers = {k: v for k, v in got.items() if k.lower() in PASSED}
                headers.setdefault("Content-Type", "application/octet-stream")
                headers["Cache-Control"] = "no-store"
                if method == "GET":
                    try:
                        status, body = proxy.rewrite(self.path, status, body)
                    finally:
                        close_thread_connection()
                headers = proxy.rewrite_headers(self.path, status, headers)
                if proxy.gzip(self.path) and body:
                    body = gzip.compress(body, mtime=0)
                    headers["Content-Encoding"] = "gzip"
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method == "HEAD":
                    return
                interval = proxy.drip(self.path)
                try:
                    if interval is None:
                        self.wfile.write(body)
                        return
                    for i in range(len(body)):
                        if proxy.closing.wait(interval):
                            return
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the reader gave up: what a slow server's client does

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reset(self) -> None:
        """Honest again: no rewrite, no compression, no drip; the request log emptied."""
        self.rewrite = unchanged
        self.rewrite_headers = same_headers
        self.gzip = never
        self.drip = no_drip
        self.requests.clear()

    def __enter__(self) -> "RewritingProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


def json_rewrite(match: Callable[[str], bool], change: Callable[[Any], Any]) -> Rewrite:
    """Rewrite the JSON answers of the paths ``match`` accepts with ``change``."""

    def rewrite(path: str, status: int, body: bytes) -> tuple[int, bytes]:
        if status != 200 or not match(path):
            return status, body
        return status, json.dumps(change(json.loads(body))).encode()

    return rewrite


def text_rewrite(match: Callable[[str], bool], old: str, new: str) -> Rewrite:
    """Replace text in the raw answer (for spellings JSON libraries would normalise)."""

    def rewrite(path: str, status: int, body: bytes) -> tuple[int, bytes]:
        if status != 200 or not match(path):
            return status, body
        text = body.decode()
        assert old in text, (old, text[:300])
        return status, text.replace(old, new, 1).encode()

    return rewrite


def body_rewrite(match: Callable[[str], bool], change: Callable[[bytes], bytes]) -> Rewrite:
    """Replace the raw bytes of the answers ``match`` accepts (re-encoded, padded...)."""

    def rewrite(path: str, status: int, body: bytes) -> tuple[int, bytes]:
        return (status, change(body)) if status == 200 and match(path) else (status, body)

    return rewrite
