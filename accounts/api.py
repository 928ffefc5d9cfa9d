from django.http import HttpRequest
from ninja import Router, Status
from ninja.decorators import decorate_view

from accounts import services
from accounts.auth import user_auth
from accounts.schemas import (
    AccessOut,
    ProfileIn,
    ProfileOut,
    RefreshIn,
    RegisterIn,
    TokenPairIn,
    TokenPairOut,
    UserOut,
    VerifyIn,
)
from lottery_app.http import no_store
from lottery_app.ratelimit import rate_limited
from lottery_app.schemas import BODY_ERRORS, errors
from lottery_app.types import AuthenticatedRequest

router = Router(tags=["accounts"])
token_router = Router(tags=["tokens"])
token_router.add_decorator(no_store, mode="view")


@router.post("/register", response={201: UserOut, **errors(*BODY_ERRORS, 409, 429, 503)})
@rate_limited()
def register(request: HttpRequest, payload: RegisterIn) -> Status:
    return Status(201, services.user_register(**payload.dict()))


@router.get("/me", auth=user_auth, response={200: ProfileOut, **errors(401, 503)})
@decorate_view(no_store)
def me(request: AuthenticatedRequest) -> object:
    return request.auth  # user_auth has loaded the user and checked it is active


@router.patch("/me", auth=user_auth, response={200: ProfileOut, **errors(*BODY_ERRORS, 401, 503)})
@decorate_view(no_store)
def me_update(request: AuthenticatedRequest, payload: ProfileIn) -> object:
    return services.user_email_set(user=request.auth, email=payload.email)


@token_router.post("/pair", response={200: TokenPairOut, **errors(*BODY_ERRORS, 401, 429, 503)})
@rate_limited()
def token_pair(request: HttpRequest, payload: TokenPairIn) -> dict[str, str]:
    return services.token_pair_obtain(request=request, **payload.dict())


@token_router.post("/refresh", response={200: AccessOut, **errors(*BODY_ERRORS, 401, 503)})
def token_refresh(request: HttpRequest, payload: RefreshIn) -> dict[str, str]:
    return services.token_refresh(refresh=payload.refresh)


@token_router.post("/verify", response={200: dict, **errors(*BODY_ERRORS, 401, 503)})
def token_verify(request: HttpRequest, payload: VerifyIn) -> dict[str, str]:
    services.token_verify(token=payload.token)
    return {}


@token_router.post("/blacklist", response={200: dict, **errors(*BODY_ERRORS, 401, 503)})
def token_blacklist(request: HttpRequest, payload: RefreshIn) -> dict[str, str]:
    services.token_blacklist(refresh=payload.refresh)
    return {}
