"""Bearer-token authentication for the API.

``token_auth`` trusts the signed access token and does not load the user row: the token's
``user_id`` claim is all the ballot endpoints need, which saves a query per request. Access
tokens are short-lived (``JWT_ACCESS_MINUTES``), which bounds how long a deactivated user's
token keeps working. ``user_auth`` loads and checks the user, for endpoints that show it.
"""

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
            access = AccessToken(token)
        except TokenError:
            return None  # Ninja answers 401
        if "user_id" not in access:
            return None
        return TokenUser(access)


token_auth = AccessTokenAuth()
user_auth = JWTAuth()
