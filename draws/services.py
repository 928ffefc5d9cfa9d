import logging
from datetime import date
from time import perf_counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ballots.calendar import lottery_today, open_dates
from ballots.models import Lottery
from ballots.services import lottery_ensure
from draws.beacon import BeaconValue, beacon_fetch
from draws.errors import LotteryStillOpen
from draws.models import Draw
from draws.notifications import draw_committed, winner_notifications_requeue
from draws.selectors import ballot_pick, lottery_dates_undrawn

logger = logging.getLogger(__name__)


def lottery_draw(*, lottery_date: date) -> Draw:
    """Draw the winning ballot of a closed lottery day, or return its existing result.

    Safe to run twice at once (two beats, a retry, a redelivered task): the second caller
    waits on the lottery's row lock, then finds the day drawn and returns the same Draw.
    """
    if lottery_date >= lottery_today():
        raise LotteryStillOpen(
            f"The lottery of {lottery_date} is still open; it can be drawn after its midnight."
        )
    started = perf_counter()
    lottery_ensure(lottery_dates=[lottery_date])
    beacon = _beacon_for(lottery_date)
    with transaction.atomic():
        # FOR UPDATE waits for every in-flight submission (they hold the row FOR SHARE) and
        # keeps new ones out until we commit, when they find the day no longer open.
        lottery = Lottery.objects.select_for_update().get(date=lottery_date)
        if lottery.state == Lottery.State.DRAWN:
            return Draw.objects.select_related("lottery").get(lottery=lottery)
        pick = ballot_pick(lottery=lottery, beacon=beacon.randomness if beacon else "")
        draw = Draw.objects.create(
            lottery=lottery,
            winning_ballot_id=pick.winning_ballot_id,
            ballot_count=pick.ballot_count,
            drawn_at=timezone.now(),
            merkle_root=pick.merkle_root.hex(),
            winning_index=pick.winning_index,
            chunks=pick.chunks,
            beacon_round=beacon.round if beacon else None,
            beacon_randomness=beacon.randomness if beacon else "",
        )
        lottery.state = Lottery.State.DRAWN
        lottery.save(update_fields=["state"])
        draw_committed(draw=draw, started=started)  # metrics and the winner's email, on commit
    if pick.winning_ballot_id is None:
        logger.info("Drew the lottery of %s: no ballots, no winner", lottery_date)
    else:
        logger.info(
            "Drew the lottery of %s: %d ballots, Merkle root %s, winning ballot %s (index %d)",
            lottery_date,
            pick.ballot_count,
            draw.merkle_root,
            pick.winning_ballot_id,
            pick.winning_index,
        )
    return draw


def lottery_draw_closed() -> list[Draw]:
    """Draw every closed, undrawn day, oldest first: a scheduler that was down catches up.

    First, queue again any recent winner's email that was never queued. The midnight run,
    every sweep and every worker start call this; with nothing pending it costs two indexed
    queries (draw_ids_unnotified, lottery_dates_undrawn).
    """
    # Before drawing: a draw made by this run has its email queued on commit already.
    winner_notifications_requeue()
    today = lottery_today()
    pending = lottery_dates_undrawn(today=today)
    if not pending:
        return []
    # Every pending day gets a result, even one nobody submitted for. The open window's days
    # are created ahead, so their seed commitments are public before their first ballot:
    # each day's first run draws yesterday, so this runs at least once a day.
    lottery_ensure(lottery_dates=[*pending, *open_dates(today)])
    # Close every past day at once; a submission racing this waits on the row and then
    # finds it closed.
    Lottery.objects.filter(date__lt=today, state=Lottery.State.OPEN).update(
        state=Lottery.State.CLOSED
    )
    return [lottery_draw(lottery_date=lottery_date) for lottery_date in pending]


def _beacon_for(lottery_date: date) -> BeaconValue | None:
    """The day's public randomness, asked before the lock: no HTTP call while submitters wait."""
    if not settings.LOTTERY_BEACON_URL:
        return None
    if Lottery.objects.filter(date=lottery_date, state=Lottery.State.DRAWN).exists():
        return None  # drawn already: lottery_draw returns the existing result
    return beacon_fetch(lottery_date=lottery_date)
