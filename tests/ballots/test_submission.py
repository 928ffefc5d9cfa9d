from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from ballots.models import Ballot, Lottery
from tests.conftest import bearer_client, submit

pytestmark = pytest.mark.django_db

AMSTERDAM = "Europe/Amsterdam"


@pytest.fixture
def amsterdam(settings):
    settings.TIME_ZONE = AMSTERDAM


def at(iso: str):
    return time_machine.travel(datetime.fromisoformat(iso), tick=False)


def test_it_accepts_a_ballot_for_today_by_default(auth_client, user):
    with at("2026-11-28T12:00:00+00:00"):
        response = submit(auth_client)

    assert response.status_code == 201
    body = response.json()
    assert body["date"] == "2026-11-28"
    assert body["status"] == "pending"
    assert datetime.fromisoformat(body["created_at"]) == datetime(2026, 11, 28, 12, tzinfo=UTC)
    ballot = Ballot.objects.get(pk=body["id"])
    assert ballot.user_id == user.pk
    assert ballot.lottery.date == date(2026, 11, 28)


def test_an_empty_body_means_today(auth_client):
    with at("2026-11-28T12:00:00+00:00"):
        response = auth_client.post("/ballots", content_type="application/json")

    assert response.status_code == 201
    assert response.json()["date"] == "2026-11-28"


def test_the_default_date_is_taken_at_request_time_not_at_start_up(auth_client):
    with at("2026-11-28T23:59:59+00:00"):
        first = submit(auth_client).json()["date"]
    with at("2026-11-29T00:00:01+00:00"):
        second = submit(auth_client).json()["date"]

    assert (first, second) == ("2026-11-28", "2026-11-29")


def test_the_default_date_is_today_in_the_lottery_time_zone(auth_client, amsterdam):
    # 23:30 UTC is already 00:30 the next day in Amsterdam (CET, UTC+1).
    with at("2026-11-28T23:30:00+00:00"):
        assert submit(auth_client).json()["date"] == "2026-11-29"


def test_it_accepts_every_day_of_the_open_window(auth_client):
    with at("2026-11-28T12:00:00+00:00"):
        statuses = [
            submit(auth_client, date(2026, 11, 28) + timedelta(d)).status_code for d in range(7)
        ]

    assert statuses == [201] * 7
    assert Lottery.objects.count() == 7


@pytest.mark.parametrize(
    "lottery_date",
    [date(2026, 11, 27), date(2026, 12, 5), date(2027, 11, 28), date(2000, 1, 1)],
    ids=["yesterday", "today+7", "next-year", "long-ago"],
)
def test_it_refuses_a_day_outside_the_window_and_names_the_window(auth_client, lottery_date):
    with at("2026-11-28T12:00:00+00:00"):
        response = submit(auth_client, lottery_date)

    assert response.status_code == 422
    assert "2026-11-28 to 2026-12-04" in response.json()["detail"]
    assert not Ballot.objects.exists()


@pytest.mark.parametrize(
    "raw",
    ["2026-02-30", "2026-13-01", "28-11-2026", "tomorrow", "", "2026-11-28T10:00:00", "20261128"],
)
def test_it_refuses_a_date_that_is_not_a_real_yyyy_mm_dd_day(auth_client, raw):
    with at("2026-11-28T12:00:00+00:00"):
        response = auth_client.post("/ballots", {"date": raw}, content_type="application/json")

    assert response.status_code == 422
    assert not Ballot.objects.exists()


def test_a_null_date_means_today(auth_client):
    with at("2026-11-28T12:00:00+00:00"):
        response = auth_client.post("/ballots", {"date": None}, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["date"] == "2026-11-28"


@pytest.mark.parametrize(
    "payload", [{"date": "2026-11-28", "user_id": 99}, {"winner": True}, {"date": 20261128}]
)
def test_it_refuses_unknown_fields_and_wrong_types(auth_client, payload):
    with at("2026-11-28T12:00:00+00:00"):
        response = auth_client.post("/ballots", payload, content_type="application/json")

    assert response.status_code == 422
    assert not Ballot.objects.exists()


def test_it_needs_a_token(client, db):
    assert submit(client).status_code == 401
    assert client.post("/ballots", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401
    assert not Ballot.objects.exists()


def test_it_refuses_a_ballot_for_a_closed_day_even_inside_the_window(auth_client):
    # A lottery row that the draw has already closed wins over any date arithmetic.
    Lottery.objects.create(date=date(2026, 11, 28), state=Lottery.State.CLOSED)
    with at("2026-11-28T12:00:00+00:00"):
        response = submit(auth_client, date(2026, 11, 28))

    assert response.status_code == 422
    assert "closed" in response.json()["detail"]
    assert not Ballot.objects.exists()


class TestMidnightInANonUtcZone:
    """Europe/Amsterdam, across the change back from CEST to CET on 2026-10-25."""

    def test_the_last_second_before_midnight_is_accepted(self, auth_client, amsterdam):
        # 2026-10-25 23:59:59 CET (UTC+1) == 22:59:59 UTC; the day had 25 hours.
        with at("2026-10-25T22:59:59+00:00"):
            response = submit(auth_client, date(2026, 10, 25))

        assert response.status_code == 201

    def test_the_first_second_after_midnight_is_refused(self, auth_client, amsterdam):
        with at("2026-10-25T23:00:00+00:00"):
            response = submit(auth_client, date(2026, 10, 25))

        assert response.status_code == 422
        assert "2026-10-26 to 2026-11-01" in response.json()["detail"]

    def test_the_day_lasts_from_midnight_cest_to_midnight_cet(self, auth_client, amsterdam):
        # 00:00 CEST on the 25th is 22:00 UTC on the 24th.
        with at("2026-10-24T22:00:00+00:00"):
            assert submit(auth_client).json()["date"] == "2026-10-25"
        with at("2026-10-24T21:59:59+00:00"):
            assert submit(auth_client).json()["date"] == "2026-10-24"

    def test_the_spring_change_shortens_the_day(self, auth_client, amsterdam):
        # 2026-03-29 has 23 hours: it ends at 00:00 CEST == 22:00 UTC.
        with at("2026-03-29T21:59:59+00:00"):
            assert submit(auth_client, date(2026, 3, 29)).status_code == 201
        with at("2026-03-29T22:00:00+00:00"):
            assert submit(auth_client, date(2026, 3, 29)).status_code == 422


@pytest.mark.django_db(transaction=True)
def test_a_token_that_outlived_its_deleted_user_gets_401_and_stores_nothing(user):
    client = bearer_client(user)  # a valid access token ...
    user.delete()  # ... whose user is deleted before it expires

    with at("2026-11-28T12:00:00+00:00"):
        response = submit(client)

    assert response.status_code == 401
    assert response.json() == {"detail": "The user of this token no longer exists."}
    assert not Ballot.objects.exists()
