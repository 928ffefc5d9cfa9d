"""The ballot endpoints' Bearer check, which verifies each token once per process."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine
from ninja_jwt.tokens import AccessToken, RefreshToken

from accounts.auth import BEARER_TWICE, INVALID_TOKEN, REFRESH_NOT_ACCESS
from tests.conftest import submit

pytestmark = pytest.mark.django_db

ISSUED = datetime(2026, 11, 28, 12, tzinfo=UTC)


def client_with(client, token: str):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def token(user) -> str:
    with time_machine.travel(ISSUED, tick=False):
        return str(AccessToken.for_user(user))  # type: ignore[misc]  # lives JWT_ACCESS_MINUTES (15)


def test_an_accepted_token_is_refused_once_it_expires(client, token):
    client = client_with(client, token)
    with time_machine.travel(ISSUED + timedelta(minutes=14, seconds=59), tick=False):
        accepted = submit(client).status_code
    with time_machine.travel(ISSUED + timedelta(minutes=15), tick=False):
        expired = submit(client)

    assert accepted == 201
    assert expired.status_code == 401
    assert "detail" in expired.json()


def test_a_tampered_token_is_refused_after_the_genuine_one_was_accepted(client, token):
    header, _, signature = token.split(".")
    forged = jwt.decode(token, options={"verify_signature": False})
    forged["user_id"] = str(int(forged["user_id"]) + 1)
    forged_payload = jwt.encode(
        forged, "a-guessed-key-that-is-long-enough-for-hs256", algorithm="HS256"
    ).split(".")[1]

    with time_machine.travel(ISSUED, tick=False):
        genuine = submit(client_with(client, token)).status_code
        other_payload = submit(client_with(client, f"{header}.{forged_payload}.{signature}"))
        other_key = submit(
            client_with(
                client,
                jwt.encode(
                    forged, "a-guessed-key-that-is-long-enough-for-hs256", algorithm="HS256"
                ),
            )
        )

    assert genuine == 201
    assert other_payload.status_code == other_key.status_code == 401


def test_a_refresh_token_is_not_an_access_token(client, user):
    with time_machine.travel(ISSUED, tick=False):
        refresh = str(RefreshToken.for_user(user))  # type: ignore[misc]
        response = submit(client_with(client, refresh))

    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/ballots", "/accounts/me"])
def test_a_refresh_token_used_as_access_is_told_so(client, user, path):
    with time_machine.travel(ISSUED, tick=False):
        refresh = str(RefreshToken.for_user(user))  # type: ignore[misc]
        response = client_with(client, refresh).get(path)

    assert response.status_code == 401
    assert response.json() == {"detail": REFRESH_NOT_ACCESS}


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer "])
def test_a_token_pasted_with_its_bearer_prefix_is_told_so(client, token, prefix):
    # What Swagger UI sends when "Bearer eyJ..." is pasted into Authorize: it adds its own.
    with time_machine.travel(ISSUED, tick=False):
        response = submit(client_with(client, prefix + token))

    assert response.status_code == 401
    assert response.json() == {"detail": BEARER_TWICE}


def test_a_forged_refresh_token_gets_the_generic_answer(client, user):
    with time_machine.travel(ISSUED, tick=False):
        claims = jwt.decode(
            str(RefreshToken.for_user(user)),  # type: ignore[misc]
            options={"verify_signature": False},
        )
        forged = jwt.encode(claims, "a-guessed-key-that-is-long-enough-for-hs256", "HS256")
        response = submit(client_with(client, forged))

    assert response.status_code == 401
    assert response.json() == {"detail": INVALID_TOKEN}


def test_the_docs_authorize_dialog_says_which_token_to_paste(client):
    scheme = client.get("/openapi.json").json()["components"]["securitySchemes"]["BearerAuth"]

    assert scheme["scheme"] == "bearer"
    assert scheme["bearerFormat"] == "JWT"
    assert "`access` token from `POST /token/pair`" in scheme["description"]
    assert 'without "Bearer "' in scheme["description"]
