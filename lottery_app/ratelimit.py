"""Rate limits kept in the Django cache (Redis in production: ``CACHE_URL``), so they hold
across processes.

Each limit is a sliding window of one minute, estimated from two fixed-window counters: the
current minute's count plus the previous minute's, weighted by how much of it still lies
within the last 60 s. A plain fixed window let a client spend its limit at the end of one
minute and again at the start of the next (2x in a few seconds); this estimate never lets
more than the limit through in any 60 s if requests are spread evenly, and at worst a few
percent more. Refused requests are refunded, so a client that keeps retrying is not locked
out for longer than its own excess.
"""

import functools
import hashlib
import math
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

from lottery_app.errors import TooManyRequests

WINDOW_SECONDS = 60


# A process charges the shared counter for a lease of LEASE_SHARE-th of the limit at a time
# and hands it out locally, so a heavy client costs one round trip per lease, not per
# request. The price: units leased but unused stay counted, at most one lease per process per
# minute (2% of the limit each); limits under 2 * LEASE_SHARE are always charged exactly.
LEASE_SHARE = 50
_leases: dict[tuple[str, str, int], tuple[int, int]] = {}  # -> (window, units left)
_leases_lock = threading.Lock()


def rate_limit_charge(*, scope: str, key: str, limit: int, count: int = 1) -> None:
    """Count ``count`` requests of ``key`` in ``scope``; raise TooManyRequests past ``limit``."""
    window_float, elapsed = divmod(time.time(), WINDOW_SECONDS)
    window = int(window_float)
    lease_size = limit // LEASE_SHARE
    if lease_size > 1 and _lease_take((scope, key, limit), window, count):
        return
    if lease_size > count:
        try:
            _shared_charge(scope, key, window, elapsed, limit=limit, count=lease_size)
        except TooManyRequests:
            pass  # no room for a whole lease: maybe for this request alone, below
        else:
            _lease_keep((scope, key, limit), window, lease_size - count)
            return
    _shared_charge(scope, key, window, elapsed, limit=limit, count=count)


def _lease_take(lease: tuple[str, str, int], window: int, count: int) -> bool:
    with _leases_lock:
        lease_window, left = _leases.get(lease, (window, 0))
        if lease_window != window or left < count:
            return False
        _leases[lease] = (window, left - count)
        return True


def _lease_keep(lease: tuple[str, str, int], window: int, units: int) -> None:
    with _leases_lock:
        if len(_leases) > 10_000:  # forget the leases of past minutes
            for stale in [k for k, (w, _) in _leases.items() if w != window]:
                del _leases[stale]
        _leases[lease] = (window, units)


def _shared_charge(
    scope: str, key: str, window: int, elapsed: float, *, limit: int, count: int
) -> None:
    # Hashed: a key may be any text (a username, a forwarded address), cache keys may not.
    key = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    current_key = f"ratelimit:{scope}:{key}:{window}"
    previous_key = f"ratelimit:{scope}:{key}:{window - 1}"
    current, previous = _counters_add(current_key, previous_key, count)
    if previous * (1 - elapsed / WINDOW_SECONDS) + current <= limit:
        return
    _counters_add(current_key, None, -count)
    retry_after = _retry_after(current - count, previous, elapsed, limit=limit, count=count)
    raise TooManyRequests("Too many requests; try again later.", retry_after=retry_after)


def _counters_add(current_key: str, previous_key: str | None, count: int) -> tuple[int, int]:
    """Add ``count`` to the current counter; return it and the previous one."""
    cache = caches["default"]  # the backend itself: django.core.cache.cache is a proxy
    if isinstance(cache, RedisCache):
        # One round trip: Django's cache.incr() costs two (EXISTS, INCRBY) and a missing key
        # one more (add); this runs on every POST /ballots.
        # make_key, not make_and_validate_key: the keys are hex digests, nothing to warn about.
        real_current = cache.make_key(current_key)
        pipe = _redis_client(cache).pipeline(transaction=False)
        pipe.incrby(real_current, count)
        pipe.expire(real_current, WINDOW_SECONDS * 2)
        if previous_key is not None:
            pipe.get(cache.make_key(previous_key))
        results = pipe.execute()
        return int(results[0]), int(results[2] or 0) if previous_key is not None else 0
    # add() creates the counter atomically; incr() is atomic in locmem.
    cache.add(current_key, 0, timeout=WINDOW_SECONDS * 2)
    current = cache.incr(current_key, count)
    return current, int(cache.get(previous_key, 0)) if previous_key is not None else 0


def _redis_client(cache: RedisCache) -> Any:
    """The backend's redis-py client, made once per backend (Django makes one per call, and
    building it costs more CPU than the round trip). Thread-safe: it draws connections from
    the backend's pool; Django keeps one backend per thread anyway."""
    client = getattr(cache, "_ratelimit_client", None)
    if client is None:
        client = cast(Any, cache)._cache.get_client(write=True)
        cache._ratelimit_client = client  # type: ignore[attr-defined]
    return client


def _retry_after(current: int, previous: int, elapsed: float, *, limit: int, count: int) -> int:
    """Seconds until ``count`` more requests fit, if nothing else is sent meanwhile."""
    if current + count <= limit:
        # This minute has room; wait for enough of the previous minute to slide out.
        wait = WINDOW_SECONDS * (1 - (limit - current - count) / previous) - elapsed
    elif count <= limit:
        # Only the next minute has room, once enough of this one has slid out.
        spill = WINDOW_SECONDS * (1 - (limit - count) / current) if current else 0
        wait = WINDOW_SECONDS - elapsed + spill
    else:
        wait = WINDOW_SECONDS  # more than the limit at once: never; a minute is as good as any
    return max(1, math.ceil(wait))


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


def address_limit_charge(*, scope: str, request: HttpRequest) -> None:
    rate_limit_charge(
        scope=scope, key=client_address(request), limit=settings.AUTH_RATE_LIMIT_PER_MINUTE
    )


def rate_limited(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Limit a Ninja handler to AUTH_RATE_LIMIT_PER_MINUTE calls per client address."""

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            address_limit_charge(scope=scope, request=request)
            return handler(request, *args, **kwargs)

        return wrapper

    return decorator
