from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Status
from ninja.decorators import decorate_view

from accounts import services
from accounts.auth import user_auth
from accounts.schemas import (
    AcceptedOut,
    AccessOut,
    AccountDeleteIn,
    EmailChangeIn,
    EmailConfirmIn,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    ProfileOut,
    RefreshIn,
    RegisterIn,
    TokenPairIn,
    TokenPairOut,
    UserOut,
    VerifyIn,
)
from common.http import no_store
from common.ratelimit import rate_limited
from common.schemas import BODY_ERRORS, errors
from common.types import AuthenticatedRequest

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
    address winner emails go to). An address given is mailed a link to confirm it: winner
    emails and password reset links go to it only once it is confirmed. Usernames are compared
    case- and width-insensitively: `ALICE`, `alice` and its full-width spelling are one account.

    409 if the name is taken; 422 for a password Django's validators reject (too short, too
    common, all digits, too like the username); 429 past `AUTH_RATE_LIMIT_PER_MINUTE` requests
    a minute from one address. Also 400, 413 (over 2.5 MB), 415 and 503 (with `Retry-After`).
    """
    return Status(201, services.user_register(**payload.dict()))


@router.get(
    "/me", auth=user_auth, response={200: ProfileOut, **errors(401, 503)}, summary="Your profile"
)
@decorate_view(no_store)
def me(request: AuthenticatedRequest) -> object:
    """Your own account: id, username, email and whether it is confirmed. 401 also when the
    account was deactivated; 503 comes with `Retry-After`.
    """
    return request.auth  # user_auth has loaded the user and checked it is active


_EMAIL_CHANGE_RESPONSES = {
    200: ProfileOut,
    202: ProfileOut,
    **errors(*BODY_ERRORS, 401, 403, 429, 503),
}


def _email_change(request: AuthenticatedRequest, payload: EmailChangeIn) -> Status:
    sent = services.user_email_change(user=request.auth, **payload.dict())
    return Status(202 if sent else 200, request.auth)


@router.put(
    "/me/email",
    auth=user_auth,
    response=_EMAIL_CHANGE_RESPONSES,
    summary="Change your email (needs your password)",
)
@decorate_view(no_store)
@rate_limited()
def me_email_change(request: AuthenticatedRequest, payload: EmailChangeIn) -> Status:
    """Change the address winner emails and password reset links go to. Needs your current
    password too: a stolen access token alone cannot move the account to another mailbox.

    202: a link was mailed to the new address; it replaces the old one when the link is
    opened (the page it opens, or `POST /accounts/email/confirm`), within
    `PASSWORD_RESET_TIMEOUT` (3 days). Until then the profile shows the old address. 200:
    nothing waits: `""` removed the address at once, or it is already your confirmed one.

    403 for a wrong password; 429 past `AUTH_RATE_LIMIT_PER_MINUTE` requests a minute from one
    address or `AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE` password attempts on the account; 503 (with
    `Retry-After`) also while the mail server is unavailable. Also 400, 401, 413 (over 2.5 MB),
    415 and 422.
    """
    return _email_change(request, payload)


@router.patch(
    "/me",
    auth=user_auth,
    response=_EMAIL_CHANGE_RESPONSES,
    summary="Change your email (old spelling of PUT /accounts/me/email)",
    deprecated=True,
)
@decorate_view(no_store)
@rate_limited()
def me_update(request: AuthenticatedRequest, payload: EmailChangeIn) -> Status:
    """The same as `PUT /accounts/me/email`, kept for clients written before it: it too needs
    your current password and confirms a new address by mail before using it. Its answers are
    that endpoint's: 200, 202, and 400, 401, 403, 413, 415, 422, 429 and 503.
    """
    return _email_change(request, payload)


@router.post(
    "/email/confirm",
    response={204: None, **errors(*BODY_ERRORS, 429, 503)},
    summary="Confirm a new email address",
)
@rate_limited()
def email_confirm(request: HttpRequest, payload: EmailConfirmIn) -> Status:
    """Make the address a confirmation link was mailed to the account's address. The token is
    the link's last part (after `/account/email/`); it names the account, so anyone holding
    the mail may call it, without signing in.

    400 also for a link that is forged, expired (`PASSWORD_RESET_TIMEOUT`, 3 days) or already
    used; 429 past `AUTH_RATE_LIMIT_PER_MINUTE` requests a minute from one address. Also 413
    (over 2.5 MB), 415, 422 and 503 (with `Retry-After`).
    """
    services.email_confirm(token=payload.token)
    return Status(204, None)


@router.post(
    "/me/password",
    auth=user_auth,
    response={204: None, **errors(*BODY_ERRORS, 401, 403, 429, 503)},
    summary="Change your password",
)
@decorate_view(no_store)
@rate_limited()
def me_password_change(request: AuthenticatedRequest, payload: PasswordChangeIn) -> Status:
    """Set a new password, giving the current one. Every refresh token of the account is
    blacklisted and every page session ends: sign in again with `POST /token/pair` (access
    tokens already issued run out within `JWT_ACCESS_MINUTES`).

    403 for a wrong current password; 422 for a new password Django's validators refuse; 429
    as for `PUT /accounts/me/email`. Also 400, 401, 413 (over 2.5 MB), 415 and 503 (with
    `Retry-After`).
    """
    services.user_password_change(user=request.auth, **payload.dict())
    return Status(204, None)


@router.post(
    "/password-reset",
    response={202: AcceptedOut, **errors(*BODY_ERRORS, 429, 503)},
    summary="Forgot your password: mail a reset link",
)
@rate_limited()
def password_reset(request: HttpRequest, payload: PasswordResetIn) -> Status:
    """Mail a link to set a new password to each account whose confirmed address this is. The
    answer is the same 202 whether or not such an account exists. The link opens the page
    `/password-reset/{uid}/{token}`; a client can send its two parts to
    `POST /accounts/password-reset/confirm`. It expires after `PASSWORD_RESET_TIMEOUT` (3
    days) and works once.

    429 past `AUTH_RATE_LIMIT_PER_MINUTE` requests a minute from one client address, or 3 a
    minute for one email address from anyone. Also 400, 413 (over 2.5 MB), 415, 422 and 503
    (with `Retry-After`).
    """
    services.password_reset_request(email=payload.email)
    detail = "If an account has this confirmed address, a link to reset its password was sent."
    return Status(202, {"detail": detail})


@router.post(
    "/password-reset/confirm",
    response={204: None, **errors(*BODY_ERRORS, 429, 503)},
    summary="Set a new password from a reset link",
)
@rate_limited()
def password_reset_confirm(request: HttpRequest, payload: PasswordResetConfirmIn) -> Status:
    """Set a new password with the two parts of a mailed reset link (`uid` and `token`: the
    link ends `/password-reset/{uid}/{token}`). Anyone holding the link may call it. Every
    refresh token of the account is blacklisted and every page session ends.

    400 also for a link that is forged, expired (`PASSWORD_RESET_TIMEOUT`, 3 days) or already
    used; 422 for a new password Django's validators refuse; 429 past
    `AUTH_RATE_LIMIT_PER_MINUTE` requests a minute from one address. Also 413 (over 2.5 MB),
    415 and 503 (with `Retry-After`).
    """
    services.password_reset_confirm(**payload.dict())
    return Status(204, None)


@router.delete(
    "/me",
    auth=user_auth,
    response={204: None, **errors(*BODY_ERRORS, 401, 403, 429, 503)},
    summary="Delete your account (needs your password)",
)
@decorate_view(no_store)
@rate_limited()
def me_delete(request: AuthenticatedRequest, payload: AccountDeleteIn) -> Status:
    """Delete your account, giving your password in the body. Your ballots stay in their days'
    draws (no accepted ballot ever leaves a draw) but no longer name you: one that wins names
    no one, and no one is emailed. Your refresh tokens are blacklisted and your
    Idempotency-Keys deleted.

    403 for a wrong password; 429 as for `PUT /accounts/me/email`. Also 400, 401, 413 (over
    2.5 MB), 415, 422 and 503 (with `Retry-After`).
    """
    services.user_delete(user=request.auth, password=payload.password)
    return Status(204, None)


@token_router.post(
    "/pair",
    response={200: TokenPairOut, **errors(*BODY_ERRORS, 401, 429, 503)},
    summary="Sign in: get an access and a refresh token",
)
@rate_limited()
def token_pair(request: HttpRequest, payload: TokenPairIn) -> dict[str, str]:
    """Step 2 of signing in: trade a username and password for a JWT pair. Paste `access` into
    **Authorize** (without "Bearer "); keep `refresh` for `POST /token/refresh`.

    401 for a wrong password or an unknown user (the same answer for both); 429 past
    `AUTH_RATE_LIMIT_PER_MINUTE` requests a minute from one address or
    `AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE` password attempts on one account. Also 400, 413 (over
    2.5 MB), 415, 422 and 503 (with `Retry-After`).
    """
    services.login_attempt_charge(username=payload.username)
    # authenticate() here, as the pages' and the admin's login forms call it: it hands the
    # request to the auth backends and to the failed-login log (accounts.signals).
    user = authenticate(request, username=payload.username, password=payload.password)
    return services.token_pair_issue(user=user)


@token_router.post(
    "/refresh",
    response={200: AccessOut, **errors(*BODY_ERRORS, 401, 503)},
    summary="Get a new access token",
)
def token_refresh(request: HttpRequest, payload: RefreshIn) -> dict[str, str]:
    """Trade a refresh token for a new access token (access tokens last `JWT_ACCESS_MINUTES`,
    15 by default; refresh tokens `JWT_REFRESH_DAYS`, 1). 401 for an invalid, expired or
    logged-out refresh token, or when its account was deactivated. Also 400, 413 (over
    2.5 MB), 415, 422 and 503 (with `Retry-After`).
    """
    return services.token_refresh(refresh=payload.refresh)


@token_router.post(
    "/verify", response={200: dict, **errors(*BODY_ERRORS, 401, 503)}, summary="Check a token"
)
def token_verify(request: HttpRequest, payload: VerifyIn) -> dict[str, str]:
    """Answers 200 `{}` if the token (access or refresh) is valid and unexpired, 401 if not.
    Also 400, 413 (over 2.5 MB), 415, 422 and 503 (with `Retry-After`).
    """
    services.token_verify(token=payload.token)
    return {}


@token_router.post(
    "/blacklist", response={200: dict, **errors(*BODY_ERRORS, 401, 503)}, summary="Log out"
)
def token_blacklist(request: HttpRequest, payload: RefreshIn) -> dict[str, str]:
    """Log out: the refresh token stops working at once (access tokens already issued run out
    within `JWT_ACCESS_MINUTES`). 401 for an invalid, expired or already logged-out refresh
    token. Also 400, 413 (over 2.5 MB), 415, 422 and 503 (with `Retry-After`).
    """
    services.token_blacklist(refresh=payload.refresh)
    return {}
