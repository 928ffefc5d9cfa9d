from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from ballots import queries
from ballots.calendar import closes_at
from ballots.models import Ballot, Lottery
from common.errors import NotFound
from draws import merkle, vdf
from draws.models import Draw, WinnerNotification

_CHUNK_ENTRY = 16 + 32  # one chunk's first ballot id and root, in Draw.chunks


def draw_list() -> QuerySet[Draw]:
    """Results of past lotteries, newest first (without the chunk table, which only proofs use)."""
    return (
        Draw.objects.select_related("lottery", "previous__lottery")
        .defer("chunks", "previous__chunks", "previous__vdf_proof")
        .order_by("-lottery__date")
    )


def draw_get(*, lottery_date: date) -> Draw:
    draw = draw_list().filter(lottery__date=lottery_date).first()
    if draw is None:
        raise _not_drawn(lottery_date)
    return draw


# The results change only when a draw is added at a close or finished (nothing else updates
# a Draw): the row count, the newest id and the count of finished rows.
type DrawListVersion = tuple[int, int | None, int]


def draw_list_version() -> DrawListVersion:
    """The version of the results: a new one whenever draw_list's answer may have changed.

    One small query, so that whatever is built from the results of one version can be kept
    until the next close or draw.
    """
    table = Draw._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), max(id), count(drawn_at) FROM {table}")  # noqa: S608 - model metadata
        count, newest, drawn = cursor.fetchone()
    return count, newest, drawn


@dataclass(frozen=True)
class BallotSet:
    """A closed day's ballots, digested: their count, Merkle root and chunk table."""

    ballot_count: int
    merkle_root: bytes
    chunks: bytes


def ballot_set_digest(*, lottery: Lottery) -> BallotSet:
    """Digest the day's ballots into their count, Merkle root and chunk table, at the close.

    One pass over the (lottery, id) index in id order, streamed from a server-side cursor,
    so memory holds one fetch and one entry per 1,024 ballots, never the day. The caller
    holds the lottery's lock.
    """
    count, chunks = merkle.chunk_roots(queries.ballot_ids_in_order(lottery.pk))
    if count == 0:
        return BallotSet(0, merkle.EMPTY_ROOT, b"")
    root = merkle.root_of([chunk_root for _, chunk_root in chunks])
    return BallotSet(count, root, b"".join(first + root for first, root in chunks))


