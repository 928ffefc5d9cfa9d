"""A fixed-window rate limit per client address, kept in the Django cache.

In production the cache is Redis (``CACHE_URL``), so the limit holds across processes.
"""

import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from lottery_app.errors import TooManyRequests

WINDOW_SECONDS = 60


def rate_limit_check(*, scope: str, client: str) -> None:
    window = int(time.time()) // WINDOW_SECONDS
    key = f"ratelimit:{scope}:{client}:{window}"
    # add() creates the counter atomically; incr() is atomic in Redis and in locmem.
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    if cache.incr(key) > settings.AUTH_RATE_LIMIT_PER_MINUTE:
        retry_after = WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
        raise TooManyRequests("Too many requests; try again later.", retry_after=retry_after)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the one NUM_PROXIES hops back in X-Forwarded-For.

    Behind a reverse proxy REMOTE_ADDR is the proxy's, which would put every client in one
    bucket. The header is trusted only as far as NUM_PROXIES says, since clients can forge it.
    """
    if settings.NUM_PROXIES:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [address.strip() for address in forwarded.split(",") if address.strip()]
        if hops:
            return hops[-min(settings.NUM_PROXIES, len(hops))]
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def rate_limited(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Limit a Ninja handler to AUTH_RATE_LIMIT_PER_MINUTE calls per client address."""

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            rate_limit_check(scope=scope, client=client_address(request))
            return handler(request, *args, **kwargs)

        return wrapper

    return decorator
