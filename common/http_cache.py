"""HTTP caching of public reads: validators, 304s, and freshness that ends by midnight.

A drawn day's result never changes: it is served with ``immutable`` and a year of freshness.
Lists change at the lottery's midnight (a day closes, the open window moves), so their
freshness is short and never reaches past the next midnight in ``TIME_ZONE``.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import parse_etags  # type: ignore[attr-defined]

IMMUTABLE = "public, max-age=31536000, immutable"
LIST_MAX_AGE = 60  # seconds a client or proxy may reuse /draws or /lotteries


def list_cache_control(changes_at: datetime) -> str:
    """Short freshness that ends by ``changes_at`` (rounded down, so never late)."""
    seconds_left = int((changes_at - timezone.now()).total_seconds())
    return f"public, max-age={max(0, min(LIST_MAX_AGE, seconds_left))}"


def etag_of(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


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
