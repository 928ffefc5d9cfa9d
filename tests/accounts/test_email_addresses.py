"""Addresses winner emails go to: nothing a mail header or the relay could be abused with."""

import re

import pytest
from django.core import mail

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

REFUSED = [
    '"a\x0bb"@example.com',  # control characters in a quoted local part: line breaks in a header
    '"a\x0cBcc: victim"@example.com',
    '"a\x1cb"@example.com',
    '"a\x7fb"@example.com',
    "a@[127.0.0.1]",  # IP literals: the relay would deliver to an internal host
    "a@[IPv6:::1]",
    "a@localhost",
    "a@mail.localhost",
    "a@printer.local",
    "a@db.internal",
    "x" * 65 + "@example.com",  # RFC 5321: a local part has at most 64 octets
]
ACCEPTED = ["alice@example.com", "o'brien+lottery@mail.example.org", "x" * 64 + "@example.com"]


@pytest.mark.parametrize("email", REFUSED)
def test_registration_refuses_an_address_that_is_not_deliverable_safely(client, email):
    response = client.post(
        "/accounts/register",
        {"username": "bob", "password": PASSWORD, "email": email},
        content_type="application/json",
    )

    assert response.status_code == 422, response.content
    assert response.json() == {"detail": "Enter a valid email address."}
    assert not User.objects.filter(username="bob").exists()


def change_email(client, email):
    payload = {"email": email, "password": PASSWORD}
    return client.put("/accounts/me/email", payload, content_type="application/json")


@pytest.mark.parametrize("email", REFUSED)
def test_the_profile_refuses_it_too(auth_client, user, email):
    response = change_email(auth_client, email)

    assert response.status_code == 422, response.content
    assert response.json() == {"detail": "Enter a valid email address."}
    assert mail.outbox == []
    user.refresh_from_db()
    assert user.email == "a@example.com"


@pytest.mark.parametrize("email", ACCEPTED)
def test_ordinary_addresses_are_accepted(client, auth_client, user, email):
    response = change_email(auth_client, email)

    assert response.status_code == 202, response.content
    (message,) = mail.outbox
    assert message.to == [email]
    token = re.search(r"/account/email/(\S+)", str(message.body)).group(1)  # type: ignore[union-attr]
    confirmed = client.post(
        "/accounts/email/confirm", {"token": token}, content_type="application/json"
    )
    assert confirmed.status_code == 204
    assert auth_client.get("/accounts/me").json()["email"] == email
