import time
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.core.cache import cache
from django.db.models import Case, Count, F, Q, QuerySet, Value, When

from ballots.calendar import lottery_today, open_dates
from ballots.models import Ballot, BallotStatus, Lottery
from common.errors import NotFound


def ballot_list(
    *, user_id: int, lottery_date: date | None = None, status: BallotStatus | None = None
) -> QuerySet[Ballot]:
    """The user's ballots, newest first, annotated with ``lottery_date``, ``lottery_rule``
    and ``status``."""
    filters = Q(user_id=user_id)
    if lottery_date is not None:
        filters &= Q(lottery__date=lottery_date)
    if status is not None:
        filters &= Q(status=status)
    return (
        _with_date_and_status(Ballot.objects.all()).filter(filters).order_by("-created_at", "-id")
    )


def ballot_get(*, user_id: int, ballot_id: UUID) -> Ballot:
    # Someone else's ballot is "not found": no hint that it exists.
    ballot = _with_date_and_status(Ballot.objects.filter(user_id=user_id, pk=ballot_id)).first()
    if ballot is None:
        raise NotFound("Ballot not found.")
    return ballot


def lottery_open_list() -> list[Lottery]:
    """The open lottery days that have a row, today first (see services.lottery_open_window)."""
    return list(Lottery.objects.filter(date__in=open_dates(lottery_today())).order_by("date"))


# The pages show "ballots so far" on every view of the home page: a count(*) over a busy day's
# rows per view would cost the database more than the page. Each day's count is kept in the
# cache (shared by the processes with Redis) and counted again at most this often.
BALLOT_COUNT_SECONDS = 5


@dataclass(frozen=True)
class BallotCounts:
    total: dict[date, int]  # every participant's, at most BALLOT_COUNT_SECONDS old
    own: dict[date, int]  # the user's own, exact (empty without a user)


def lottery_ballot_counts(*, lottery_dates: list[date], user_id: int | None = None) -> BallotCounts:
    """The ballots of each of these days so far, and of them the user's own.

    The totals come from the cache; the days missing there are counted in one grouped query
    and kept BALLOT_COUNT_SECONDS. A total is never below the user's own count (the user's
    ballots of the last few seconds may be newer than the cached total).
    """
    keys = {f"ballot-count:{day.isoformat()}": day for day in lottery_dates}
    # Each total is kept with the time it was counted, and its age judged by this process's
    # clock: a shared cache's own expiry (Redis) runs on another clock.
    now = time.time()
    kept: dict[str, tuple[int, float]] = cache.get_many(list(keys))
    cached = {
        key: value[0]
        for key, value in kept.items()
        if isinstance(value, tuple | list) and 0 <= now - value[1] < BALLOT_COUNT_SECONDS
    }
    missing = [day for key, day in keys.items() if key not in cached]
    if missing:
        counted = dict(
            Ballot.objects.filter(lottery__date__in=missing)
            .values("lottery__date")
            .annotate(n=Count("id"))
            .values_list("lottery__date", "n")
        )
        fresh = {key: counted.get(day, 0) for key, day in keys.items() if day in missing}
        cache.set_many(
            {key: (count, now) for key, count in fresh.items()}, timeout=BALLOT_COUNT_SECONDS
        )
        cached.update(fresh)
    own: dict[date, int] = {}
    if user_id is not None:
        own = dict(
            Ballot.objects.filter(user_id=user_id, lottery__date__in=lottery_dates)
            .order_by()
            .values("lottery__date")
            .annotate(n=Count("id"))
            .values_list("lottery__date", "n")
        )
    total = {day: max(cached[key], own.get(day, 0)) for key, day in keys.items()}
    return BallotCounts(total=total, own={day: own.get(day, 0) for day in lottery_dates})


def _with_date_and_status(ballots: QuerySet[Ballot]) -> QuerySet[Ballot]:
    # The result lives in draws.Draw; reading it through the reverse one-to-one keeps the
    # import direction draws -> ballots.
    drawn = Q(lottery__state=Lottery.State.DRAWN)
    return ballots.annotate(
        lottery_date=F("lottery__date"),
        lottery_rule=F("lottery__rule"),
        status=Case(
            When(drawn & Q(lottery__draw__winning_ballot_id=F("id")), then=Value(BallotStatus.WON)),
            When(drawn, then=Value(BallotStatus.LOST)),
            default=Value(BallotStatus.PENDING),
        ),
    )


def ballot_owner_deleted(*, ballot_id: UUID) -> bool:
    """True for a ballot whose account was deleted: it stays in its draw, with no owner."""
    return Ballot.objects.filter(pk=ballot_id, user__isnull=True).exists()
