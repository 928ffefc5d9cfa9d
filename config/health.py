"""Health for operators and orchestrators: is the process up, can it work, are draws late.

``/health/live`` answers without touching anything; ``/health/ready`` checks the database,
that its migrations are applied, and the broker (the compose healthchecks use it, and
``manage.py healthcheck`` runs the same checks where no HTTP server is listening);
``/health/draws`` is for monitoring.
"""

import datetime as dt
import logging

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from ballots.calendar import lottery_today
from common.probes import broker_problem, database_problem, migrations_problem
from draws.selectors import lottery_dates_overdue
from record.selectors import closes_unwitnessed

router = Router(tags=["health"])
logger = logging.getLogger(__name__)


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
