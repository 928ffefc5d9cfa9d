import pytest
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD, obtain_tokens

pytestmark = pytest.mark.django_db


def post(client, path, payload):
    return client.post(path, payload, content_type="application/json")


def test_pair_returns_username_access_and_refresh(client, user):
    body = obtain_tokens(client, "alice")

    assert body["username"] == "alice"
    assert body["access"]
    assert body["refresh"]


def test_the_username_is_case_insensitive_at_login(client, user):
    assert obtain_tokens(client, "ALICE")["username"] == "alice"


def test_wrong_password_and_unknown_user_get_the_same_401(client, user):
    wrong_password = post(client, "/token/pair", {"username": "alice", "password": "nope-nope"})
    unknown_user = post(client, "/token/pair", {"username": "nobody", "password": PASSWORD})

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()


def test_an_inactive_user_cannot_obtain_tokens(client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = post(client, "/token/pair", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 401


@pytest.mark.parametrize(
    "payload",
    [{}, {"username": "alice"}, {"username": "alice", "password": PASSWORD, "extra": 1}],
)
def test_pair_rejects_malformed_input(client, user, payload):
    assert post(client, "/token/pair", payload).status_code == 422


@pytest.mark.parametrize(
    ("path", "field"),
    [("/token/refresh", "refresh"), ("/token/verify", "token"), ("/token/blacklist", "refresh")],
)
def test_token_endpoints_refuse_unknown_fields(client, user, path, field):
    token = obtain_tokens(client, "alice")["refresh"]

    response = post(client, path, {field: token, "user_id": 1})

    assert response.status_code == 422
    assert post(client, "/token/refresh", {"refresh": token}).status_code == 200


def test_refresh_returns_a_working_access_token(client, user):
    refresh = obtain_tokens(client, "alice")["refresh"]

    response = post(client, "/token/refresh", {"refresh": refresh})

    assert response.status_code == 200
    access = response.json()["access"]
    assert Client(HTTP_AUTHORIZATION=f"Bearer {access}").get("/accounts/me").status_code == 200


def test_an_access_token_cannot_be_used_to_refresh(client, user):
    access = obtain_tokens(client, "alice")["access"]

    assert post(client, "/token/refresh", {"refresh": access}).status_code == 401


def test_an_inactive_user_cannot_refresh(client, user):
    refresh = obtain_tokens(client, "alice")["refresh"]
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = post(client, "/token/refresh", {"refresh": refresh})

    assert response.status_code == 401
    assert "access" not in response.json()


def test_a_deleted_user_cannot_refresh(client, user):
    refresh = obtain_tokens(client, "alice")["refresh"]
    user.delete()

    assert post(client, "/token/refresh", {"refresh": refresh}).status_code == 401


def test_verify_accepts_a_valid_token_and_rejects_a_forged_one(client, user):
    access = obtain_tokens(client, "alice")["access"]

    assert post(client, "/token/verify", {"token": access}).status_code == 200
    forged = access[:-2] + ("AA" if not access.endswith("AA") else "BB")
    assert post(client, "/token/verify", {"token": forged}).status_code == 401
    assert post(client, "/token/verify", {"token": "garbage"}).status_code == 401


def test_logout_blacklists_the_refresh_token(client, user):
    refresh = obtain_tokens(client, "alice")["refresh"]

    assert post(client, "/token/blacklist", {"refresh": refresh}).status_code == 200

    assert post(client, "/token/refresh", {"refresh": refresh}).status_code == 401
    assert post(client, "/token/verify", {"token": refresh}).status_code == 401
    assert post(client, "/token/blacklist", {"refresh": refresh}).status_code == 401


def test_logout_leaves_other_sessions_working(client, user):
    first = obtain_tokens(client, "alice")["refresh"]
    second = obtain_tokens(client, "alice")["refresh"]

    post(client, "/token/blacklist", {"refresh": first})

    assert post(client, "/token/refresh", {"refresh": second}).status_code == 200


def test_token_pair_is_rate_limited(client, user, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 2
    payload = {"username": "alice", "password": "wrong-wrong"}
    statuses = [post(client, "/token/pair", payload).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    limited = post(client, "/token/pair", payload)
    assert int(limited["Retry-After"]) > 0
