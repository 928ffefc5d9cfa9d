"""Telling the winner: what happens after a new draw commits, and the winner's email.

The draw service calls ``draw_committed`` when it creates a Draw; everything here runs only
once that transaction has committed, so a rolled-back draw emails nobody and counts nothing.
"""

import logging
import smtplib
from datetime import timedelta
from time import perf_counter

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from common.metrics import DRAW_DURATION, DRAWS, NOTIFICATIONS
from draws.models import Draw, WinnerNotification
from draws.selectors import draw_ids_unnotified

logger = logging.getLogger(__name__)

# The sweep re-queues the email of draws made this recently: longer than a broker outage
# over a long weekend, short enough that a deployment on old data mails no old winners.
REQUEUE_WINDOW = timedelta(days=3)


class WinnerNotificationFailed(Exception):
    """The mail server refused or failed the message, so it was not sent; retry later."""


def draw_committed(*, draw: Draw, started: float) -> None:
    """After the draw's commit: count it, and queue the email if the day has a winner."""

    def after_commit() -> None:
        DRAW_DURATION.observe(perf_counter() - started)
        DRAWS.labels(winner=str(draw.winning_ballot_id is not None).lower()).inc()
        if draw.winning_ballot_id is not None:
            _enqueue(draw.pk)

    # robust: a broker that is down must not turn a committed draw into an error (and a
    # retried draw task); the failure is logged by Django with the draw's traceback, and
    # the next sweep queues the email again (winner_notifications_requeue).
    transaction.on_commit(after_commit, robust=True)


def winner_notifications_requeue() -> list[int]:
    """Queue again the email of each recent draw whose winner has no notification record.

    Their on_commit enqueue failed (the broker was down), or their task is still queued:
    queued twice, the record lets one delivery send and the other sends nothing. Returns
    the draw ids queued; stops at the first broker failure, the next sweep tries again.
    """
    draw_ids = draw_ids_unnotified(since=timezone.now() - REQUEUE_WINDOW)
    if draw_ids:
        # Not a deleted account's ballot, nor an address not confirmed: winner_notify
        # records nothing for those, and they would be queued again at every sweep.
        draw_ids = list(
            Draw.objects.filter(pk__in=draw_ids, winning_ballot__user__email_confirmed=True)
            .order_by("drawn_at")
            .values_list("pk", flat=True)
        )
    for queued, draw_id in enumerate(draw_ids):
        try:
            _enqueue(draw_id)
        except BrokerUnreachable as exc:
            logger.warning(
                "Could not queue the winner email of draw %s (%r); the next sweep tries again",
                draw_id,
                exc,
            )
            return draw_ids[:queued]
        logger.warning(
            "Queued the winner email of draw %s again: no delivery has claimed it", draw_id
        )
    return draw_ids


def _enqueue(draw_id: int) -> None:
    # Imported here: draws.tasks imports the draw service, which imports this module.
    from draws.tasks import draw_winner_notify

    draw_winner_notify.delay(draw_id)


def winner_notify(*, draw_id: int) -> str:
    """Email the winner of ``draw_id`` at most once; return what happened, for the log.

    Raises WinnerNotificationFailed when the mail server did not take the message.
    Not atomic on purpose: the claim must be committed before the mail leaves.
    """
    draw = Draw.objects.select_related("lottery", "winning_ballot__user").get(pk=draw_id)
    if draw.winning_ballot is None:
        return "no winner"
    winner = draw.winning_ballot.user
    if winner is None:
        # The account was deleted; its ballot stays in the draw, with no one to tell.
        return "the winning ballot is a deleted account's: no one to notify"
    email = winner.email_for_mail  # only a confirmed address
    if not email:
        return "the winner has no confirmed email address"
    if not _claim(draw=draw, email=email):
        return "already sent (or being sent) by another delivery"
    mail = EmailMessage(
        subject=f"You won the lottery of {draw.lottery.date}",
        body=_winner_message(draw),
        from_email=None,  # DEFAULT_FROM_EMAIL
        to=[email],
    )
    try:
        # Built here, before any connection, as the backend would: an address stored before
        # addresses were checked (accounts.services.email_deliverable) can make the headers
        # impossible to write (HeaderParseError, ValueError). No retry could send it, so it
        # fails for good rather than staying "sending" with no task left to finish it.
        mail.message().as_bytes()
        for address in mail.recipients():
            sanitize_address(address, mail.encoding or settings.DEFAULT_CHARSET)
    except Exception as exc:  # the email package raises many kinds; any means "unbuildable"
        WinnerNotification.objects.filter(draw=draw).update(
            state=WinnerNotification.State.FAILED,
            last_error=f"cannot be built, not retried: {exc!r}"[:1000],
        )
        NOTIFICATIONS.labels(result="failed").inc()
        logger.error("Winner email of draw %s cannot be built (%r); not retried", draw_id, exc)
        return "the winner's address cannot be used; marked failed"
    try:
        mail.send()
    except (smtplib.SMTPException, OSError) as exc:
        # The SMTP conversation failed before the server accepted the message: not sent.
        WinnerNotification.objects.filter(draw=draw).update(
            state=WinnerNotification.State.FAILED, last_error=repr(exc)[:1000]
        )
        NOTIFICATIONS.labels(result="failed").inc()
        raise WinnerNotificationFailed(repr(exc)) from exc
    WinnerNotification.objects.filter(draw=draw).update(
        state=WinnerNotification.State.SENT, sent_at=timezone.now(), last_error=""
    )
    NOTIFICATIONS.labels(result="sent").inc()
    return f"sent to the winner of {draw.lottery.date}"


def _claim(*, draw: Draw, email: str) -> bool:
    """Write the record before sending; True for the one delivery that may send now.

    Two deliveries racing: the unique draw column lets one create the row; the conditional
    UPDATE lets one take over a failed attempt. The loser of either sends nothing.
    """
    _, created = WinnerNotification.objects.get_or_create(
        draw=draw, defaults={"email": email, "state": WinnerNotification.State.SENDING}
    )
    if created:
        return True
    claimed = WinnerNotification.objects.filter(
        draw=draw, state=WinnerNotification.State.FAILED
    ).update(state=WinnerNotification.State.SENDING, email=email, attempts=F("attempts") + 1)
    return claimed == 1


def _winner_message(draw: Draw) -> str:
    day = draw.lottery.date
    ballot_id = draw.winning_ballot_id
    base = settings.LOTTERY_PUBLIC_URL
    # The pages (pages.urls), for people: the JSON endpoints need a developer's tools.
    return (
        f"Hello {draw.winning_ballot.user.username},\n\n"  # type: ignore[union-attr]
        f"your ballot {ballot_id} won the lottery of {day}, drawn among "
        f"{draw.ballot_count} ballots.\n\n"
        f"Check the result yourself, in your browser:\n"
        f"  the day's result, to verify:  {base}/results/{day}\n"
        f"  your ballot and its proof:    {base}/my/ballots/{ballot_id} (after logging in)\n"
        f"  check your ballot:            {base}/results/{day}?ballot={ballot_id}\n\n"
        f"The same data as JSON, for developers: {base}/draws/{day}\n"
    )
