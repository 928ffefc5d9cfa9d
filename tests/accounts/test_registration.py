import pytest

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def register(client, **payload):
    return client.post("/accounts/register", payload, content_type="application/json")


def test_it_registers_a_user_who_can_then_log_in(client):
    response = register(client, username="bob", password=PASSWORD, email="bob@example.com")

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "bob"
    assert User.objects.get(pk=body["id"]).email == "bob@example.com"
    pair = client.post(
        "/token/pair", {"username": "bob", "password": PASSWORD}, content_type="application/json"
    )
    assert pair.status_code == 200


def test_email_is_optional(client):
    assert register(client, username="bob", password=PASSWORD).status_code == 201


@pytest.mark.parametrize("spelling", ["alice", "Alice", "ALICE"])
def test_it_refuses_a_taken_username_in_any_case(client, user, spelling):
    response = register(client, username=spelling, password=PASSWORD)

    assert response.status_code == 409
    assert response.json() == {"detail": "A user with that username already exists."}
    assert User.objects.count() == 1


def test_a_unicode_look_alike_of_a_taken_username_is_taken_too(client, user):
    response = register(client, username="\uff41lice", password=PASSWORD)  # full-width a

    assert response.status_code == 409
    assert User.objects.count() == 1


def test_it_reports_the_password_validators_messages_and_creates_nothing(client):
    response = register(client, username="bob", password="1234")

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "too short" in detail
    assert "too common" in detail
    assert not User.objects.exists()


def test_a_password_like_the_username_is_rejected(client):
    response = register(client, username="margaretthatcher", password="margaretthatcher1")

    assert response.status_code == 422
    assert "too similar" in response.json()["detail"]


@pytest.mark.parametrize(
    "payload",
    [
        {"password": PASSWORD},
        {"username": "bob"},
        {"username": "", "password": PASSWORD},
        {"username": "bob smith", "password": PASSWORD},
        {"username": "b" * 151, "password": PASSWORD},
        {"username": "bob", "password": PASSWORD, "is_staff": True},
        {"username": "bob", "password": PASSWORD, "email": "not-an-email"},
        {"username": 7, "password": PASSWORD},
    ],
)
def test_it_rejects_bad_input_and_creates_nothing(client, payload):
    response = client.post("/accounts/register", payload, content_type="application/json")

    assert response.status_code == 422
    assert "detail" in response.json()
    assert not User.objects.exists()


def test_it_rejects_a_body_that_is_not_json(client):
    response = client.post("/accounts/register", "username=bob", content_type="text/plain")

    assert response.status_code == 415  # not JSON at all: refused before parsing
    assert not User.objects.exists()


def test_registration_is_rate_limited_per_client(client, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 3
    statuses = [
        register(client, username=f"user{i}", password=PASSWORD).status_code for i in range(4)
    ]

    assert statuses == [201, 201, 201, 429]
    assert User.objects.count() == 3
    other_client = register(
        type(client)(REMOTE_ADDR="10.9.9.9"), username="user9", password=PASSWORD
    )
    assert other_client.status_code == 201


def test_behind_a_proxy_the_limit_follows_the_forwarded_client(client, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 1
    settings.NUM_PROXIES = 1
    via_proxy = {"REMOTE_ADDR": "10.0.0.1"}

    first = client.post(
        "/accounts/register",
        {"username": "u1", "password": PASSWORD},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        **via_proxy,
    )
    other = client.post(
        "/accounts/register",
        {"username": "u2", "password": PASSWORD},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
        **via_proxy,
    )
    again = client.post(
        "/accounts/register",
        {"username": "u3", "password": PASSWORD},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7",
        **via_proxy,
    )

    assert (first.status_code, other.status_code, again.status_code) == (201, 201, 429)


def test_without_proxies_a_forged_forwarded_header_is_ignored(client, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 1
    statuses = [
        client.post(
            "/accounts/register",
            {"username": f"u{i}", "password": PASSWORD},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(2)
    ]

    assert statuses == [201, 429]


def test_me_returns_the_callers_profile(auth_client, user):
    response = auth_client.get("/accounts/me")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.pk
    assert body["username"] == "alice"
    assert body["email"] == "a@example.com"


def test_me_needs_a_valid_token(client):
    assert client.get("/accounts/me").status_code == 401
    bad = client.get("/accounts/me", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert bad.status_code == 401
    assert bad.json() == {"detail": "Given token not valid for any token type"}
