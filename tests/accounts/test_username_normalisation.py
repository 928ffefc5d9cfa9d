"""A username is checked (length, characters) as it is stored: after NFKC."""

import pytest

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def register(client, username: str):
    return client.post(
        "/accounts/register",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
    )


def test_a_name_that_grows_past_150_characters_under_nfkc_is_a_422_not_a_500(client):
    client.raise_request_exception = False
    response = register(client, "\ufb04" * 60)  # the "ffl" ligature: 180 characters after NFKC

    assert response.status_code == 422, response.content
    assert "150" in str(response.json()["detail"])
    assert not User.objects.exists()


def test_a_name_that_becomes_words_with_spaces_under_nfkc_is_refused(client):
    response = register(client, "\ufdfa")  # one character; NFKC makes it 18 with 3 spaces

    assert response.status_code == 422, response.content
    assert not User.objects.exists()


def test_a_name_of_exactly_150_characters_after_nfkc_is_accepted(client):
    response = register(client, "\ufb04" * 50)  # 150 after NFKC

    assert response.status_code == 201, response.content
    assert User.objects.get().username == "ffl" * 50
