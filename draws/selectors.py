import functools
import secrets
from datetime import date
from uuid import UUID

from django.db.models import QuerySet

from ballots.models import Ballot, Lottery
from draws.models import Draw
from draws.schemas import DrawOut
from lottery_app.errors import NotFound
from lottery_app.http_cache import etag_of
from lottery_app.renderers import json_bytes


def draw_list() -> QuerySet[Draw]:
    """Results of past lotteries, newest first."""
    return Draw.objects.select_related("lottery").order_by("-lottery__date")


def draw_get(*, lottery_date: date) -> Draw:
    draw = draw_list().filter(lottery__date=lottery_date).first()
    if draw is None:
        raise NotFound(f"The lottery of {lottery_date} has not been drawn.")
    return draw


@functools.lru_cache(maxsize=4096)  # ~40 years of days; one entry is a few hundred bytes
def draw_rendered(*, lottery_date: date) -> tuple[bytes, str]:
    """The JSON of a drawn day's result and its ETag, read from the database once.

    A result never changes once its draw has committed (there is nothing that updates a
    Draw), so every process keeps the rendered bytes: later reads cost no query, and
    whatever fields DrawOut gains are cached with it. A day not drawn yet raises NotFound,
    which lru_cache does not remember.
    """
    body = json_bytes(DrawOut.from_orm(draw_get(lottery_date=lottery_date)).model_dump())
    return body, etag_of(body)


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
