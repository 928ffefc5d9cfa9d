import logging

from celery import Task, shared_task

from draws.notifications import WinnerNotificationFailed, winner_notify
from draws.services import lottery_draw_closed

logger = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 60
MAX_RETRIES = 10


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def lottery_draw_closed_days(self: Task) -> list[str]:
    """Beat's midnight task: draw every closed, undrawn day.

    Idempotent (a drawn day is returned, not redrawn), so acks_late redelivery is safe.
    """
    try:
        draws = lottery_draw_closed()
    except Exception as exc:
        retry = self.request.retries + 1
        if retry > MAX_RETRIES:
            logger.error("Lottery draw failed (%r); giving up after %d retries", exc, MAX_RETRIES)
            raise
        logger.warning(
            "Lottery draw failed (%r); retry %d of %d in %d s",
            exc,
            retry,
            MAX_RETRIES,
            RETRY_DELAY_SECONDS,
        )
        raise self.retry(exc=exc, countdown=RETRY_DELAY_SECONDS) from exc
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
