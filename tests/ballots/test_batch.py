from datetime import date, datetime

import pytest
import time_machine

from ballots.models import Ballot, Lottery
from tests.config.test_metrics import sample
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 28)


@pytest.fixture(autouse=True)
def noon():
    with time_machine.travel(datetime.fromisoformat("2026-11-28T12:00:00+00:00"), tick=False):
        yield


def batch(client, **payload: object):
    return client.post("/ballots/batch", payload, content_type="application/json")


def test_it_stores_count_ballots_and_answers_their_ids(auth_client, user):
    response = batch(auth_client, count=25)

    assert response.status_code == 201
    body = response.json()
    assert body["date"] == str(TODAY)
    assert body["count"] == 25
    assert len(set(body["ids"])) == 25
    stored = Ballot.objects.filter(user=user, lottery__date=TODAY)
    assert {str(ballot_id) for ballot_id in stored.values_list("id", flat=True)} == set(body["ids"])
    # They are ordinary ballots: the caller reads them like any other.
    listed = auth_client.get("/ballots?limit=100").json()
    assert listed["count"] == 25
    assert {item["status"] for item in listed["items"]} == {"pending"}


def test_it_takes_any_open_day(auth_client):
    response = batch(auth_client, date="2026-12-04", count=3)

    assert response.status_code == 201
    assert response.json()["date"] == "2026-12-04"
    assert Ballot.objects.filter(lottery__date=date(2026, 12, 4)).count() == 3


def test_the_batch_is_one_statement_once_the_day_exists(auth_client, django_assert_num_queries):
    batch(auth_client, count=1)

    with django_assert_num_queries(1):
        assert batch(auth_client, count=100).status_code == 201
    assert Ballot.objects.count() == 101


@pytest.mark.parametrize(
    "payload",
    [
        {"count": 0},
        {"count": 101},
        {"count": -1},
        {"count": "5"},
        {"count": 2.5},
        {"count": True},
        {},
        {"count": 5, "user_id": 99},
        {"count": 5, "date": "2026-13-01"},
    ],
)
def test_it_refuses_bad_input_and_stores_nothing(auth_client, payload):
    response = auth_client.post("/ballots/batch", payload, content_type="application/json")

    assert response.status_code == 422
    assert "detail" in response.json()
    assert not Ballot.objects.exists()


def test_the_largest_batch_is_the_setting(auth_client, settings):
    settings.LOTTERY_MAX_BATCH = 10

    response = batch(auth_client, count=11)

    assert response.status_code == 422
    assert "between 1 and 10" in response.json()["detail"]
    assert not Ballot.objects.exists()


def test_a_day_outside_the_window_is_refused_whole(auth_client):
    response = batch(auth_client, date="2026-12-05", count=10)

    assert response.status_code == 422
    assert "2026-11-28 to 2026-12-04" in response.json()["detail"]
    assert not Ballot.objects.exists()


def test_a_closed_day_is_refused_whole(auth_client):
    Lottery.objects.create(date=TODAY, state=Lottery.State.CLOSED)

    response = batch(auth_client, count=10)

    assert response.status_code == 422
    assert "closed" in response.json()["detail"]
    assert not Ballot.objects.exists()


def test_it_needs_a_token(client):
    assert batch(client, count=1).status_code == 401
    assert not Ballot.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_for_a_deleted_user_stores_none_of_its_ballots(user):
    client = bearer_client(user)
    user.delete()

    response = batch(client, count=50)

    assert response.status_code == 401
    assert not Ballot.objects.exists()


def test_a_refused_batch_counts_each_of_its_ballots_as_refused(client, auth_client, settings):
    # Whatever the reason: a day that is not open, or text that is no date at all.
    settings.DEBUG, settings.METRICS_TOKEN = False, "scrape-token"
    before = sample(client, "lottery_ballots_total", outcome="refused")

    assert batch(auth_client, count=5, date="2026-02-30").status_code == 422
    assert batch(auth_client, count=5, date="2020-01-01").status_code == 422

    assert sample(client, "lottery_ballots_total", outcome="refused") == before + 10
