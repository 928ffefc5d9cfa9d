"""Health for operators and orchestrators: is the process up, can it work, are draws late.

``/health/live`` answers without touching anything; ``/health/ready`` checks the database,
that its migrations are applied, and the broker (the compose healthchecks use it, and
``manage.py healthcheck`` runs the same checks where no HTTP server is listening);
``/health/draws`` is for monitoring.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from ballots.calendar import lottery_today
from draws.selectors import lottery_dates_overdue
from lottery_app.celery import app as celery_app
from record.selectors import closes_unwitnessed

router = Router(tags=["health"])
logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 3
# For this check's own connection only: a broker that accepts TCP and never answers left
# the PING waiting for ever (no socket timeout), and a few probes took every web thread.
# The worker's connections keep Celery's settings.
_BROKER_PROBE_OPTIONS = {
    "socket_timeout": BROKER_TIMEOUT_SECONDS,
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
}


def database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return f"database unreachable: {exc}".strip()
    return None


_migrated = False


def migrations_problem() -> str | None:
    """Not ready while a migration of this code is unapplied (a deploy that skipped migrate).

    Once applied they stay applied for this process's code, so only the first success costs
    the migration graph and a query; a database error is database_problem's to report.
    """
    global _migrated
    if _migrated:
        return None
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return f"migrations unknown: {exc}".strip()
    if plan:
        return f"{len(plan)} migrations not applied (run: python manage.py migrate)"
    _migrated = True
    return None


def broker_problem() -> str | None:
    try:
        with celery_app.connection_for_write(transport_options=_BROKER_PROBE_OPTIONS) as broker:
            # One attempt, bounded: a health check must answer even when the broker hangs.
            broker.ensure_connection(
                max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS
            )
            broker.default_channel  # noqa: B018 - opening a channel talks to the broker (Redis: PING)
    except Exception as exc:  # kombu raises transport-specific errors; any means "not ready"
        # The error names the broker's host and port: for the log, not for anyone who asks.
        logger.warning("Broker unreachable: %r", exc)
        return "broker unreachable"
    return None


class LiveOut(Schema):
    status: str


class ReadyOut(Schema):
    status: str
    checks: dict[str, str]


class NotReadyOut(Schema):
    detail: str
    checks: dict[str, str]


class DrawsOut(Schema):
    status: str
    overdue: list[dt.date]
    unwitnessed: list[dt.date] = []


class DrawsOverdueOut(Schema):
    detail: str
    # Empty when the database itself is unavailable (the answer every endpoint gives then).
    overdue: list[dt.date] = []
    # Closes some witness did not cosign within the policy's bound: those days never verify.
    unwitnessed: list[dt.date] = []


@router.get("/live", response=LiveOut, summary="Liveness (operators)")
def live(request: HttpRequest) -> dict[str, str]:
    """200 while the process serves; touches nothing. For orchestrators' liveness probes."""
    return {"status": "ok"}


@router.get("/ready", response={200: ReadyOut, 503: NotReadyOut}, summary="Readiness (operators)")
def ready(request: HttpRequest) -> Status:
    """200 when the database and the broker answer and every migration is applied; 503 naming
    the one that does not. For load balancers and the compose healthcheck.
    """
    database = database_problem()
    problems = {
        "database": database,
        # Unknowable without the database, whose problem is reported once, above.
        "migrations": None if database else migrations_problem(),
        "broker": broker_problem(),
    }
    checks = {name: problem or "ok" for name, problem in problems.items()}
    failing = [problem for problem in problems.values() if problem]
    if failing:
        return Status(503, {"detail": "; ".join(failing), "checks": checks})
    return Status(200, {"status": "ok", "checks": checks})


@router.get(
    "/draws", response={200: DrawsOut, 503: DrawsOverdueOut}, summary="Overdue draws (operators)"
)
def draws(request: HttpRequest) -> Status:
    """503 with the dates of closed days still undrawn `LOTTERY_DRAW_GRACE_MINUTES` (10) after
    their midnight, or whose close a witness did not cosign in time (those can never verify),
    else 200: point monitoring at it.
    """
    now, today = timezone.now(), lottery_today()
    overdue = lottery_dates_overdue(now=now, today=today)
    unwitnessed = closes_unwitnessed(
        now=now, since=today - dt.timedelta(days=settings.LOTTERY_OPEN_DAYS)
    )
    problems = []
    if overdue:
        problems.append(
            "Closed lottery days not drawn in time: "
            + ", ".join(day.isoformat() for day in overdue)
            + "."
        )
    if unwitnessed:
        problems.append(
            "Closes not cosigned by every witness in time (these days can never verify): "
            + ", ".join(day.isoformat() for day in unwitnessed)
            + "."
        )
    if problems:
        detail = " ".join(problems)
        return Status(503, {"detail": detail, "overdue": overdue, "unwitnessed": unwitnessed})
    return Status(200, {"status": "ok", "overdue": [], "unwitnessed": []})
