from datetime import date
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from ballots.calendar import closes_at, lottery_today
from common.http_cache import IMMUTABLE, Rendered, list_cache_control, render, rendered_once
from common.pagination import LimitOffsetPagination
from common.ratelimit import rate_limited
from common.schemas import IsoDate, errors
from draws import selectors
from draws.models import Draw
from draws.schemas import BallotIdFilters, BallotIdPage, DrawOut, DrawPage, ProofOut

router = Router(tags=["draws"])


@router.get(
    "", response={200: DrawPage, **errors(400, 422, 503)}, summary="Results of past lotteries"
)
def draw_list(request: HttpRequest, page: Query[LimitOffsetPagination.Input]) -> HttpResponse:
    """Results of past lotteries, newest first, paginated (`limit` up to 100). No sign-in needed;
    cacheable for up to 60 s and never past midnight, so a new draw shows at once after.

    Errors: 422 for a `limit` or `offset` out of range; 400 for more than 1,000 query
    parameters; 503 (with `Retry-After`) while the database is unavailable.
    """
    version = selectors.draw_list_version()
    rendered = _draw_page(version, page.limit, page.offset)
    return rendered.response(list_cache_control(closes_at(lottery_today())))


# Pages of the current version are what is asked; a few old ones are kept until pushed out.
# One entry is at most NINJA_PAGINATION_MAX_LIMIT results (~70 KB).
@rendered_once(maxsize=64)
def _draw_page(version: selectors.DrawListVersion, limit: int, offset: int) -> Rendered:
    """One page of the results, rendered once per version of the table (see
    draw_list_version): one small query instead of the two compiled ORM queries, the row
    objects and the validation of every item, each time."""
    # A draw that commits between the version read and these queries is in the page
    # already; the page is only served for the older version, so it is never stale.
    draws = selectors.draw_list()
    items = [DrawOut.from_orm(draw).model_dump() for draw in draws[offset : offset + limit]]
    return render({"items": items, "count": draws.count()}, final=True)  # a DrawPage


@router.get(
    "/{lottery_date}", response={200: DrawOut, **errors(404, 422, 503)}, summary="One day's result"
)
def draw_detail(request: HttpRequest, lottery_date: IsoDate) -> HttpResponse:
    """One closed day's draw: the winning ballot (null for a day without ballots), the ballot
    count, and every value needed to check the draw (docs/draw-rules.md,
    `scripts/verify_draw.py`). No sign-in needed. From the close its count and Merkle root
    are published with `state: "drawing"` (not cached) while the delay function runs; once
    `drawn` it never changes: cacheable for good (`immutable`, with an `ETag`).

    Errors: 404 for a day that has not closed (still open, or never open); 422 for a date
    that is not `YYYY-MM-DD`; 503 (with `Retry-After`) while the database is unavailable.
    """
    rendered = _draw_result(lottery_date)
    return rendered.response(IMMUTABLE if rendered.final else "no-cache")


@rendered_once(maxsize=4096)  # ~40 years of days; one entry is a few hundred bytes
def _draw_result(lottery_date: date) -> Rendered:
    """A day's result; once drawn it never changes (nothing updates a drawn Draw), so each
    process reads it from the database once, whatever fields DrawOut gains. A day still
    drawing is rendered each time."""
    draw = selectors.draw_get(lottery_date=lottery_date)
    return render(DrawOut.from_orm(draw).model_dump(), final=draw.state == Draw.State.DRAWN)


# The two public reads that cost real CPU (a page of up to 10,000 ids, a proof) are limited
# per client address: 9.5 uncached pages a second from one anonymous client saturated the
# server before pages were cached, and an arbitrary ?after= still misses the cache.
PUBLIC_READ_SCOPE = "public-read"
PUBLIC_READ_LIMIT = "PUBLIC_READ_RATE_LIMIT_PER_MINUTE"


@router.get(
    "/{lottery_date}/ballots",
    response={200: BallotIdPage, **errors(400, 404, 422, 429, 503)},
    summary="A closed day's ballot ids",
)
@rate_limited(PUBLIC_READ_SCOPE, limit_setting=PUBLIC_READ_LIMIT)
def draw_ballot_ids(
    request: HttpRequest, lottery_date: IsoDate, filters: Query[BallotIdFilters]
) -> HttpResponse:
    """A closed day's ballot ids in canonical order, for auditors who recompute the Merkle root:
    pages of `limit` ids (up to 10,000); pass `next_after` as `after` for the next page (null on
    the last). Published from the close; a page never changes, so it is rendered once and
    served `immutable` with an `ETag`. No sign-in needed.

    Errors: 404 for a day that has not closed; 422 for a bad date, id or `limit`; 429 past
    `PUBLIC_READ_RATE_LIMIT_PER_MINUTE` pages and proofs a minute from one address; 400 for
    more than 1,000 query parameters; 503 (with `Retry-After`) while the database is
    unavailable.
    """
    return _ballot_id_page(lottery_date, filters.after, filters.limit).response(IMMUTABLE)


# A page of 10,000 ids is ~390 KB of JSON: at most ~25 MB per process. An auditor walks a
# day's pages in order; pages asked with an arbitrary ``after`` miss the cache, which is why
# these reads also have a per-address limit (PUBLIC_READ_RATE_LIMIT_PER_MINUTE).
BALLOT_PAGES_CACHED = 64


@rendered_once(maxsize=BALLOT_PAGES_CACHED)
def _ballot_id_page(lottery_date: date, after: UUID | None, limit: int) -> Rendered:
    """A page of a closed day's ballot ids: the selector answers only once the day's ballot
    set is fixed (NotFound before), so a page it answers never changes, and rendering a full
    one is dear (docs/scaling.md, "Costs the code relies on")."""
    ids = selectors.ballot_id_page(lottery_date=lottery_date, after=after, limit=limit)
    page = {"items": ids, "next_after": ids[-1] if len(ids) == limit else None}
    return render(page, final=True)  # a BallotIdPage


@router.get(
    "/{lottery_date}/ballots/{ballot_id}/proof",
    response={200: ProofOut, **errors(404, 422, 429, 503)},
    summary="Proof that a ballot was in the draw",
)
@rate_limited(PUBLIC_READ_SCOPE, limit_setting=PUBLIC_READ_LIMIT)
def draw_ballot_proof(request: HttpRequest, lottery_date: IsoDate, ballot_id: UUID) -> object:
    """The Merkle inclusion proof that this ballot was among the day's drawn ballots (a few KB even
    for a million ballots); `scripts/verify_draw.py --ballot` checks it. No sign-in needed.

    Errors: 404 for a day that has not closed or a ballot that was not in its draw; 422 for
    a bad date or id; 429 past `PUBLIC_READ_RATE_LIMIT_PER_MINUTE`; 503 (with `Retry-After`)
    while the database is unavailable.
    """
    return selectors.ballot_proof(lottery_date=lottery_date, ballot_id=ballot_id)
