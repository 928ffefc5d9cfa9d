import uuid
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import IntegrityError, connection
from django.utils import timezone

from ballots.calendar import lottery_today, lottery_zone, open_dates
from ballots.errors import LotteryNotOpen
from ballots.models import Ballot, BallotStatus, Lottery
from lottery_app.errors import Unauthorized
from lottery_app.ratelimit import rate_limit_charge
from lottery_app.schemas import ISO_DATE


def lottery_date_parse(value: str) -> date:
    """Read a ``YYYY-MM-DD`` lottery date, refusing anything else with the open window."""
    try:
        if ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise LotteryNotOpen(f"{value!r} is not a date (YYYY-MM-DD). {_open_window_text()}")


def lottery_ensure(*, lottery_dates: Iterable[date]) -> None:
    """Create the lottery rows of ``lottery_dates`` that do not exist yet."""
    # ignore_conflicts: two first submissions of a day (or a draw) may race to create it.
    Lottery.objects.bulk_create(
        [Lottery(date=lottery_date) for lottery_date in lottery_dates], ignore_conflicts=True
    )


def ballot_quota_charge(*, user_id: int, count: int = 1) -> None:
    """Count ``count`` ballots against the user's BALLOT_RATE_LIMIT_PER_MINUTE (429 past it).

    One round trip to the shared cache, so the limit holds across web processes.
    """
    rate_limit_charge(
        scope="ballots",
        key=str(user_id),
        limit=settings.BALLOT_RATE_LIMIT_PER_MINUTE,
        count=count,
    )


def ballot_submit(*, user_id: int, lottery_date: date | None = None) -> Ballot:
    today = lottery_today()
    lottery_date = lottery_date or today
    if lottery_date not in open_dates(today):
        raise LotteryNotOpen(f"The lottery of {lottery_date} is not open. {_open_window_text()}")
    ballot_quota_charge(user_id=user_id)

    ballot = Ballot(id=uuid.uuid4(), user_id=user_id, created_at=timezone.now())
    try:
        inserted = _ballot_insert_if_open(ballot, lottery_date)
        if not inserted:
            # The usual reason is that nobody has submitted for this day yet.
            lottery_ensure(lottery_dates=[lottery_date])
            inserted = _ballot_insert_if_open(ballot, lottery_date)
    except IntegrityError as exc:
        # The access token is not checked against the users table (accounts.auth): a token
        # that outlived its user's deletion ends here, at the foreign key.
        raise Unauthorized("The user of this token no longer exists.") from exc
    if not inserted:
        raise LotteryNotOpen(f"The lottery of {lottery_date} is closed. {_open_window_text()}")
    # What the ballot selectors annotate, so the API answers without reading the row back.
    ballot.lottery_date = lottery_date  # type: ignore[attr-defined]
    ballot.status = BallotStatus.PENDING  # type: ignore[attr-defined]
    return ballot


def _ballot_insert_if_open(ballot: Ballot, lottery_date: date) -> bool:
    """Insert ``ballot`` only if its lottery is open, in one statement; True if it was.

    The race this closes: a draw closes day D while a submission for D is in flight. The
    draw takes ``SELECT ... FOR UPDATE`` on D's lottery row before it counts; this insert
    reads the row ``FOR SHARE``. If the draw holds the row, the insert waits, then re-reads
    the state (now closed) and inserts nothing; if the insert holds it, the draw waits for it
    to commit and counts the ballot. On SQLite the database-wide write lock serialises the
    two the same way.
    """
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    fields = {f.attname: f for f in Ballot._meta.concrete_fields}
    sql = (
        f"INSERT INTO {Ballot._meta.db_table} (id, user_id, lottery_id, created_at) "  # noqa: S608 - identifiers come from model metadata
        f"SELECT %s, %s, id, %s FROM {Lottery._meta.db_table} "
        f"WHERE date = %s AND state = %s{lock}"
    )
    params = [
        fields["id"].get_db_prep_value(ballot.id, connection),
        ballot.user_id,
        fields["created_at"].get_db_prep_value(ballot.created_at, connection),
        Lottery._meta.get_field("date").get_db_prep_value(lottery_date, connection),
        Lottery.State.OPEN,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


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
