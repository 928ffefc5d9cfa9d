"""A signed token whose ``exp`` is not a usable time is a 401 on every endpoint, never a 500."""

import pytest
from django.test import Client
from ninja_jwt.tokens import AccessToken, RefreshToken

from ballots.models import Ballot

pytestmark = pytest.mark.django_db

BAD_EXPIRIES = ["soon", "1900000000", 10**30, 1e300, [1], None]


def bearer(token: object) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)


@pytest.mark.parametrize("exp", BAD_EXPIRIES)
def test_a_signed_access_token_with_an_unusable_exp_is_a_401(user, exp):
    token: AccessToken = AccessToken.for_user(user)  # type: ignore[misc,assignment]  # a real user
    token.payload["exp"] = exp
    client = bearer(token)

    assert client.post("/ballots", {}, content_type="application/json").status_code == 401
    assert client.get("/ballots").status_code == 401
    assert client.get("/accounts/me").status_code == 401
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("exp", BAD_EXPIRIES)
@pytest.mark.parametrize(
    ("path", "field", "kind"),
    [
        ("/token/verify", "token", AccessToken),
        ("/token/refresh", "refresh", RefreshToken),
        ("/token/blacklist", "refresh", RefreshToken),
    ],
)
def test_the_token_endpoints_answer_401_for_an_unusable_exp(user, exp, path, field, kind):
    token = kind.for_user(user)
    token.payload["exp"] = exp

    response = Client(raise_request_exception=False).post(
        path, {field: str(token)}, content_type="application/json"
    )

    assert response.status_code == 401, response.content
    assert "detail" in response.json()
