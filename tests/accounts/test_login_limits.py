"""Password guessing is limited per address and per account, on /token/pair and admin login."""

import pytest
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def guess(username: str, address: str, path: str = "/token/pair"):
    client = Client(REMOTE_ADDR=address)
    payload = {"username": username, "password": "wrong-guess"}
    if path == "/token/pair":
        return client.post(path, payload, content_type="application/json")
    return client.post(path, payload)


def test_admin_login_is_limited_per_address(settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 5
    User.objects.create_superuser(username="root", password=PASSWORD)

    answers = [guess(f"user{n}", "10.0.0.1", "/admin/login/").status_code for n in range(100)]

    assert answers[:5] == [200] * 5  # the form again, with an error
    assert set(answers[5:]) == {429}
    limited = guess("someone", "10.0.0.1", "/admin/login/")
    assert int(limited["Retry-After"]) > 0
    assert "Too many attempts" in limited.text  # a page: the admin is a browser's path
    assert guess("user0", "10.0.0.2", "/admin/login/").status_code == 200  # another address


@pytest.mark.parametrize("path", ["/token/pair", "/admin/login/"])
def test_password_attempts_on_one_account_are_limited_across_addresses(settings, user, path):
    settings.AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE = 3

    answers = [guess("alice", f"10.0.1.{n}", path).status_code for n in range(6)]

    assert answers[3:] == [429] * 3
    assert guess("ALICE", "10.0.2.1", path).status_code == 429  # one account, any spelling
    assert guess("bob", "10.0.2.2", path).status_code != 429  # another account


def test_token_pair_and_admin_login_share_the_account_budget(settings, user):
    settings.AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE = 2
    guess("alice", "10.0.3.1", "/token/pair")
    guess("alice", "10.0.3.2", "/admin/login/")

    assert guess("alice", "10.0.3.3", "/admin/login/").status_code == 429
    assert guess("alice", "10.0.3.4", "/token/pair").status_code == 429
