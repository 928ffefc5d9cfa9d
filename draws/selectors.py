import secrets
from datetime import date
from uuid import UUID

from django.db.models import QuerySet

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
