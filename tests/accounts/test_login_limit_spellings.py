"""The per-account limit on password guesses counts the account, however its name is spelled.

/login and /admin/login/ strip the spaces around a username before looking it up (Django's
UsernameField); the limit used to count the unstripped name, so " alice " had a budget of its
own beside "alice". Every login path now counts the name the login itself looks up, and
every failed login is logged alike.
"""

import logging

import pytest
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PATHS = ["/token/pair", "/login", "/admin/login/"]
# What the login folds into "alice": spaces, tabs and newlines around it (stripped by the
# forms), case, and NFKC's width (full-width letters, an ideographic space).
SPELLINGS = [
    " alice ",
    "ALICE",
    "alice\t",
    "\nAlice",
    "\u3000alice",
    "\uff41\uff4c\uff49\uff43\uff45",
    "alice\u00a0",
]
LIMIT = 10


@pytest.fixture
def alice(db) -> User:
    # Staff, so that the right password would open the admin too.
    return User.objects.create_superuser(username="alice", password=PASSWORD)


def attempt(path: str, username: str, password: str, address: str) -> tuple[int, Client]:
    client = Client(REMOTE_ADDR=address)
    payload = {"username": username, "password": password}
    if path == "/token/pair":
        return client.post(path, payload, content_type="application/json").status_code, client
    return client.post(path, payload).status_code, client


def spend_the_limit(path: str) -> None:
    # Each guess from its own address: only the account's budget is under test.
    answers = [attempt(path, "alice", "wrong", f"10.9.0.{n}")[0] for n in range(LIMIT)]
    assert 429 not in answers


@pytest.mark.parametrize("path", PATHS)
def test_every_spelling_is_refused_on_every_path_once_the_limit_is_spent(alice, path):
    spend_the_limit(path)

    refused = [
        (spelling, other, attempt(other, spelling, "wrong", f"10.9.1.{n}")[0])
        for n, spelling in enumerate(SPELLINGS)
        for other in PATHS
    ]

    assert [r for r in refused if r[2] != 429] == []


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spelling", ["alice", *SPELLINGS])
def test_the_right_password_with_any_spelling_is_refused_while_limited(alice, path, spelling):
    spend_the_limit(path)

    status, client = attempt(path, spelling, PASSWORD, "10.9.2.1")

    assert status == 429
    assert "_auth_user_id" not in client.session


def test_the_spellings_the_forms_accept_log_in_once_the_limit_is_not_spent(alice):
    # The same folding that the limit counts is what logs in: the check above is not
    # refusing names that could never log in anyway.
    for n, spelling in enumerate(SPELLINGS):
        status, client = attempt("/login", spelling, PASSWORD, f"10.9.3.{n}")
        assert status == 302, spelling
        assert client.session["_auth_user_id"] == str(alice.pk)


@pytest.mark.parametrize("path", PATHS)
def test_a_failed_login_is_logged_alike_on_every_path(alice, path, caplog):
    caplog.set_level(logging.WARNING, logger="accounts.signals")

    attempt(path, " ALICE ", "wrong", "10.9.4.1")

    lines = [r.getMessage() for r in caplog.records if r.name == "accounts.signals"]
    assert lines == [f"Failed login for 'alice' from 10.9.4.1 on {path}"]


def test_a_name_cannot_forge_a_log_line(alice, caplog):
    caplog.set_level(logging.WARNING, logger="accounts.signals")

    attempt("/login", "x\nFailed login for 'root'", "wrong", "10.9.5.1")

    [line] = [r.getMessage() for r in caplog.records if r.name == "accounts.signals"]
    assert "\n" not in line
