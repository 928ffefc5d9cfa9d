"""A drawn day's ballot-id pages: rendered once, cached for good, and limited per address."""

import pytest
from django.test import Client

from draws.services import lottery_draw
from tests.conftest import D, on, the_day_after

pytestmark = pytest.mark.django_db

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def drawn_day(ballots_on):
    ballots_on(D, 5)
    with on(the_day_after(D)):
        lottery_draw(lottery_date=D)
    return D


def test_a_page_is_immutable_and_read_from_the_database_once(
    client, drawn_day, django_assert_num_queries
):
    first = client.get(f"/draws/{drawn_day}/ballots", {"limit": 3})
    with django_assert_num_queries(0):
        again = client.get(f"/draws/{drawn_day}/ballots", {"limit": 3})

    assert first.status_code == again.status_code == 200
    assert first["Cache-Control"] == again["Cache-Control"] == IMMUTABLE
    assert first["ETag"] == again["ETag"]
    assert first.content == again.content
    assert len(first.json()["items"]) == 3
    after = first.json()["next_after"]
    rest = client.get(f"/draws/{drawn_day}/ballots", {"limit": 3, "after": after}).json()
    assert len(rest["items"]) == 2
    assert rest["next_after"] is None


def test_a_client_holding_the_page_gets_304(client, drawn_day):
    etag = client.get(f"/draws/{drawn_day}/ballots")["ETag"]

    response = client.get(f"/draws/{drawn_day}/ballots", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag


def test_a_day_not_drawn_yet_is_not_cached(client, ballots_on):
    ballots_on(D, 2)
    assert client.get(f"/draws/{D}/ballots").status_code == 404
    with on(the_day_after(D)):
        lottery_draw(lottery_date=D)

    assert len(client.get(f"/draws/{D}/ballots").json()["items"]) == 2


@pytest.mark.parametrize("kind", ["page", "proof"])
def test_the_expensive_public_reads_are_limited_per_address(drawn_day, settings, kind):
    settings.PUBLIC_READ_RATE_LIMIT_PER_MINUTE = 3
    one, other = Client(REMOTE_ADDR="10.8.0.1"), Client(REMOTE_ADDR="10.8.0.2")
    ballot_id = one.get(f"/draws/{drawn_day}").json()["winning_ballot_id"]
    path = (
        f"/draws/{drawn_day}/ballots"
        if kind == "page"
        else f"/draws/{drawn_day}/ballots/{ballot_id}/proof"
    )

    answers = [one.get(path, {"limit": 2} if kind == "page" else {}) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert answers[-1].json() == {"detail": "Too many requests; try again later."}
    assert other.get(path).status_code == 200  # another address
    assert one.get(f"/draws/{drawn_day}").status_code == 200  # the result itself is cheap


def test_the_docs_declare_the_429(client):
    paths = client.get("/openapi.json").json()["paths"]

    assert "429" in paths["/draws/{lottery_date}/ballots"]["get"]["responses"]
    assert "429" in paths["/draws/{lottery_date}/ballots/{ballot_id}/proof"]["get"]["responses"]
