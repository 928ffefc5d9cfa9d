import logging
from datetime import date, timedelta
from time import perf_counter

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ballots.calendar import lottery_today
from ballots.models import Lottery
from ballots.services import lottery_ensure
from draws.errors import LotteryStillOpen
from draws.models import Draw
from draws.notifications import draw_committed
from draws.selectors import ballot_pick

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
    with transaction.atomic():
        # FOR UPDATE waits for every in-flight submission (they hold the row FOR SHARE) and
        # keeps new ones out until we commit, when they find the day no longer open.
        lottery = Lottery.objects.select_for_update().get(date=lottery_date)
        if lottery.state == Lottery.State.DRAWN:
            return Draw.objects.select_related("lottery").get(lottery=lottery)
        ballot_count, winning_ballot_id = ballot_pick(lottery=lottery)
        draw = Draw.objects.create(
            lottery=lottery,
            winning_ballot_id=winning_ballot_id,
            ballot_count=ballot_count,
            drawn_at=timezone.now(),
        )
        lottery.state = Lottery.State.DRAWN
        lottery.save(update_fields=["state"])
        draw_committed(draw=draw, started=started)  # metrics and the winner's email, on commit
    if winning_ballot_id is None:
        logger.info("Drew the lottery of %s: no ballots, no winner", lottery_date)
    else:
        logger.info(
            "Drew the lottery of %s: %d ballots, winning ballot %s",
            lottery_date,
            ballot_count,
            winning_ballot_id,
        )
    return draw


def lottery_draw_closed() -> list[Draw]:
    """Draw every closed, undrawn day, oldest first: a scheduler that was down catches up."""
    today = lottery_today()
    # Every day since the last drawn one gets a result, even one nobody submitted for.
    lottery_ensure(lottery_dates=_days_since_last_draw(today))
    # Close every past day at once; a submission racing this waits on the row and then
    # finds it closed.
    Lottery.objects.filter(date__lt=today, state=Lottery.State.OPEN).update(
        state=Lottery.State.CLOSED
    )
    pending = (
        Lottery.objects.filter(date__lt=today)
        .exclude(state=Lottery.State.DRAWN)
        .order_by("date")
        .values_list("date", flat=True)
    )
    return [lottery_draw(lottery_date=lottery_date) for lottery_date in pending]


def _days_since_last_draw(today: date) -> list[date]:
    """The past days after the last drawn one (only yesterday on a new installation)."""
    yesterday = today - timedelta(days=1)
    last_drawn = Lottery.objects.filter(state=Lottery.State.DRAWN).aggregate(Max("date"))
    first = last_drawn["date__max"] + timedelta(days=1) if last_drawn["date__max"] else yesterday
    return [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]
