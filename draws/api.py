from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from draws import selectors
from draws.schemas import BallotIdFilters, BallotIdPage, DrawOut, DrawPage, ProofOut
from lottery_app.http_cache import IMMUTABLE, list_cache_control
from lottery_app.pagination import LimitOffsetPagination
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
    """A closed day's draw: ``drawing`` from the close (count and root published), then
    ``drawn``. A drawn day's result never changes: cacheable for good."""
    rendered = selectors.draw_rendered(lottery_date=lottery_date)
    response = HttpResponse(rendered.body, content_type="application/json")
    response["ETag"] = rendered.etag
    response["Cache-Control"] = IMMUTABLE if rendered.final else "no-cache"
    return response


@router.get("/{lottery_date}/ballots", response={200: BallotIdPage, **errors(400, 404, 422, 503)})
def draw_ballot_ids(
    request: HttpRequest, lottery_date: IsoDate, filters: Query[BallotIdFilters]
) -> object:
    """A drawn day's ballot ids in canonical order, for auditors who recompute the root."""
    ids = selectors.ballot_id_page(
        lottery_date=lottery_date, after=filters.after, limit=filters.limit
    )
    return {"items": ids, "next_after": ids[-1] if len(ids) == filters.limit else None}


@router.get(
    "/{lottery_date}/ballots/{ballot_id}/proof", response={200: ProofOut, **errors(404, 422, 503)}
)
def draw_ballot_proof(request: HttpRequest, lottery_date: IsoDate, ballot_id: UUID) -> object:
    """The Merkle inclusion proof that this ballot was in the day's draw."""
    return selectors.ballot_proof(lottery_date=lottery_date, ballot_id=ballot_id)
