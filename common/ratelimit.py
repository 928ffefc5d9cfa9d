"""Rate limits kept in the Django cache (Redis in production: ``CACHE_URL``), so they hold
across processes.

The promise is exact: at most ``limit`` units in ANY 60 s (a sliding log). Each key keeps
the times of the units it was allowed in the last minute; a charge drops the ones older
than 60 s, counts the rest and adds its own only if they fit, in one Redis round trip (a
Lua script, atomic on the server). The estimate used before (this minute's count plus the
previous one's, weighted) let 1.9x the limit through in 60 s; the estimate is gone, and so
are the leases that charged a process's units ahead. Refused requests are not recorded, so
retrying does not extend a lock-out, and ``Retry-After`` is exact: the moment the oldest
units that stand in the way leave the window. The price: one sorted-set member per unit
allowed in the last minute (a user at the ballot limit of 600 holds ~600 members, tens of
KB), and one round trip per charge.

A cache that cannot answer within CACHE_TIMEOUT makes the request a 503 with Retry-After
(``DependencyUnavailable``), never a 500 or a hang.
"""

import functools
import hashlib
import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from redis.exceptions import RedisError

from common.errors import (
    DEPENDENCY_RETRY_AFTER_SECONDS,
    DependencyUnavailable,
    RateLimited,
)

WINDOW_SECONDS = 60

# KEYS[1]: the log; ARGV: now (s), window (s), limit, count, a nonce for unique members.
# Returns {1} when allowed, else {0, seconds until ``count`` more fit} (-1: never).
_CHARGE_SCRIPT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local limit, count = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used + count <= limit then
  for i = 1, count do
    redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. i)
  end
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return {1}
end
if count > limit then
  return {0, '-1'}
end
local last = used + count - limit - 1
local blocking = redis.call('ZRANGE', KEYS[1], last, last, 'WITHSCORES')
return {0, tostring(tonumber(blocking[2]) + window - now)}
"""

_local_lock = threading.Lock()


def rate_limit_charge(*, scope: str, key: str, limit: int, count: int = 1) -> None:
    """Count ``count`` units of ``key`` in ``scope``; raise RateLimited past ``limit``."""
    # Hashed: a key may be any text (a username, a forwarded address), cache keys may not.
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    log_key = f"ratelimit:{scope}:{digest}"
    now = time.time()
    try:
        wait = _charge(log_key, now, limit=limit, count=count)
    except RedisError as exc:  # refused, timed out, or anything else from the cache's Redis
        raise DependencyUnavailable(
            "The rate-limit store is unavailable; try again shortly.",
            retry_after=DEPENDENCY_RETRY_AFTER_SECONDS,
        ) from exc
    if wait is None:
        return
    # More than the limit at once never fits; a minute is as good an answer as any.
    retry_after = WINDOW_SECONDS if wait < 0 else max(1, math.ceil(wait - 1e-6))
    raise RateLimited("Too many requests; try again later.", retry_after=retry_after)


def _charge(log_key: str, now: float, *, limit: int, count: int) -> float | None:
    """None when ``count`` units fit and were recorded, else seconds until they would."""
    cache = caches["default"]  # the backend itself: django.core.cache.cache is a proxy
    if isinstance(cache, RedisCache):
        # make_key, not make_and_validate_key: the keys are hex digests, nothing to warn about.
        allowed, *wait = _charge_script(cache)(
            keys=[cache.make_key(log_key)],
            args=[repr(now), WINDOW_SECONDS, limit, count, os.urandom(8).hex()],
        )
        return None if allowed else float(wait[0])
    # locmem (the embedded mode and the tests): one process, so a lock makes it atomic.
    with _local_lock:
        log = [moment for moment in cache.get(log_key, []) if moment > now - WINDOW_SECONDS]
        if len(log) + count <= limit:
            cache.set(log_key, [*log, *[now] * count], timeout=WINDOW_SECONDS + 1)
            return None
        cache.set(log_key, log, timeout=WINDOW_SECONDS + 1)
    if count > limit:
        return -1.0
    return log[len(log) + count - limit - 1] + WINDOW_SECONDS - now


def _charge_script(cache: RedisCache) -> Any:
    """The registered script (EVALSHA, loading it on first use), made once per backend.

    It draws connections from the backend's pool (thread-safe); building a client per call,
    as Django does, costs more CPU than the round trip.
    """
    script = getattr(cache, "_ratelimit_script", None)
    if script is None:
        client = cast(Any, cache)._cache.get_client(write=True)
        script = client.register_script(_CHARGE_SCRIPT)
        cache._ratelimit_script = script  # type: ignore[attr-defined]
    return script


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


# One budget per address for everything that hashes a password (register, /token/pair,
# admin login): with a budget each, one address made ~90 PBKDF2 hashes a minute.
HASHING_SCOPE = "auth"


def address_limit_charge(
    *, request: HttpRequest, scope: str = HASHING_SCOPE, limit: int | None = None
) -> None:
    """Charge the client's address: AUTH_RATE_LIMIT_PER_MINUTE in the hashing scope."""
    rate_limit_charge(
        scope=scope,
        key=client_address(request),
        limit=settings.AUTH_RATE_LIMIT_PER_MINUTE if limit is None else limit,
    )


def rate_limited(
    scope: str = HASHING_SCOPE, *, limit_setting: str = "AUTH_RATE_LIMIT_PER_MINUTE"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Limit a Ninja handler per client address (the setting is read at call time)."""

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            limit = getattr(settings, limit_setting)
            address_limit_charge(request=request, scope=scope, limit=limit)
            return handler(request, *args, **kwargs)

        return wrapper

    return decorator
