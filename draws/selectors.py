import secrets
from datetime import date, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import Max, Q, QuerySet

from ballots.calendar import closes_at
from ballots.models import Ballot, Lottery
from draws.models import Draw
from lottery_app.errors import NotFound


def draw_list() -> QuerySet[Draw]:
    """Results of past lotteries, newest first."""
    return Draw.objects.select_related("lottery").order_by("-lottery__date")


def draw_get(*, lottery_date: date) -> Draw:
    draw = draw_list().filter(lottery__date=lottery_date).first()
    if draw is None:
        raise NotFound(f"The lottery of {lottery_date} has not been drawn.")
    return draw


def ballot_pick(*, lottery: Lottery) -> tuple[int, UUID | None]:
    """Count the day's ballots and pick one uniformly with the OS CSPRNG.

    Two index scans on (lottery, id) and nothing loaded into Python, so memory does not grow
    with the number of ballots; no ORDER BY random(). The caller holds the lottery's lock.
    """
    ballots = Ballot.objects.filter(lottery=lottery)
    count = ballots.count()
    if count == 0:
        return 0, None
    index = secrets.randbelow(count)
    return count, ballots.order_by("id").values_list("id", flat=True)[index]


def lottery_dates_undrawn(*, today: date) -> list[date]:
    """The closed days (before ``today``) without a result, oldest first.

    Nothing pending (the usual case, every sweep) costs one query on two indexes: the
    undrawn past rows (a partial index holds only undrawn days) and yesterday's row, which
    must be drawn. Only when something is pending does a second query find the days after
    the last drawn one, which may have no row at all (nobody submitted) but need a result.
    """
    yesterday = today - timedelta(days=1)
    rows = dict(
        Lottery.objects.filter(
            Q(date__lt=today) & ~Q(state=Lottery.State.DRAWN) | Q(date=yesterday)
        )
        .order_by()  # the model's ordering would add a sort for nothing
        .values_list("date", "state")
    )
    undrawn = {day for day, state in rows.items() if state != Lottery.State.DRAWN}
    if rows.get(yesterday) != Lottery.State.DRAWN:
        last_drawn = Lottery.objects.filter(state=Lottery.State.DRAWN).aggregate(Max("date"))
        first = (
            last_drawn["date__max"] + timedelta(days=1) if last_drawn["date__max"] else yesterday
        )
        undrawn.update(first + timedelta(days=n) for n in range((yesterday - first).days + 1))
    return sorted(undrawn)


def lottery_dates_overdue(*, now: datetime, today: date) -> list[date]:
    """Closed days still undrawn LOTTERY_DRAW_GRACE_MINUTES after their midnight."""
    grace = timedelta(minutes=settings.LOTTERY_DRAW_GRACE_MINUTES)
    return [day for day in lottery_dates_undrawn(today=today) if closes_at(day) + grace <= now]
