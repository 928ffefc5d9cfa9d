"""Bearer-token authentication for the API.

``token_auth`` trusts the signed access token and does not load the user row: the token's
``user_id`` claim is all the ballot endpoints need, which saves a query per request. Access
tokens are short-lived (``JWT_ACCESS_MINUTES``), which bounds how long a deactivated user's
token keeps working. ``user_auth`` loads and checks the user, for endpoints that show it.
"""

import functools
import time

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja_jwt.authentication import JWTAuth
from ninja_jwt.exceptions import TokenError
from ninja_jwt.models import TokenUser
from ninja_jwt.tokens import AccessToken


class AccessTokenAuth(HttpBearer):
    """A valid access token is enough: no user row is read (see the module docstring)."""

    def authenticate(self, request: HttpRequest, token: str) -> TokenUser | None:
        try:
            user, expires_at = _access_token_verify(token)
        except TokenError:
            return None  # Ninja answers 401
        if expires_at <= time.time():
            return None
        return user


@functools.lru_cache(maxsize=4096)
def _access_token_verify(token: str) -> tuple[TokenUser, float]:
    """Verify an access token (signature, type, claims) once per process; its user and expiry.

    ninja_jwt's full check costs ~250 us, a third of a ballot's CPU; a participant sends the
    same token for up to JWT_ACCESS_MINUTES. The key is the whole token, signature included,
    so only the exact bytes that passed are ever trusted; expiry is checked on every request
    by the caller; access tokens cannot be revoked, so nothing else can change. A token that
    fails raises, and lru_cache does not remember failures.
    """
    access = AccessToken(token)
    if "user_id" not in access:
        raise TokenError("Token has no user.")
    return TokenUser(access), float(access["exp"])


token_auth = AccessTokenAuth()
user_auth = JWTAuth()
