"""The draw's Celery tasks: beat's midnight run and sweep, and a worker's catch-up at start.

Thin: the task calls the draw service (draws.services) and decides about retries.
"""

import logging
import math
import time
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from django.conf import settings

from draws.notification_tasks import draw_winner_notify
from draws.services import lottery_draw_closed

# Celery's autodiscovery imports each app's tasks module: the winner's email task lives apart
# (draws/notification_tasks.py, below the draw service that queues it) and is named here.
__all__ = ["draw_closed_days_on_worker_start", "draw_winner_notify", "lottery_draw_closed_days"]

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True)
def lottery_draw_closed_days(self: Task, retry: bool = True) -> list[str]:
    """Beat's midnight run and sweep: draw every closed, undrawn day.

    Idempotent (a drawn day is returned, not redrawn), so acks_late redelivery is safe.
    A failed sweep (``retry=False``) is not retried: the next sweep is its retry.
    """
    started = time.monotonic()
    try:
        draws = lottery_draw_closed()
    except Exception as exc:
        if not retry:
            logger.warning("Lottery draw sweep failed (%r); the next sweep tries again", exc)
            raise
        retry_number = self.request.retries + 1
        max_retries = settings.LOTTERY_MAX_RETRIES
        if retry_number > max_retries:
            logger.error("Lottery draw failed (%r); giving up after %d retries", exc, max_retries)
            raise
        # Attempts start LOTTERY_RETRY_DELAY_SECONDS apart: the time this one spent failing
        # (waiting for the pool, a connect timeout) counts toward the delay, not on top of it.
        elapsed = time.monotonic() - started
        countdown = max(0.0, math.ceil((settings.LOTTERY_RETRY_DELAY_SECONDS - elapsed) * 10) / 10)
        logger.warning(
            "Lottery draw failed (%r); retry %d of %d in %.0f s",
            exc,
            retry_number,
            max_retries,
            countdown,
        )
        raise self.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc
    return [draw.lottery.date.isoformat() for draw in draws]


@worker_ready.connect
def draw_closed_days_on_worker_start(**kwargs: Any) -> None:
    """A worker that was down catches up as soon as it is back, not at the next sweep."""
    lottery_draw_closed_days.apply_async()
