import re
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Body, Header, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from accounts.auth import token_auth
from ballots import selectors, services
from ballots.calendar import closes_at, lottery_today
from ballots.errors import IdempotencyKeyReused
from ballots.schemas import (
    BallotAccepted,
    BallotBatchIn,
    BallotBatchOut,
    BallotFilters,
    BallotIn,
    BallotOut,
    LotteryOut,
    ReceiptOut,
)
from common.errors import InvalidInput
from common.http import no_store
from common.http_cache import list_cache_control
from common.schemas import BODY_ERRORS, errors
from common.types import AuthenticatedRequest

router = Router(tags=["ballots"])
lottery_router = Router(tags=["lotteries"])

# Visible ASCII and spaces: Granian passes a header value that is not ASCII on as "", so a
# key is refused the same way whatever server is in front.
_IDEMPOTENCY_KEY = re.compile(r"[ -~]{1,255}")
KEY_MALFORMED = (
    "Idempotency-Key must be 1 to 255 visible ASCII characters (or spaces); an empty value, "
    "or one that is not ASCII (which the server passes on as empty), is refused."
)
# A 422, as the IETF draft on the header asks for a key reused with another request.
KEY_REUSED = (
    "This Idempotency-Key was already used for a ballot with a different date ({first}); "
    "use a new key for a new ballot."
)
BATCH_KEY_REFUSED = (
    "POST /ballots/batch does not take an Idempotency-Key: a repeated batch would be stored "
    "twice. Retry single ballots with keys, or read GET /ballots before repeating a batch."
)


@lottery_router.get(
    "", response={200: list[LotteryOut], **errors(503)}, summary="The open lottery days"
)
def lottery_list(request: HttpRequest, response: HttpResponse) -> object:
    """The days that accept ballots, today first: today and the next `LOTTERY_OPEN_DAYS - 1` (7
    days by default), each with `closes_at` (its midnight in `TIME_ZONE`) and the values
    published before its first ballot (its seed commitment), which the verifier compares after
    the draw. No sign-in needed; cacheable for up to 60 s and never past midnight. 503 comes
    with `Retry-After`.
    """
    response["Cache-Control"] = list_cache_control(closes_at(lottery_today()))
    return services.lottery_open_window()


@router.post(
    "",
    auth=token_auth,
    response={201: BallotAccepted, **errors(*BODY_ERRORS, 401, 429, 503)},
    summary="Submit a ballot",
)
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
    """Step 3: submit one ballot for an open day (`date`, default today in `TIME_ZONE`); the body
    may be left out. A client unsure whether its request arrived can repeat it with the same
    `Idempotency-Key` and gets the same ballot back, with its signed `receipt`.

    422 for a day that is not open names the open window; 429 past
    `BALLOT_RATE_LIMIT_PER_MINUTE` ballots a minute. Also 401, 400, 413 (over 2.5 MB), 415 and
    503 (with `Retry-After`).
    """
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise InvalidInput(KEY_MALFORMED)
    try:
        ballot = services.ballot_submit(
            user_id=request.auth.id,
            lottery_date=payload.date if payload else None,
            idempotency_key=idempotency_key,
        )
    except IdempotencyKeyReused as exc:
        first = exc.first_date or "today"
        raise IdempotencyKeyReused(
            KEY_REUSED.format(first=first), first_date=exc.first_date
        ) from exc
    return Status(201, ballot)


@router.post(
    "/batch",
    auth=token_auth,
    response={201: BallotBatchOut, **errors(*BODY_ERRORS, 401, 429, 503)},
    summary="Submit many ballots at once",
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
    """Submit `count` ballots (1 to `LOTTERY_MAX_BATCH`, 100 by default) for one open day, all of
    them or none, in one statement, with one signed `receipt`.

    422 also for an `Idempotency-Key`; 429 when the ballots would pass
    `BALLOT_RATE_LIMIT_PER_MINUTE`. Also 401, 400, 413 (over 2.5 MB), 415 and 503 (with
    `Retry-After`).
    """
    # Refused rather than ignored: a client that sends a key believes it may retry.
    if idempotency_key is not None:
        raise InvalidInput(BATCH_KEY_REFUSED)
    batch = services.ballot_submit_batch(
        user_id=request.auth.id, lottery_date=payload.date, count=payload.count
    )
    return Status(201, batch)


@router.get(
    "",
    auth=token_auth,
    response={200: list[BallotOut], **errors(400, 401, 422, 503)},
    summary="Your ballots",
)
@decorate_view(no_store)
@paginate
def ballot_list(request: AuthenticatedRequest, filters: Query[BallotFilters]) -> object:
    """Your own ballots, newest first, paginated (`limit` up to 100): filter by `date` and by
    `status` (`pending` until the day is drawn, then `won` or `lost`). Nobody sees another
    participant's ballots.

    400 for more than 1,000 query parameters. Also 401, 422 and 503 (with `Retry-After`).
    """
    return selectors.ballot_list(
        user_id=request.auth.id, lottery_date=filters.date, status=filters.status
    )


@router.get(
    "/{ballot_id}",
    auth=token_auth,
    response={200: BallotOut, **errors(401, 404, 422, 503)},
    summary="One of your ballots",
)
@decorate_view(no_store)
def ballot_detail(request: AuthenticatedRequest, ballot_id: UUID) -> object:
    """One of your own ballots by id, with its status. Another participant's ballot is a 404,
    as an id that does not exist. Also 401, 422 and 503 (with `Retry-After`).
    """
    return selectors.ballot_get(user_id=request.auth.id, ballot_id=ballot_id)


@router.get(
    "/{ballot_id}/receipt",
    auth=token_auth,
    response={200: ReceiptOut, **errors(401, 404, 422, 503)},
    summary="The receipt of one of your ballots",
)
@decorate_view(no_store)
def ballot_receipt(request: AuthenticatedRequest, ballot_id: UUID) -> object:
    """The signed receipt the lottery gave when it accepted this ballot, the same bytes again
    (a batched ballot's is its batch's, naming every id). 404 for an id that is not one of
    your ballots. Also 401, 422 and 503 (with `Retry-After`).
    """
    return {"receipt": services.ballot_receipt(user_id=request.auth.id, ballot_id=ballot_id)}
