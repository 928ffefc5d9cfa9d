"""One account per canonical username (NFKC + case folding): register, login, admin login."""

import threading

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGMA, FINAL_SIGMA = "q\u03c3", "q\u03c2"
FULL_WIDTH_ALICE = "\uff41\uff4c\uff49\uff43\uff45"


def register(client, username):
    return client.post(
        "/accounts/register",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
    )


def pair(client, username):
    return client.post(
        "/token/pair", {"username": username, "password": PASSWORD}, content_type="application/json"
    )


def test_the_two_sigmas_are_one_name(client):
    assert register(client, SIGMA).status_code == 201

    assert register(client, FINAL_SIGMA).status_code == 409
    assert pair(client, FINAL_SIGMA).status_code == 200
    assert pair(client, SIGMA).status_code == 200


def test_log_in_with_the_full_width_spelling_of_a_name(client):
    assert register(client, "alice").status_code == 201

    response = pair(client, FULL_WIDTH_ALICE)

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_admin_login_uses_the_canonical_name_too(client):
    User.objects.create_superuser(username=SIGMA, password=PASSWORD)

    response = client.post("/admin/login/", {"username": FINAL_SIGMA, "password": PASSWORD})

    assert response.status_code == 302  # logged in, sent on to the admin
    assert client.get("/admin/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_registrations_of_one_canonical_name_at_once_make_one_account():
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def attempt(username: str) -> None:
        barrier.wait()
        statuses.append(register(Client(), username).status_code)
        connection.close()

    threads = [threading.Thread(target=attempt, args=(name,)) for name in (SIGMA, FINAL_SIGMA)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 409]
    assert User.objects.count() == 1
    assert pair(Client(), SIGMA).status_code == pair(Client(), FINAL_SIGMA).status_code == 200


def test_the_migration_gives_existing_users_their_key_and_keeps_the_oldest_of_a_clash():
    from importlib import import_module

    migration = import_module("accounts.migrations.0002_username_canonical_key")
    older = User.objects.create_user(username=SIGMA, password=PASSWORD)
    plain = User.objects.create_user(username="Bob", password=PASSWORD)
    newer = User.objects.create_user(username="placeholder", password=PASSWORD)
    # As lower() allowed before the migration: the same canonical name twice.
    User.objects.filter(pk=newer.pk).update(username=FINAL_SIGMA, username_key="old")
    User.objects.filter(pk=older.pk).update(username_key="older")
    User.objects.filter(pk=plain.pk).update(username_key="plain")

    migration.fill_username_keys(apps, None)

    keys = dict(User.objects.values_list("pk", "username_key"))
    assert keys[older.pk] == SIGMA
    assert keys[plain.pk] == "bob"
    assert keys[newer.pk].startswith(f"{SIGMA} duplicate")
    client = Client()
    assert pair(client, "BOB").status_code == 200
    assert pair(client, FINAL_SIGMA).json()["username"] == SIGMA  # the older account


def test_the_admin_refuses_a_second_user_with_the_same_canonical_name(client):
    admin = User.objects.create_superuser(username="root", password=PASSWORD)
    User.objects.create_user(username=SIGMA, password=PASSWORD)
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/user/add/",
        {"username": FINAL_SIGMA, "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 200  # the form again, with the error
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 2
