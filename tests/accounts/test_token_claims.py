"""A token must carry a real user id, signed with this installation's key."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.test import Client
from ninja_jwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from ballots.models import Ballot

pytestmark = pytest.mark.django_db

BAD_USER_IDS = ["abc", [1], 1.5, 2**63, True, 0, -1, None]


def bearer(token: object) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def access_with(user_id: object) -> AccessToken:
    token = AccessToken()  # signed with the right key
    token["user_id"] = user_id
    return token


@pytest.mark.parametrize("user_id", BAD_USER_IDS)
def test_a_signed_token_with_a_user_id_that_is_not_an_id_is_a_401(user, user_id):
    client = bearer(access_with(user_id))

    assert client.post("/ballots", {}, content_type="application/json").status_code == 401
    assert client.get("/ballots").status_code == 401
    assert client.get("/accounts/me").status_code == 401
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("user_id", BAD_USER_IDS)
def test_a_refresh_token_with_a_user_id_that_is_not_an_id_is_a_401(user, user_id):
    refresh = RefreshToken()
    refresh["user_id"] = user_id

    response = Client().post(
        "/token/refresh", {"refresh": str(refresh)}, content_type="application/json"
    )

    assert response.status_code == 401


def test_a_token_signed_with_the_old_built_in_dev_key_is_refused(user):
    # The key that used to be written in settings.py, known to anyone who read the source.
    old_key = "django-insecure-embedded-mode-only-never-use-in-production"
    now = datetime.now(UTC)
    forged = jwt.encode(
        {
            "token_type": "access",
            "exp": now + timedelta(minutes=5),
            "iat": now,
            "jti": "forged",
            "user_id": User.objects.get().pk,
        },
        old_key,
        algorithm="HS256",
    )

    assert bearer(forged).get("/accounts/me").status_code == 401
    assert bearer(forged).post("/ballots", {}, content_type="application/json").status_code == 401
