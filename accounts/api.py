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


@router.post(
    "/register",
    response={201: UserOut, **errors(*BODY_ERRORS, 409, 429, 503)},
    summary="Create an account",
)
@rate_limited()
def register(request: HttpRequest, payload: RegisterIn) -> Status:
    """Step 1 of signing in: create an account with a username and password (and, optionally, the
    address winner emails go to). Anyone may call it.

    Usernames are compared case- and width-insensitively: `ALICE`, `alice` and its full-width
    spelling are one account. Errors: 409 if the name is taken; 422 for a password Django's
    validators reject (too short, too common, all digits, too like the username), an invalid
    email or a missing field; 429 past `AUTH_RATE_LIMIT_PER_MINUTE` requests a minute from one
    address; 400 for malformed JSON, 413 for a body over 2.5 MB, 415 for a body that is not
    `application/json`; 503 (with `Retry-After`) while the database is unavailable.
    """
    return Status(201, services.user_register(**payload.dict()))


@router.get(
    "/me", auth=user_auth, response={200: ProfileOut, **errors(401, 503)}, summary="Your profile"
)
@decorate_view(no_store)
def me(request: AuthenticatedRequest) -> object:
    """Your own account: id, username and email. Needs the Bearer access token.

    Errors: 401 without a valid access token, with a refresh token, with a pasted "Bearer "
    prefix, or when the account was deactivated; 503 (with `Retry-After`) while the database is
    unavailable.
    """
    return request.auth  # user_auth has loaded the user and checked it is active


@router.patch(
    "/me",
    auth=user_auth,
    response={200: ProfileOut, **errors(*BODY_ERRORS, 401, 503)},
    summary="Set your email",
)
@decorate_view(no_store)
def me_update(request: AuthenticatedRequest, payload: ProfileIn) -> object:
    """Set or change the address winner emails go to; `""` removes it. Needs the Bearer access
    token.

    Errors: 401 as for `GET /accounts/me`; 422 for an invalid address or an unknown field; 400
    for malformed JSON, 413 for a body over 2.5 MB, 415 for a body that is not
    `application/json`; 503 (with `Retry-After`) while the database is unavailable.
    """
    return services.user_email_set(user=request.auth, email=payload.email)


@token_router.post(
    "/pair",
    response={200: TokenPairOut, **errors(*BODY_ERRORS, 401, 429, 503)},
    summary="Sign in: get an access and a refresh token",
)
@rate_limited()
def token_pair(request: HttpRequest, payload: TokenPairIn) -> dict[str, str]:
    """Step 2 of signing in: trade a username and password for a JWT pair. Anyone may call it.
    Paste `access` into **Authorize** (without "Bearer "); keep `refresh` for `POST
    /token/refresh`.

    Errors: 401 for a wrong password or an unknown user (the same answer for both); 429 past
    `AUTH_RATE_LIMIT_PER_MINUTE` from one address or `AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE`
    password attempts on one account; 422 for a missing field; 400 for malformed JSON, 413 for a
    body over 2.5 MB, 415 for a body that is not `application/json`; 503 (with `Retry-After`)
    while the database is unavailable.
    """
    return services.token_pair_obtain(request=request, **payload.dict())


@token_router.post(
    "/refresh",
    response={200: AccessOut, **errors(*BODY_ERRORS, 401, 503)},
    summary="Get a new access token",
)
def token_refresh(request: HttpRequest, payload: RefreshIn) -> dict[str, str]:
    """Trade a refresh token for a new access token (access tokens last `JWT_ACCESS_MINUTES`, 15 by
    default; refresh tokens `JWT_REFRESH_DAYS`, 1). Anyone holding a refresh token may call it.

    Errors: 401 for an invalid, expired or logged-out refresh token, or when its account was
    deactivated; 422 for a missing field; 400 for malformed JSON, 413 for a body over 2.5 MB,
    415 for a body that is not `application/json`; 503 (with `Retry-After`) while the database
    is unavailable.
    """
    return services.token_refresh(refresh=payload.refresh)


@token_router.post(
    "/verify", response={200: dict, **errors(*BODY_ERRORS, 401, 503)}, summary="Check a token"
)
def token_verify(request: HttpRequest, payload: VerifyIn) -> dict[str, str]:
    """Answers 200 `{}` if the token (access or refresh) is valid and unexpired. Anyone may call
    it.

    Errors: 401 for an invalid or expired token; 422 for a missing field; 400 for malformed
    JSON, 413 for a body over 2.5 MB, 415 for a body that is not `application/json`; 503 (with
    `Retry-After`) while the database is unavailable.
    """
    services.token_verify(token=payload.token)
    return {}


@token_router.post(
    "/blacklist", response={200: dict, **errors(*BODY_ERRORS, 401, 503)}, summary="Log out"
)
def token_blacklist(request: HttpRequest, payload: RefreshIn) -> dict[str, str]:
    """Log out: the refresh token stops working at once (access tokens already issued run out
    within `JWT_ACCESS_MINUTES`). Anyone holding the refresh token may call it.

    Errors: 401 for an invalid, expired or already logged-out refresh token; 422 for a missing
    field; 400 for malformed JSON, 413 for a body over 2.5 MB, 415 for a body that is not
    `application/json`; 503 (with `Retry-After`) while the database is unavailable.
    """
    services.token_blacklist(refresh=payload.refresh)
    return {}
