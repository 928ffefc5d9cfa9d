"""The readiness probes: can this process reach its database and broker, is it migrated.

``/health/ready`` (config.health) and ``manage.py healthcheck`` both run them.
"""

import logging

from celery import current_app
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

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
        with current_app.connection_for_write(transport_options=_BROKER_PROBE_OPTIONS) as broker:
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
