from uuid import UUID

from django.http import HttpRequest
from ninja import Body, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from accounts.auth import token_auth
from ballots import selectors, services
from ballots.schemas import BallotFilters, BallotIn, BallotOut, LotteryOut
from lottery_app.http import no_store
from lottery_app.schemas import BODY_ERRORS, errors
from lottery_app.types import AuthenticatedRequest

router = Router(tags=["ballots"])
lottery_router = Router(tags=["lotteries"])


@lottery_router.get("", response=list[LotteryOut])
def lottery_list(request: HttpRequest) -> object:
    return selectors.lottery_open_list()


@router.post("", auth=token_auth, response={201: BallotOut, **errors(*BODY_ERRORS, 401, 429)})
def ballot_submit(request: AuthenticatedRequest, payload: BallotIn | None = Body(None)) -> Status:
    raw_date = payload.date if payload else None
    lottery_date = None if raw_date is None else services.lottery_date_parse(raw_date)
    ballot = services.ballot_submit(user_id=request.auth.id, lottery_date=lottery_date)
    return Status(201, ballot)


@router.get("", auth=token_auth, response={200: list[BallotOut], **errors(400, 401, 422)})
@decorate_view(no_store)
@paginate
def ballot_list(request: AuthenticatedRequest, filters: Query[BallotFilters]) -> object:
    return selectors.ballot_list(
        user_id=request.auth.id, lottery_date=filters.date, status=filters.status
    )


@router.get(
    "/{ballot_id}",
    auth=token_auth,
    response={200: BallotOut, **errors(401, 404, 422)},
)
@decorate_view(no_store)
def ballot_detail(request: AuthenticatedRequest, ballot_id: UUID) -> object:
    return selectors.ballot_get(user_id=request.auth.id, ballot_id=ballot_id)
