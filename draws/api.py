from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from draws import selectors
from draws.schemas import BallotIdFilters, BallotIdPage, DrawOut, DrawPage, ProofOut
from lottery_app.http_cache import IMMUTABLE, list_cache_control
from lottery_app.pagination import LimitOffsetPagination
from lottery_app.schemas import IsoDate, errors

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
    response["Cache-Control"] = list_cache_control()
    return response


@router.get(
    "/{lottery_date}", response={200: DrawOut, **errors(404, 422, 503)}, summary="One day's result"
)
def draw_detail(request: HttpRequest, lottery_date: IsoDate) -> HttpResponse:
    """One closed day's draw and every value needed to check it (see `scripts/verify_draw.py`
    and docs/draw-rules.md). `state` is `drawing` from the close (count and Merkle root fixed
    and published, the delay function running), then `drawn` with the winning ballot (null for
    a day without ballots). No sign-in needed. A drawn day's result never changes: cacheable
    for good (`immutable`, with an `ETag`), rendered once per process; while `drawing`,
    `no-cache`.

    Errors: 404 for a day that has not closed or was never open; 422 for a date that is not
    `YYYY-MM-DD`; 503 (with `Retry-After`) while the database is unavailable.
    """
    rendered = selectors.draw_rendered(lottery_date=lottery_date)
    response = HttpResponse(rendered.body, content_type="application/json")
    response["ETag"] = rendered.etag
    response["Cache-Control"] = IMMUTABLE if rendered.final else "no-cache"
    return response


@router.get(
    "/{lottery_date}/ballots",
    response={200: BallotIdPage, **errors(400, 404, 422, 503)},
    summary="A drawn day's ballot ids",
)
def draw_ballot_ids(
    request: HttpRequest, lottery_date: IsoDate, filters: Query[BallotIdFilters]
) -> object:
    """A drawn day's ballot ids in canonical order, for auditors who recompute the Merkle root:
    pages of `limit` ids (up to 10,000); pass `next_after` as `after` for the next page (null on
    the last). No sign-in needed.

    Errors: 404 for a day that has not been drawn; 422 for a bad date, id or `limit`; 400 for
    more than 1,000 query parameters; 503 (with `Retry-After`) while the database is
    unavailable.
    """
    ids = selectors.ballot_id_page(
        lottery_date=lottery_date, after=filters.after, limit=filters.limit
    )
    return {"items": ids, "next_after": ids[-1] if len(ids) == filters.limit else None}


@router.get(
    "/{lottery_date}/ballots/{ballot_id}/proof",
    response={200: ProofOut, **errors(404, 422, 503)},
    summary="Proof that a ballot was in the draw",
)
def draw_ballot_proof(request: HttpRequest, lottery_date: IsoDate, ballot_id: UUID) -> object:
    """The Merkle inclusion proof that this ballot was among the day's drawn ballots (a few KB even
    for a million ballots); `scripts/verify_draw.py --ballot` checks it. No sign-in needed.

    Errors: 404 for a day that has not been drawn or a ballot that was not in its draw; 422 for
    a bad date or id; 503 (with `Retry-After`) while the database is unavailable.
    """
    return selectors.ballot_proof(lottery_date=lottery_date, ballot_id=ballot_id)
