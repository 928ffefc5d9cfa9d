from datetime import date, datetime

import pytest
import time_machine

from ballots.models import Lottery
from tests.conftest import submit

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-11-28T12:00:00+00:00")


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def test_list_shows_only_my_ballots_newest_first(auth_client, other_client, now):
    mine = [submit(auth_client, date(2026, 11, 28 + i)).json()["id"] for i in range(3)]
    submit(other_client)

    body = auth_client.get("/ballots").json()

    assert body["count"] == 3
    assert [item["id"] for item in body["items"]] == mine[::-1]


def test_list_filters_by_date(auth_client, now):
    submit(auth_client, date(2026, 11, 28))
    wanted = submit(auth_client, date(2026, 11, 29)).json()["id"]

    body = auth_client.get("/ballots?date=2026-11-29").json()

    assert body["count"] == 1
    assert body["items"][0]["id"] == wanted


def test_list_filters_by_status(auth_client, now):
    submit(auth_client)

    assert auth_client.get("/ballots?status=pending").json()["count"] == 1
    assert auth_client.get("/ballots?status=won").json()["count"] == 0
    assert auth_client.get("/ballots?status=lost").json()["count"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "status=winning",
        "date=2026-02-30",
        "date=soon",
        "limit=0",
        "limit=101",
        "limit=100000000000",
        "offset=-1",
        "limit=abc",
    ],
)
def test_list_refuses_bad_query_parameters(auth_client, query):
    assert auth_client.get(f"/ballots?{query}").status_code == 422


def test_list_paginates_with_a_default_and_a_cap(auth_client, now):
    for _ in range(25):
        submit(auth_client)

    default = auth_client.get("/ballots").json()
    page = auth_client.get("/ballots?limit=10&offset=20").json()
    largest = auth_client.get("/ballots?limit=100")

    assert default["count"] == 25
    assert len(default["items"]) == 20
    assert len(page["items"]) == 5
    assert largest.status_code == 200


def test_list_needs_a_token(client, db):
    assert client.get("/ballots").status_code == 401


def test_detail_shows_my_ballot(auth_client, now):
    created = submit(auth_client).json()
    receipt = created.pop("receipt")  # the 201 alone carries it (GET /ballots/{id}/receipt)

    response = auth_client.get(f"/ballots/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert auth_client.get(f"/ballots/{created['id']}/receipt").json() == {"receipt": receipt}


def test_someone_elses_ballot_is_not_found(auth_client, other_client, now):
    theirs = submit(other_client).json()["id"]

    response = auth_client.get(f"/ballots/{theirs}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Ballot not found."}
    assert auth_client.get("/ballots/00000000-0000-0000-0000-000000000000").status_code == 404


def test_detail_refuses_an_id_that_is_not_a_uuid(auth_client):
    assert auth_client.get("/ballots/42").status_code == 422


def test_lotteries_lists_the_open_window_with_closing_times(client, db, settings, now):
    settings.TIME_ZONE = "Europe/Amsterdam"
    Lottery.objects.create(date=date(2026, 11, 28))

    body = client.get("/lotteries").json()

    assert [item["date"] for item in body] == [f"2026-11-{d}" for d in range(28, 31)] + [
        f"2026-12-0{d}" for d in range(1, 5)
    ]
    assert body[0] == {
        "date": "2026-11-28",
        "closes_at": "2026-11-29T00:00:00+01:00",
        "status": "open",
        "rule": "unicorn-pietrzak-rsa2048",
        "vdf_delay_log2": 8,
        "beacon_delay_seconds": None,
        "seed_commitment": None,
    }
    assert {item["status"] for item in body} == {"open"}


def test_lotteries_follows_the_open_days_setting(client, db, settings, now):
    settings.LOTTERY_OPEN_DAYS = 2

    assert [item["date"] for item in client.get("/lotteries").json()] == [
        "2026-11-28",
        "2026-11-29",
    ]
