from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Body, Header, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from accounts.auth import token_auth
from ballots import selectors, services
from ballots.schemas import (
    BallotBatchIn,
    BallotBatchOut,
    BallotFilters,
    BallotIn,
    BallotOut,
    LotteryOut,
)
from lottery_app.http import no_store
from lottery_app.http_cache import list_cache_control
from lottery_app.schemas import BODY_ERRORS, errors
from lottery_app.types import AuthenticatedRequest

router = Router(tags=["ballots"])
lottery_router = Router(tags=["lotteries"])


@lottery_router.get("", response={200: list[LotteryOut], **errors(503)})
def lottery_list(request: HttpRequest, response: HttpResponse) -> object:
    response["Cache-Control"] = list_cache_control()
    return services.lottery_open_window()


@router.post("", auth=token_auth, response={201: BallotOut, **errors(*BODY_ERRORS, 401, 429, 503)})
def ballot_submit(
    request: AuthenticatedRequest,
    payload: BallotIn | None = Body(None),
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        max_length=255,
        description="1 to 255 visible ASCII characters (or spaces). Repeating a key (same "
        "user, same date) returns the ballot it created instead of a new one; the same key "
        "with another date is refused with 422.",
    ),
) -> Status:
    raw_date = payload.date if payload else None
    lottery_date = None if raw_date is None else services.lottery_date_parse(raw_date)
    ballot = services.ballot_submit(
        user_id=request.auth.id, lottery_date=lottery_date, idempotency_key=idempotency_key
    )
    return Status(201, ballot)


@router.post(
    "/batch",
    auth=token_auth,
    response={201: BallotBatchOut, **errors(*BODY_ERRORS, 401, 429, 503)},
)
def ballot_submit_batch(
    request: AuthenticatedRequest,
    payload: BallotBatchIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="Not supported on batches: a request carrying it is refused with 422, "
        "so that a client which would retry believing it safe is told it is not.",
    ),
) -> Status:
    lottery_date = None if payload.date is None else services.lottery_date_parse(payload.date)
    batch = services.ballot_submit_batch(
        user_id=request.auth.id,
        lottery_date=lottery_date,
        count=payload.count,
        idempotency_key=idempotency_key,
    )
    return Status(201, batch)


@router.get("", auth=token_auth, response={200: list[BallotOut], **errors(400, 401, 422, 503)})
@decorate_view(no_store)
@paginate
def ballot_list(request: AuthenticatedRequest, filters: Query[BallotFilters]) -> object:
    return selectors.ballot_list(
        user_id=request.auth.id, lottery_date=filters.date, status=filters.status
    )


@router.get(
    "/{ballot_id}",
    auth=token_auth,
    response={200: BallotOut, **errors(401, 404, 422, 503)},
)
@decorate_view(no_store)
def ballot_detail(request: AuthenticatedRequest, ballot_id: UUID) -> object:
    return selectors.ballot_get(user_id=request.auth.id, ballot_id=ballot_id)