def ballot_at(*, draw: Draw, index: int) -> UUID:
    """The id of the ballot at ``index`` in the day's canonical order: one index range scan.

    No ORDER BY random(): the index comes from the draw rule, and the chunk table stored at
    the close says where its chunk starts.
    """
    first = _chunk_entries(bytes(draw.chunks))[index // merkle.CHUNK_SIZE][:16]
    ids = _ids_from(draw.lottery_id, first=first, limit=index % merkle.CHUNK_SIZE + 1)
    return UUID(bytes=ids[-1])


@dataclass(frozen=True)
class Proof:
    ballot_id: UUID
    lottery_date: date
    ballot_count: int
    leaf_index: int
    path: list[str]
    merkle_root: str


def ballot_proof(*, lottery_date: date, ballot_id: UUID) -> Proof:
    """The inclusion proof of one ballot in its day's drawn Merkle tree.

    Finds the ballot's chunk from the boundaries stored at the draw, reads that chunk's
    1,024 ids with one index range scan, and joins the path inside the chunk to the path
    over the chunk roots: a few milliseconds whatever the size of the day.
    """
    draw = Draw.objects.filter(lottery__date=lottery_date).first()
    if draw is None:
        raise _not_drawn(lottery_date)
    entries = _chunk_entries(bytes(draw.chunks))
    firsts = [entry[:16] for entry in entries]
    key = ballot_id.bytes
    chunk_no = bisect_right(firsts, key) - 1
    # Before the first chunk (or no chunks at all): not in the day.
    ids = (
        []
        if chunk_no < 0
        else _ids_from(draw.lottery_id, first=firsts[chunk_no], limit=merkle.CHUNK_SIZE)
    )
    position = bisect_left(ids, key)
    if position == len(ids) or ids[position] != key:
        raise NotFound(f"Ballot {ballot_id} is not among the ballots drawn on {lottery_date}.")
    roots = [entry[16:] for entry in entries]
    path = merkle.audit_path([merkle.leaf_hash(i) for i in ids], position)
    path += merkle.audit_path(roots, chunk_no)
    return Proof(
        ballot_id=ballot_id,
        lottery_date=lottery_date,
        ballot_count=draw.ballot_count,
        leaf_index=chunk_no * merkle.CHUNK_SIZE + position,
        path=[sibling.hex() for sibling in path],
        merkle_root=draw.merkle_root,
    )


def ballot_id_page(*, lottery_date: date, after: UUID | None, limit: int) -> list[UUID]:
    """A page of a closed day's ballot ids in canonical (Merkle leaf) order: ``limit`` ids
    after ``after``. NotFound until the day has closed, so a page answered never changes."""
    lottery_id = (
        Draw.objects.filter(lottery__date=lottery_date).values_list("lottery_id", flat=True).first()
    )
    if lottery_id is None:
        raise _not_drawn(lottery_date)
    ballots = Ballot.objects.filter(lottery_id=lottery_id)
    if after is not None:
        ballots = ballots.filter(id__gt=after)  # keyset: each page is one index range scan
    return list(ballots.order_by("id").values_list("id", flat=True)[:limit])


def lottery_dates_undrawn(*, today: date) -> list[date]:
    """The closed days (before ``today``) that were open and have no result, oldest first.

    A day counts if its row, and with it its seed commitment, existed before its midnight,
    or if it took a ballot (a submission that began before midnight may make the row just
    after it; every accepted ballot is drawn). A day nobody ever saw (before a fresh
    install's first start, or a gap of more than a week with the server down and nobody
    looking) had no public commitment and no ballots, so it gets no result rather than an
    empty draw. One query on the partial index of undrawn days, however many years are drawn.
    """
    return lottery_sweep_due(today=today, ahead=None)[0]


def lottery_sweep_due(*, today: date, ahead: date | None) -> tuple[list[date], bool]:
    """lottery_dates_undrawn, and whether the row of ``ahead`` (the last day the sweep makes
    ahead) is still missing: in the same one query, as an undrawn row is in the same index."""
    wanted = Q(date__lt=today) | Q(date=ahead) if ahead else Q(date__lt=today)
    rows = (
        Lottery.objects.filter(wanted)
        .exclude(state=Lottery.State.DRAWN)
        .annotate(took_ballots=_took_ballots())
        .order_by()  # the model's ordering would add a sort for nothing
        .values_list("date", "created_at", "took_ballots")
    )
    dates = {day for day, _, _ in rows}
    pending = sorted(
        day for day, created_at, took in rows if day < today and _was_open(day, created_at, took)
    )
    return pending, ahead is not None and ahead not in dates


def lottery_was_open(*, lottery_date: date) -> bool:
    """Whether ``lottery_date`` was open with its commitment public (see lottery_dates_undrawn)."""
    row = (
        Lottery.objects.filter(date=lottery_date)
        .annotate(took_ballots=_took_ballots())
        .values_list("created_at", "took_ballots")
        .first()
    )
    return row is not None and _was_open(lottery_date, *row)


def _took_ballots() -> Exists:
    return Exists(Ballot.objects.filter(lottery=OuterRef("pk")))


def _was_open(lottery_date: date, created_at: datetime, took_ballots: bool) -> bool:
    return took_ballots or created_at < closes_at(lottery_date)


def draw_ids_unnotified(*, since: datetime) -> list[int]:
    """Draws made since ``since`` whose winner has an email and no WinnerNotification yet.

    Their email was never queued (the broker was down at the commit), or its task has not
    run yet. One query: a range on the drawn_at index (a few rows, one draw a day), each
    probing the notification's unique draw index.
    """
    notified = WinnerNotification.objects.filter(draw=OuterRef("pk"))
    return list(
        Draw.objects.filter(drawn_at__gte=since, winning_ballot__isnull=False)
        .filter(~Exists(notified))
        .exclude(winning_ballot__user__email="")
        .order_by("drawn_at")
        .values_list("pk", flat=True)
    )


def lottery_dates_overdue(*, now: datetime, today: date) -> list[date]:
    """Closed days still undrawn LOTTERY_DRAW_GRACE_MINUTES after their midnight, plus the
    time their published delay may take to compute here (vdf.seconds_bound)."""
    grace = timedelta(minutes=settings.LOTTERY_DRAW_GRACE_MINUTES)
    undrawn = lottery_dates_undrawn(today=today)
    delays = dict(Lottery.objects.filter(date__in=undrawn).values_list("date", "vdf_delay_log2"))
    return [
        day
        for day in undrawn
        if closes_at(day) + grace + timedelta(seconds=vdf.seconds_bound(delays.get(day))) <= now
    ]


def _chunk_entries(table: bytes) -> list[bytes]:
    return [table[i : i + _CHUNK_ENTRY] for i in range(0, len(table), _CHUNK_ENTRY)]


def _not_drawn(lottery_date: date) -> NotFound:
    return NotFound(f"The lottery of {lottery_date} has not been drawn.")


def _ids_from(lottery_id: int, *, first: bytes, limit: int) -> list[bytes]:
    ids = (
        Ballot.objects.filter(lottery_id=lottery_id, id__gte=UUID(bytes=first))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return [ballot_id.bytes for ballot_id in ids]
