from datetime import date
from uuid import UUID

from django.db.models import Case, F, Q, QuerySet, Value, When

from ballots.calendar import lottery_today, open_dates
from ballots.models import Ballot, BallotStatus, Lottery
from lottery_app.errors import NotFound


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
