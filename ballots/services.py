import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from ballots import queries, selectors
from ballots.calendar import lottery_today, lottery_zone, open_dates
from ballots.errors import IdempotencyKeyReused, LotteryNotOpen
from ballots.models import Ballot, BallotIdempotencyKey, BallotStatus, Lottery
from ballots.policy import policies_log
from common.errors import InvalidInput, NotAuthenticated
from common.metrics import BALLOTS_ACCEPTED, BALLOTS_REFUSED
from common.ratelimit import rate_limit_charge
from common.schemas import ISO_DATE
from record.receipts import receipt_sign

USER_GONE = "The user of this token no longer exists."


def lottery_ensure(*, lottery_dates: Iterable[date]) -> None:
    """Create the lottery rows of ``lottery_dates`` that do not exist yet, each with its policy
    entry in the public record."""
    dates = list(lottery_dates)
    # ignore_conflicts: two first submissions of a day (or a draw) may race to create it.
    with transaction.atomic():
        Lottery.objects.bulk_create(
            [Lottery(date=lottery_date) for lottery_date in dates], ignore_conflicts=True
        )
        policies_log(lottery_dates=dates)


def ballot_quota_charge(*, user_id: int, count: int = 1) -> None:
    """Count ``count`` ballots against the user's BALLOT_RATE_LIMIT_PER_MINUTE (RateLimited
    past it).

    One round trip to the shared cache, so the limit holds across web processes.
    """
    rate_limit_charge(
        scope="ballots",
        key=str(user_id),
        limit=settings.BALLOT_RATE_LIMIT_PER_MINUTE,
        count=count,
    )


def lottery_open_window() -> list[Lottery]:
    """The open lottery days, today first, creating the rows of any not created yet.

    A day's row, and with it its seed commitment, must exist before the day's first ballot,
    so the window is created on first sight (and ahead at every draw run), never lazily by
    the first submission. One read when the rows exist, as they usually do.
    """
    lotteries = selectors.lottery_open_list()
    if len(lotteries) < settings.LOTTERY_OPEN_DAYS:
        lottery_ensure(lottery_dates=open_dates())
        lotteries = selectors.lottery_open_list()
    return lotteries


def ballot_submit(
    *, user_id: int, lottery_date: date | str | None = None, idempotency_key: str | None = None
) -> Ballot:
    """Submit a ballot; with ``idempotency_key``, a repeat returns the first one's ballot.

    ``lottery_date`` is a day, the participant's own ``YYYY-MM-DD`` text (read here, so that
    text that is no date is refused and counted like a day that is not open), or None for
    today. ``idempotency_key`` comes checked by the caller (1 to 255 characters). The ballot
    carries its signed ``receipt`` (a repeat, the first one's receipt again).
    """
    day = _day_read(lottery_date, count=1)
    if idempotency_key is None:
        return _ballot_create(user_id=user_id, lottery_date=day)
    named = "" if day is None else day.isoformat()
    repeated = _ballot_for_key(user_id=user_id, key=idempotency_key, named=named)
    if repeated is not None:
        return repeated
    try:
        with transaction.atomic():
            ballot = _ballot_create(user_id=user_id, lottery_date=day)
            BallotIdempotencyKey.objects.create(
                user_id=user_id, key=idempotency_key, request=named, ballot_id=ballot.id
            )
    except IntegrityError:
        # The same key arrived twice at once: on PostgreSQL our insert waited for the other
        # submission to commit, then hit the unique constraint. Ours is rolled back; theirs wins.
        repeated = _ballot_for_key(user_id=user_id, key=idempotency_key, named=named)
        if repeated is not None:
            return repeated
        # Or the foreign keys, which both databases check at the commit (deferred): the
        # user of this still-valid token was deleted.
        if not User.objects.filter(pk=user_id).exists():
            raise NotAuthenticated(USER_GONE) from None
        raise
    return ballot


def _ballot_for_key(*, user_id: int, key: str, named: str) -> Ballot | None:
    """The ballot the user's ``key`` made, if any; ``named`` is the day asked for ("": today)."""
    found = (
        BallotIdempotencyKey.objects.filter(user_id=user_id, key=key)
        .values_list("request", "ballot_id")
        .first()
    )
    if found is None:
        return None
    first_named, ballot_id = found
    if first_named != named:
        raise IdempotencyKeyReused(
            f"This key was already used for a ballot of another day ({first_named or 'today'}); "
            "use a new key for a new ballot.",
            first_date=date.fromisoformat(first_named) if first_named else None,
        )
    ballot = selectors.ballot_get(user_id=user_id, ballot_id=ballot_id)
    ballot.receipt = _receipt_of(ballot)  # type: ignore[attr-defined]
    return ballot


