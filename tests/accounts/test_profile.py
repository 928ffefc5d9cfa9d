"""PATCH /accounts/me: the address winner notifications go to."""

import pytest

pytestmark = pytest.mark.django_db


def patch_me(client, payload):
    return client.patch("/accounts/me", payload, content_type="application/json")


def test_a_participant_sets_their_email_and_sees_it_in_their_profile(auth_client):
    response = patch_me(auth_client, {"email": "  Alice.New@EXAMPLE.com "})

    assert response.status_code == 200
    assert response.json()["email"] == "Alice.New@example.com"  # the domain part is lowercased
    assert auth_client.get("/accounts/me").json()["email"] == "Alice.New@example.com"


def test_an_empty_email_removes_the_address(auth_client):
    assert patch_me(auth_client, {"email": ""}).json()["email"] == ""


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "not-an-address"},
        {"email": "a@b"},
        {"email": "\u000b"},  # blank is not the empty string that removes it
        {"email": "x" * 250 + "@example.com"},
        {"email": None},
        {},
        {"email": "a@example.com", "username": "mallory"},
    ],
)
def test_an_invalid_email_or_payload_is_refused_with_422_and_changes_nothing(
    auth_client, user, payload
):
    response = patch_me(auth_client, payload)

    assert response.status_code == 422
    assert "detail" in response.json()
    user.refresh_from_db()
    assert (user.username, user.email) == ("alice", "a@example.com")


def test_changing_the_email_needs_a_token(client, user):
    response = patch_me(client, {"email": "a@example.org"})

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
