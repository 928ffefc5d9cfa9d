"""POST /ballots with an Idempotency-Key: a client may retry without doubling its ballot."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from ballots import services
from ballots.models import Ballot
from tests.conftest import D, bearer_client, on, submit, wait_until_a_query_waits_on_a_lock


def submit_with_key(client, key: str, lottery_date: object = None):
    payload = {} if lottery_date is None else {"date": str(lottery_date)}
    return client.post(
        "/ballots", payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


@pytest.mark.django_db
def test_repeating_a_key_returns_the_original_ballot_and_stores_nothing_new(auth_client):
    with on(D):
        first = submit_with_key(auth_client, "order-1")
        again = submit_with_key(auth_client, "order-1")

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Ballot.objects.count() == 1


@pytest.mark.django_db
def test_a_new_key_or_no_key_makes_a_new_ballot(auth_client):
    with on(D):
        ids = {
            submit_with_key(auth_client, "a").json()["id"],
            submit_with_key(auth_client, "b").json()["id"],
            submit(auth_client).json()["id"],
            submit(auth_client).json()["id"],
        }

    assert len(ids) == 4
    assert Ballot.objects.count() == 4


@pytest.mark.django_db
def test_the_same_key_for_another_date_is_refused_clearly(auth_client):
    with on(D):
        submit_with_key(auth_client, "order-1")
        response = submit_with_key(auth_client, "order-1", D + timedelta(1))

    assert response.status_code == 422
    assert "Idempotency-Key was already used" in response.json()["detail"]
    assert Ballot.objects.count() == 1


@pytest.mark.django_db
def test_a_repeat_after_the_day_closed_still_returns_the_original(auth_client):
    with on(D, hour=23):
        first = submit_with_key(auth_client, "late")
    with on(D + timedelta(1), hour=1):  # the client's retry of the same request, after midnight
        again = submit_with_key(auth_client, "late")

    assert first.status_code == 201
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.django_db
def test_another_user_with_the_same_key_gets_their_own_ballot(auth_client, other_client):
    with on(D):
        mine = submit_with_key(auth_client, "shared-key").json()
        theirs = submit_with_key(other_client, "shared-key").json()
        mine_again = submit_with_key(auth_client, "shared-key").json()

    assert mine["id"] != theirs["id"]
    assert mine_again["id"] == mine["id"]
    assert Ballot.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_empty_or_overlong_key_is_refused(auth_client, key):
    with on(D):
        response = submit_with_key(auth_client, key)

    assert response.status_code == 422
    assert Ballot.objects.count() == 0


def test_the_docs_declare_the_header(client):
    operation = client.get("/openapi.json").json()["paths"]["/ballots"]["post"]

    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header"
    assert header["required"] is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_repeat_racing_the_first_request_waits_for_it_and_returns_its_ballot(user):
    """The first request holds its key uncommitted; the repeat must wait, then answer with it."""
    client = bearer_client(user)
    inserted, release = threading.Event(), threading.Event()
    first: list[Ballot] = []

    def first_request() -> None:
        try:
            with on(D), transaction.atomic():
                first.append(services.ballot_submit(user_id=user.id, idempotency_key="race"))
                inserted.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=first_request, daemon=True)
    holder.start()
    assert inserted.wait(timeout=30)
    answers = []
    repeat = threading.Thread(
        target=lambda: answers.append(_in_own_connection(client)), daemon=True
    )
    repeat.start()
    wait_until_a_query_waits_on_a_lock("the repeat")
    release.set()
    holder.join(timeout=30)
    repeat.join(timeout=30)

    assert answers[0].status_code == 201, answers[0].content
    assert answers[0].json()["id"] == str(first[0].id)
    assert Ballot.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_repeats_store_one_ballot(user):
    client = bearer_client(user)
    start = threading.Barrier(8)
    answers = []

    def request() -> None:
        start.wait()
        answers.append(_in_own_connection(client))

    threads = [threading.Thread(target=request, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [answer.status_code for answer in answers] == [201] * 8
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert Ballot.objects.count() == 1


def _in_own_connection(client):
    try:
        with on(D):
            return submit_with_key(client, "race")
    finally:
        connection.close()
