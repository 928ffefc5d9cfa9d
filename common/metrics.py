"""Prometheus metrics (prometheus-client): what they count, the request middleware, /metrics.

With ``PROMETHEUS_MULTIPROC_DIR`` set, every process (Granian's workers, Celery's pool) writes
its values to files there and ``/metrics`` adds them up, so one scrape of the web server
also shows the draws and notifications counted in the worker when both share the folder.
"""

import os
import secrets
import socket
from collections.abc import Callable
from time import perf_counter
from typing import Any

from celery.signals import task_retry
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja.security import HttpBearer
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

if settings.PROMETHEUS_MULTIPROC_DIR:
    # Containers sharing the folder reuse pids (each starts at 1); the file name must be
    # unique across them, so it names the host (the container) as well as the pid.
    _HOST = socket.gethostname()
    values.ValueClass = values.MultiProcessValue(lambda: f"{_HOST}-{os.getpid()}")

HTTP_REQUESTS = Counter(
    "lottery_http_requests", "HTTP requests answered.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "lottery_http_request_duration_seconds",
    "Time from the first middleware to the response.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BALLOTS = Counter("lottery_ballots", "Ballot submissions, by outcome.", ["outcome"])
BALLOTS_ACCEPTED = BALLOTS.labels(outcome="accepted")
BALLOTS_REFUSED = BALLOTS.labels(outcome="refused")
DRAWS = Counter("lottery_draws", "Lottery days drawn, with or without a winner.", ["winner"])
DRAW_DURATION = Histogram(
    "lottery_draw_duration_seconds",
    "Time to draw one lottery day, from the service call to the commit.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TASK_RETRIES = Counter("lottery_task_retries", "Celery task retries scheduled.", ["task"])
NOTIFICATIONS = Counter(
    "lottery_notifications", "Winner emails: sent, or a failed attempt.", ["result"]
)

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    """Counts and times every request by its route template, never its raw path.

    ``ballots/<ballot_id>`` is one label value however many ballots there are, and a
    path that matches no route is ``unmatched``: the number of series stays bounded.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The labelled children, looked up once per (method, route, status): .labels() costs
        # more than the increment itself.
        self.series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        # Unknown methods are one label (and one key), or any client could add series.
        method = request.method if request.method in _KNOWN_METHODS else "other"
        key = (method, match.route if match else "unmatched", response.status_code)
        series = self.series.get(key) or self._add_series(key)
        series[0].observe(perf_counter() - started)
        series[1].inc()
        return response

    def _add_series(self, key: tuple[str, str, int]) -> tuple[Any, Any]:
        method, route, status = key
        series = (HTTP_LATENCY.labels(method, route), HTTP_REQUESTS.labels(method, route, status))
        self.series[key] = series
        return series


@task_retry.connect
def _count_retry(sender: Any = None, **kwargs: Any) -> None:
    TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()


class MetricsAuth(HttpBearer):
    """``Authorization: Bearer $METRICS_TOKEN``; no token configured: open only with DEBUG."""

    def __call__(self, request: HttpRequest) -> Any:
        if not settings.METRICS_TOKEN:
            return settings.DEBUG or None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> bool | None:
        # Bytes: compare_digest refuses non-ASCII str, and a client chooses this header.
        given, expected = token.encode(), settings.METRICS_TOKEN.encode()
        return secrets.compare_digest(given, expected) or None


def metrics_exposition() -> HttpResponse:
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
