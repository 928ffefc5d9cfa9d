"""PUT /accounts/me/email (and its old spelling, PATCH /accounts/me): the address winner
notifications go to, changed only with the password and only once the new one is confirmed."""

import re

import pytest
from django.core import mail

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def patch_me(client, payload):
    return client.patch("/accounts/me", payload, content_type="application/json")


def confirm_from_mail(client) -> None:
    match = re.search(r"/account/email/(\S+)", str(mail.outbox[-1].body))
    assert match is not None
    response = client.post(
        "/accounts/email/confirm", {"token": match.group(1)}, content_type="application/json"
    )
    assert response.status_code == 204, response.content


def test_a_participant_sets_their_email_and_sees_it_in_their_profile(client, auth_client):
    response = patch_me(auth_client, {"email": "  Alice.New@EXAMPLE.com ", "password": PASSWORD})

    assert response.status_code == 202
    # Not yet: the address is used once the link mailed to it is opened.
    assert response.json()["email"] == "a@example.com"
    assert mail.outbox[-1].to == ["Alice.New@example.com"]  # the domain part is lowercased
    confirm_from_mail(client)
    profile = auth_client.get("/accounts/me").json()
    assert (profile["email"], profile["email_confirmed"]) == ("Alice.New@example.com", True)


def test_an_empty_email_removes_the_address(auth_client):
    response = patch_me(auth_client, {"email": "", "password": PASSWORD})

    assert response.status_code == 200
    assert (response.json()["email"], response.json()["email_confirmed"]) == ("", False)
    assert mail.outbox == []


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "not-an-address", "password": PASSWORD},
        {"email": "a@b", "password": PASSWORD},
        {"email": "\u000b", "password": PASSWORD},  # blank is not the empty string that removes it
        {"email": "x" * 250 + "@example.com", "password": PASSWORD},
        {"email": None, "password": PASSWORD},
        {"password": PASSWORD},
        {"email": "a@example.org"},  # the password is required
        {"email": "a@example.org", "password": ""},
        {"email": "a@example.com", "password": PASSWORD, "username": "mallory"},
    ],
)
def test_an_invalid_email_or_payload_is_refused_with_422_and_changes_nothing(
    auth_client, user, payload
):
    response = patch_me(auth_client, payload)

    assert response.status_code == 422
    assert "detail" in response.json()
    user.refresh_from_db()
    assert (user.username, user.email, user.email_confirmed) == ("alice", "a@example.com", True)
    assert mail.outbox == []


def test_a_wrong_password_is_refused_with_403_and_changes_nothing(auth_client, user):
    response = patch_me(auth_client, {"email": "a@example.org", "password": "wrong-password"})

    assert response.status_code == 403
    assert response.json() == {"detail": "The password is not correct."}
    user.refresh_from_db()
    assert user.email == "a@example.com"
    assert mail.outbox == []


def test_changing_the_email_needs_a_token(client, user):
    response = patch_me(client, {"email": "a@example.org", "password": PASSWORD})

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
