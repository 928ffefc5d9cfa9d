"""A hostile server of the test's own: it relays to the live server and rewrites answers.

Both verifiers (scripts/verify_draw.py and the browser's) read the lottery through it, so a
test can serve real answers altered in one precise way and compare what each concludes: the
draws (/draws/...) and the public record (/log/...).
"""

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


def unchanged(path: str, status: int, body: bytes) -> tuple[int, bytes]:
    return status, body


class RewritingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rewrite: Rewrite = unchanged
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                request = urllib.request.Request(  # noqa: S310 - http:// to the live server
                    proxy.upstream + self.path,
                    headers={
                        k: v for k, v in self.headers.items() if k.lower() in ("accept", "cookie")
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - the live server
                        status, body, kind = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as error:
                    status, body, kind = error.code, error.read(), error.headers
                content_type = kind.get("Content-Type", "application/octet-stream")
                if self.path.startswith(("/draws/", "/log/")):
                    try:
                        status, body = proxy.rewrite(self.path, status, body)
                    finally:
                        close_thread_connection()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "RewritingProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
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
