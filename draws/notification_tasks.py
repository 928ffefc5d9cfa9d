"""The winner's email as a Celery task, queued by the draw service once a draw has committed.

Apart from draws/tasks.py (the sweep), which imports the draw service: the draw service
imports this module, and nothing here imports the draw service.
"""

import logging

from celery import Task, shared_task

from draws.notifications import WinnerNotificationFailed, winner_notify

logger = logging.getLogger(__name__)

NOTIFY_MAX_RETRIES = 8
NOTIFY_FIRST_DELAY_SECONDS = 30
NOTIFY_MAX_DELAY_SECONDS = 3600


# The name it had in draws.tasks: retries already in the broker (up to an hour away) stay
# known to a worker of the next release.
@shared_task(
    name="draws.tasks.draw_winner_notify",
    bind=True,
    acks_late=True,
    max_retries=NOTIFY_MAX_RETRIES,
)
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
