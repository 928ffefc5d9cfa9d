"""HTTP caching of public reads: validators, 304s, freshness that ends by midnight, and the
per-process cache of rendered answers that never change.

A drawn day's result never changes: it is served with ``immutable`` and a year of freshness.
Lists change at the lottery's midnight (a day closes, the open window moves), so their
freshness is short and never reaches past the next midnight in ``TIME_ZONE``.

Selectors return data; the API layer renders it here. An answer that can no longer change
for its key (a drawn day, a page of a closed day's ballot ids, a page of results for one
version of the table) is rendered once per process by a function wrapped in
``rendered_once``, which keeps the bytes and their ETag.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import parse_etags  # type: ignore[attr-defined]

from common.renderers import json_bytes

IMMUTABLE = "public, max-age=31536000, immutable"
LIST_MAX_AGE = 60  # seconds a client or proxy may reuse /draws or /lotteries


def list_cache_control(changes_at: datetime) -> str:
    """Short freshness that ends by ``changes_at`` (rounded down, so never late)."""
    seconds_left = int((changes_at - timezone.now()).total_seconds())
    return f"public, max-age={max(0, min(LIST_MAX_AGE, seconds_left))}"


def etag_of(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


@dataclass(frozen=True)
class Rendered:
    """An answer rendered to JSON, with its ETag."""

    body: bytes
    etag: str
    final: bool  # the answer for its key never changes: rendered_once keeps it

    def response(self, cache_control: str) -> HttpResponse:
        response = HttpResponse(self.body, content_type="application/json")
        response["ETag"] = self.etag
        response["Cache-Control"] = cache_control
        return response


def render(data: Any, *, final: bool) -> Rendered:
    body = json_bytes(data)
    return Rendered(body, etag_of(body), final)


class RenderedOnce[**P]:
    """A function that renders an answer, whose ``final`` answers are kept in this process.

    Keyed by the arguments, which must be what makes the answer final (a drawn day's date,
    a version of a table): a later call with them costs no query and no rendering. Bounded:
    past ``maxsize`` the least recently used answer goes. An answer that is not final (a
    day still drawing) and an exception (a day not closed) are not kept.
    """

    def __init__(self, render: Callable[P, Rendered], maxsize: int) -> None:
        self._render = render
        self._maxsize = maxsize
        self._kept: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._lock = threading.Lock()
        self.__wrapped__ = render
        self.__doc__ = render.__doc__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Rendered:
        key = (args, tuple(sorted(kwargs.items())))
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        # Rendered outside the lock: two threads may both render a new key, and keep one.
        rendered = self._render(*args, **kwargs)
        if rendered.final:
            with self._lock:
                self._kept[key] = rendered
                if len(self._kept) > self._maxsize:
                    self._kept.popitem(last=False)
        return rendered

    def cache_clear(self) -> None:
        with self._lock:
            self._kept.clear()


_every_rendered_once: list[RenderedOnce[...]] = []


def rendered_once[**P](*, maxsize: int) -> Callable[[Callable[P, Rendered]], RenderedOnce[P]]:
    """Wrap a function that renders an answer: keep its final answers (see RenderedOnce)."""

    def wrap(render: Callable[P, Rendered]) -> RenderedOnce[P]:
        cache = RenderedOnce(render, maxsize)
        _every_rendered_once.append(cache)
        return cache

    return wrap


def rendered_once_clear() -> None:
    """Drop every answer kept by rendered_once in this process (what a restart does)."""
    for cache in _every_rendered_once:
        cache.cache_clear()


def conditional_get_middleware(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    """ETag and 304 for the answers a handler marked ``Cache-Control: public``.

    Only those: an authenticated answer must not be revalidated by a shared cache. Unlike
    Django's ConditionalGetMiddleware it never answers 412 with an empty, non-JSON body.
    """

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        if (
            request.method not in ("GET", "HEAD")
            or response.status_code != 200
            or not response.get("Cache-Control", "").startswith("public")
            or not isinstance(response, HttpResponse)
        ):
            return response
        if not response.has_header("ETag"):
            response["ETag"] = etag_of(response.content)
        etag = response["ETag"]
        candidates = parse_etags(request.headers.get("If-None-Match", ""))
        # If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
        if "*" in candidates or etag in {tag.removeprefix("W/") for tag in candidates}:
            not_modified = HttpResponseNotModified()
            for header in ("ETag", "Cache-Control", "Vary"):
                if response.has_header(header):
                    not_modified[header] = response[header]
            return not_modified
        return response

    return middleware
