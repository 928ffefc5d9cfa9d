"""Telling the winner: the email, sent at most once (draws.notification_tasks runs it).

The draw service queues it once the draw has committed, so a rolled-back draw emails nobody;
the sweep queues it again when that failed (draws.services.winner_notifications_requeue).
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import sanitize_address
from django.db.models import F
from django.utils import timezone

from common.metrics import NOTIFICATIONS
from draws.models import Draw, WinnerNotification

logger = logging.getLogger(__name__)


class WinnerNotificationFailed(Exception):
    """The mail server refused or failed the message, so it was not sent; retry later."""


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
