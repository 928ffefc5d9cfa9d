import logging
import math
import time
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from django.conf import settings

from draws.notifications import WinnerNotificationFailed, winner_notify
from draws.services import lottery_draw_closed

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


NOTIFY_MAX_RETRIES = 8
NOTIFY_FIRST_DELAY_SECONDS = 30
NOTIFY_MAX_DELAY_SECONDS = 3600


@shared_task(bind=True, acks_late=True, max_retries=NOTIFY_MAX_RETRIES)
def draw_winner_notify(self: Task, draw_id: int) -> str:
    """Email a draw's winner; queued by the draw service once the draw has committed.

    A second delivery (acks_late redelivery, a retry racing a redelivery) finds the
    notification record and sends nothing. While the mail server fails, retries back off
    30 s, 60 s, 120 s ... up to an hour between attempts (about four hours in all).
    """
    try:
        outcome = winner_notify(draw_id=draw_id)
    except WinnerNotificationFailed as exc:
        attempt = self.request.retries + 1
        if attempt > NOTIFY_MAX_RETRIES:
            logger.error("Winner email of draw %s failed (%s); giving up", draw_id, exc)
            raise
        delay = min(NOTIFY_FIRST_DELAY_SECONDS * 2**self.request.retries, NOTIFY_MAX_DELAY_SECONDS)
        logger.warning(
            "Winner email of draw %s failed (%s); retry %d of %d in %d s",
            draw_id,
            exc,
            attempt,
            NOTIFY_MAX_RETRIES,
            delay,
        )
        raise self.retry(exc=exc, countdown=delay) from exc
    logger.info("Winner email of draw %s: %s", draw_id, outcome)
    return outcome


@worker_ready.connect
def draw_closed_days_on_worker_start(**kwargs: Any) -> None:
    """A worker that was down catches up as soon as it is back, not at the next sweep."""
    lottery_draw_closed_days.apply_async()
