from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from draws import selectors
from draws.schemas import BallotIdFilters, BallotIdPage, DrawOut, DrawPage, ProofOut
from lottery_app.http_cache import IMMUTABLE, list_cache_control
from lottery_app.pagination import LimitOffsetPagination
from lottery_app.ratelimit import rate_limited
from lottery_app.schemas import IsoDate, errors

router = Router(tags=["draws"])


@router.get("", response={200: DrawPage, **errors(400, 422, 503)})
def draw_list(request: HttpRequest, page: Query[LimitOffsetPagination.Input]) -> HttpResponse:
    """Results of past lotteries, newest first."""
    body = selectors.draw_page_rendered(limit=page.limit, offset=page.offset)
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = list_cache_control()
    return response


@router.get("/{lottery_date}", response={200: DrawOut, **errors(404, 422, 503)})
def draw_detail(request: HttpRequest, lottery_date: IsoDate) -> HttpResponse:
    """A drawn day's result never changes: cacheable for good, rendered once per process."""
    body, etag = selectors.draw_rendered(lottery_date=lottery_date)
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    return response


# The two public reads that cost real CPU (a page of up to 10,000 ids, a proof) are limited
# per client address: 9.5 uncached pages a second from one anonymous client saturated the
# server before pages were cached, and an arbitrary ?after= still misses the cache.
PUBLIC_READ_SCOPE = "public-read"
PUBLIC_READ_LIMIT = "PUBLIC_READ_RATE_LIMIT_PER_MINUTE"


@router.get(
    "/{lottery_date}/ballots",
    response={200: BallotIdPage, **errors(400, 404, 422, 429, 503)},
)
@rate_limited(PUBLIC_READ_SCOPE, limit_setting=PUBLIC_READ_LIMIT)
def draw_ballot_ids(
    request: HttpRequest, lottery_date: IsoDate, filters: Query[BallotIdFilters]
) -> HttpResponse:
    """A drawn day's ballot ids in canonical order, for auditors who recompute the root."""
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
)
@rate_limited(PUBLIC_READ_SCOPE, limit_setting=PUBLIC_READ_LIMIT)
def draw_ballot_proof(request: HttpRequest, lottery_date: IsoDate, ballot_id: UUID) -> object:
    """The Merkle inclusion proof that this ballot was in the day's draw."""
    return selectors.ballot_proof(lottery_date=lottery_date, ballot_id=ballot_id)