def _ballot_create(*, user_id: int, lottery_date: date | None) -> Ballot:
    lottery_date, created_at, (ballot_id,) = _ballots_insert(
        user_id=user_id, lottery_date=lottery_date, count=1
    )
    ballot = Ballot(id=ballot_id, user_id=user_id, created_at=created_at)
    # What the ballot selectors annotate, so the API answers without reading the row back.
    ballot.lottery_date = lottery_date  # type: ignore[attr-defined]
    ballot.status = BallotStatus.PENDING  # type: ignore[attr-defined]
    ballot.receipt = receipt_sign(  # type: ignore[attr-defined]
        lottery_date=lottery_date, accepted_at=created_at, ballot_ids=[ballot_id]
    )
    return ballot


@dataclass(frozen=True, kw_only=True)
class BallotBatch:
    date: date
    count: int
    ids: list[uuid.UUID]
    receipt: str


def ballot_submit_batch(
    *, user_id: int, count: int, lottery_date: date | str | None = None
) -> BallotBatch:
    """Submit ``count`` ballots for one day at once: all of them or none.

    ``lottery_date`` as for ballot_submit. A batch has no idempotency key: a repeated batch
    is stored twice.
    """
    if not 1 <= count <= settings.LOTTERY_MAX_BATCH:
        raise InvalidInput(
            f"count must be between 1 and {settings.LOTTERY_MAX_BATCH}.", field="count"
        )
    day = _day_read(lottery_date, count=count)
    lottery_date, created_at, ids = _ballots_insert(user_id=user_id, lottery_date=day, count=count)
    receipt = receipt_sign(lottery_date=lottery_date, accepted_at=created_at, ballot_ids=ids)
    return BallotBatch(date=lottery_date, count=len(ids), ids=ids, receipt=receipt)


def ballot_receipt(*, user_id: int, ballot_id: uuid.UUID) -> str:
    """The signed receipt of one of the user's ballots: its submission's, so a batched
    ballot's is its batch's (NotFound for a ballot that is not the user's)."""
    return _receipt_of(selectors.ballot_get(user_id=user_id, ballot_id=ballot_id))


def _receipt_of(ballot: Ballot) -> str:
    # A submission's ballots share their user, day and instant (one statement, one timestamp).
    batch = Ballot.objects.filter(
        user=ballot.user_id, lottery_id=ballot.lottery_id, created_at=ballot.created_at
    ).values_list("id", flat=True)
    return receipt_sign(
        lottery_date=ballot.lottery_date,  # type: ignore[attr-defined]
        accepted_at=ballot.created_at,
        ballot_ids=list(batch),
    )


def _iso_date(value: str) -> date | None:
    """``value`` as a date if it is one, written ``YYYY-MM-DD``; else None."""
    try:
        return date.fromisoformat(value) if ISO_DATE.fullmatch(value) else None
    except ValueError:  # 2026-02-30
        return None


def _day_read(value: date | str | None, *, count: int) -> date | None:
    """The day a submission of ``count`` ballots names; text that is no date is refused."""
    if not isinstance(value, str):
        return value
    day = _iso_date(value)
    if day is None:
        _refuse(count=count, reason=f"{value!r} is not a date (YYYY-MM-DD).")
    return day


def _refuse(*, count: int, reason: str) -> NoReturn:
    """Count ``count`` refused ballots and refuse them, naming the days that are open."""
    BALLOTS_REFUSED.inc(count)
    raise LotteryNotOpen(f"{reason} {_open_window_text()}", field="date")


def _ballots_insert(
    *, user_id: int, lottery_date: date | None, count: int
) -> tuple[date, datetime, list[uuid.UUID]]:
    """Insert ``count`` ballots if their day is open; return the day, their time and ids.

    The one path of every submission, single or batch: the per-user ballot limit charges
    ``count`` here, before the insert.
    """
    today = lottery_today()
    lottery_date = lottery_date or today
    if lottery_date not in open_dates(today):
        _refuse(count=count, reason=f"The lottery of {lottery_date} is not open.")
    ballot_quota_charge(user_id=user_id, count=count)

    created_at = timezone.now()
    try:
        ids = queries.ballots_insert_if_open(user_id, lottery_date, count, created_at)
        if not ids:
            # The usual reason is that nobody has looked at this window yet: create its days.
            lottery_ensure(lottery_dates=open_dates(today))
            ids = queries.ballots_insert_if_open(user_id, lottery_date, count, created_at)
    except IntegrityError as exc:
        # The access token is not checked against the users table (accounts.auth): a token
        # that outlived its user's deletion ends here, at the foreign key.
        raise NotAuthenticated(USER_GONE) from exc
    if not ids:
        _refuse(count=count, reason=f"The lottery of {lottery_date} is closed.")
    BALLOTS_ACCEPTED.inc(len(ids))
    return lottery_date, created_at, ids


def _open_window_text() -> str:
    # Not just the calendar's window: a draw on a host whose clock runs ahead may already
    # have closed "today". Only on the refusal path, so the query costs the happy path nothing.
    dates = open_dates()
    closed = set(
        Lottery.objects.filter(date__in=dates)
        .exclude(state=Lottery.State.OPEN)
        .values_list("date", flat=True)
    )
    dates = [day for day in dates if day not in closed]
    if not dates:
        return "No lottery day accepts ballots now."
    return f"Ballots are accepted for {dates[0]} to {dates[-1]} ({lottery_zone().key})."
