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


@pytest.mark.parametrize("name", ["mÔ", "Ωμέγα", "名前", "ナナ_7"])
def test_letters_of_any_script_are_accepted_and_the_schema_does_not_say_otherwise(client, name):
    # make fuzz (schemathesis, seed 331323038128466653881141667073153721292) registered "mÔ"
    # though /docs published pattern ^[\w.@+-]+$, which JSON Schema reads with ASCII \w: the
    # schema refused names the server (Django's Unicode rule) accepts.
    assert register(client, name).status_code == 201
    username = client.get("/openapi.json").json()["components"]["schemas"]["RegisterIn"]
    username = username["properties"]["username"]
    assert "pattern" not in username
    assert "any script" in username["description"]


@pytest.mark.parametrize("name", ["two words", "semi;colon", "€uro", "tab\there", "a\n"])
def test_anything_else_is_refused_with_the_characters_it_may_use(client, name):
    response = register(client, name)

    assert response.status_code == 422, response.content
    (error,) = response.json()["detail"]
    assert error["type"] == "string_pattern_mismatch"
    assert "letters and digits of any script" in error["msg"]
    assert not User.objects.exists()
