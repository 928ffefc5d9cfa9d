"""Addresses winner emails go to: nothing a mail header or the relay could be abused with."""

import pytest

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


@pytest.mark.parametrize("email", REFUSED)
def test_the_profile_refuses_it_too(auth_client, user, email):
    response = auth_client.patch("/accounts/me", {"email": email}, content_type="application/json")

    assert response.status_code == 422, response.content
    user.refresh_from_db()
    assert user.email == "a@example.com"


@pytest.mark.parametrize("email", ACCEPTED)
def test_ordinary_addresses_are_accepted(auth_client, email):
    response = auth_client.patch("/accounts/me", {"email": email}, content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["email"] == email
