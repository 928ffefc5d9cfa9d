import logging

from celery import Task, shared_task

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
