from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from ballots.calendar import closes_at, lottery_today
from common.http_cache import IMMUTABLE, list_cache_control
from common.pagination import LimitOffsetPagination
from common.ratelimit import rate_limited
from common.schemas import IsoDate, errors
from draws import selectors
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
    body = selectors.draw_page_rendered(limit=page.limit, offset=page.offset)
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = list_cache_control(closes_at(lottery_today()))
    return response


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
    rendered = selectors.draw_rendered(lottery_date=lottery_date)
    response = HttpResponse(rendered.body, content_type="application/json")
    response["ETag"] = rendered.etag
    response["Cache-Control"] = IMMUTABLE if rendered.final else "no-cache"
    return response


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
    body, etag = selectors.ballot_id_page_rendered(
        lottery_date=lottery_date, after=filters.after, limit=filters.limit
    )
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    return response


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
