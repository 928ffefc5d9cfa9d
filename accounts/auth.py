"""Bearer-token authentication for the API: one scheme, so /docs has one Authorize form.

``token_auth`` trusts the signed access token and does not load the user row: the token's
``user_id`` claim is all the ballot endpoints need, which saves a query per request. Access
tokens are short-lived (``JWT_ACCESS_MINUTES``), which bounds how long a deactivated user's
token keeps working. ``user_auth`` also loads the user and checks it is active, for endpoints
that show it. Both are instances of one class: Swagger UI names a security scheme after the
class, and two classes gave two Authorize forms, of which only one worked per endpoint.
"""

import functools
import time
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja_jwt.exceptions import TokenError
from ninja_jwt.models import TokenUser
from ninja_jwt.tokens import AccessToken, Token, UntypedToken

from accounts.models import User
from common.errors import NotAuthenticated

INVALID_TOKEN = "Given token not valid for any token type"  # noqa: S105 - a message
# The two mistakes Swagger UI's Authorize dialog invites, each told apart from a bad token.
REFRESH_NOT_ACCESS = (
    "This is a refresh token. Send the access token from POST /token/pair, or trade this one "
    "for a new access token at POST /token/refresh."
)
BEARER_TWICE = (
    'The token starts with "Bearer ": paste the access token alone (Authorize in /docs, '
    'like the Authorization header, puts "Bearer " in front of it once).'
)

_MAX_USER_ID = 2**63 - 1  # the largest BigAutoField


def token_decode[T: Token](kind: type[T], raw: str) -> T:
    """``kind(raw)``: verify a token's signature, type and claims; TokenError if it fails.

    ninja_jwt turns only the failures it expects into TokenError: a signed ``exp`` of
    ``"1900000000"`` (TypeError) or ``10**30`` (OverflowError) escaped as a 500.
    """
    try:
        return kind(raw)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TokenError("Token has a claim that is not usable.") from exc


def token_user_id(payload: Any) -> int | None:
    """The ``user_id`` claim if it can be a user's id, else None.

    Only a holder of SECRET_KEY can sign a claim, but a bad one must still be a 401, not a
    500 or a float that the database rounds to another user's id.
    """
    user_id = payload.get("user_id")
    if type(user_id) is int and 0 < user_id <= _MAX_USER_ID:
        return user_id
    return None


class BearerAuth(HttpBearer):
    # The Authorize dialog's text in /docs.
    openapi_bearerFormat = "JWT"
    openapi_description = (
        'The `access` token from `POST /token/pair`, pasted without "Bearer " (it is added '
        "for you). It lasts 15 minutes (`JWT_ACCESS_MINUTES`); `POST /token/refresh` with the "
        "`refresh` token gives a new one. A refresh token pasted here is refused."
    )

    def __init__(self, *, load_user: bool) -> None:
        super().__init__()
        self.load_user = load_user

    def authenticate(self, request: HttpRequest, token: str) -> TokenUser | User:
        # Raised rather than returning None, so the 401 says why (the API's error handler).
        if token[:7].lower() == "bearer ":
            raise NotAuthenticated(BEARER_TWICE)
        try:
            token_user, expires_at = _access_token_verify(token)
        except TokenError:
            raise NotAuthenticated(_refusal(token)) from None
        if expires_at <= time.time():
            raise NotAuthenticated(INVALID_TOKEN)
        if not self.load_user:
            return token_user
        user = User.objects.filter(pk=token_user.id, is_active=True).first()
        if user is None:
            raise NotAuthenticated("User not found or inactive.")
        return user


def _refusal(token: str) -> str:
    """Why a token that is not a valid access token was refused.

    Only a refresh token that this server signed, still valid, is named as such: anything
    else (forged, expired, garbage) gets the one generic answer.
    """
    try:
        kind = token_decode(UntypedToken, token).get("token_type")
    except TokenError:
        return INVALID_TOKEN
    return REFRESH_NOT_ACCESS if kind == "refresh" else INVALID_TOKEN


@functools.lru_cache(maxsize=4096)
def _access_token_verify(token: str) -> tuple[TokenUser, float]:
    """Verify an access token (signature, type, claims) once per process; its user and expiry.

    ninja_jwt's full check is a third of a ballot's CPU (docs/scaling.md, "Costs the code
    relies on"); a participant sends the same token for up to JWT_ACCESS_MINUTES. The key is
    the whole token, signature included, so only the exact bytes that passed are ever
    trusted; expiry is checked on every request by the caller; access tokens cannot be
    revoked, so nothing else can change. A token that fails raises, and lru_cache does not
    remember failures.
    """
    access = token_decode(AccessToken, token)
    if token_user_id(access) is None:
        raise TokenError("Token has no valid user id.")
    return TokenUser(access), float(access["exp"])


token_auth = BearerAuth(load_user=False)
user_auth = BearerAuth(load_user=True)
