"""Results are cached like the facts they are; lists stay fresh across midnight."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from draws.models import Draw
from draws.services import lottery_draw
from tests.conftest import D, on, the_day_after

pytestmark = pytest.mark.django_db

IMMUTABLE = "public, max-age=31536000, immutable"


def at(iso: str):
    return time_machine.travel(datetime.fromisoformat(iso), tick=False)


@pytest.fixture
def drawn_day(ballots_on):
    ballots_on(D, 3)
    with on(the_day_after(D)):
        lottery_draw(lottery_date=D)
    return D


def test_a_drawn_day_is_immutable_and_read_from_the_database_once(
    client, drawn_day, django_assert_num_queries
):
    first = client.get(f"/draws/{drawn_day}")
    with django_assert_num_queries(0):
        again = client.get(f"/draws/{drawn_day}")

    assert first.status_code == again.status_code == 200
    assert first["Cache-Control"] == again["Cache-Control"] == IMMUTABLE
    assert first["ETag"] == again["ETag"]
    assert first["ETag"].startswith('"')
    assert first.content == again.content
    assert again.json()["ballot_count"] == 3


@pytest.mark.parametrize("sent", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_a_client_holding_the_result_gets_304_without_a_query(
    client, drawn_day, django_assert_num_queries, sent
):
    etag = client.get(f"/draws/{drawn_day}")["ETag"]

    with django_assert_num_queries(0):
        response = client.get(f"/draws/{drawn_day}", HTTP_IF_NONE_MATCH=sent.format(etag=etag))

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == IMMUTABLE


def test_a_stale_etag_gets_the_full_result(client, drawn_day):
    response = client.get(f"/draws/{drawn_day}", HTTP_IF_NONE_MATCH='"not-this-one"')

    assert response.status_code == 200
    assert response.json()["date"] == str(drawn_day)


def test_a_day_not_drawn_yet_is_not_cached_and_shows_once_drawn(client, ballots_on):
    ballots_on(D, 2)
    before = client.get(f"/draws/{D}")
    with on(the_day_after(D)):
        lottery_draw(lottery_date=D)
    after = client.get(f"/draws/{D}")

    assert before.status_code == 404
    assert "immutable" not in before.get("Cache-Control", "")
    assert after.status_code == 200
    assert after.json()["ballot_count"] == 2


def test_a_day_still_drawing_is_read_each_time_and_kept_once_drawn(
    client, drawn_day, django_assert_num_queries
):
    draw = Draw.objects.get(lottery__date=drawn_day)
    # As between the close and the winner: the count and root are out, the result is not.
    Draw.objects.filter(pk=draw.pk).update(state=Draw.State.DRAWING)
    drawing = client.get(f"/draws/{drawn_day}")
    Draw.objects.filter(pk=draw.pk).update(state=Draw.State.DRAWN)
    drawn = client.get(f"/draws/{drawn_day}")
    with django_assert_num_queries(0):
        again = client.get(f"/draws/{drawn_day}")

    assert drawing.json()["state"] == "drawing"
    assert drawing["Cache-Control"] == "no-cache"
    assert drawn.json()["state"] == again.json()["state"] == "drawn"
    assert drawn["Cache-Control"] == again["Cache-Control"] == IMMUTABLE
    assert drawn["ETag"] != drawing["ETag"]


@pytest.mark.parametrize("path", ["/draws", "/lotteries"])
@pytest.mark.parametrize(
    ("now", "max_age"),
    [
        ("2026-11-28T12:00:00+00:00", 60),
        ("2026-11-28T23:59:30+00:00", 30),
        ("2026-11-28T23:59:59.5+00:00", 0),
        ("2026-11-29T00:00:00+00:00", 60),
    ],
)
def test_lists_are_fresh_for_a_minute_at_most_and_never_past_midnight(client, path, now, max_age):
    with at(now):
        response = client.get(path)

    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, max-age={max_age}"


def test_list_freshness_ends_at_midnight_in_the_lottery_time_zone(client, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    # 22:59:50 UTC is 23:59:50 in Amsterdam (CET, UTC+1): ten seconds to its midnight.
    with at("2026-11-28T22:59:50+00:00"):
        response = client.get("/lotteries")

    assert response["Cache-Control"] == "public, max-age=10"


@pytest.mark.parametrize("path", ["/draws", "/lotteries"])
def test_lists_answer_304_to_a_client_with_the_current_version(client, drawn_day, path):
    with on(the_day_after(drawn_day)):
        etag = client.get(path)["ETag"]
        response = client.get(path, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response["Cache-Control"].startswith("public, max-age=")


def test_a_new_draw_appears_in_the_list_at_once(client, ballots_on):
    ballots_on(D, 1)
    ballots_on(the_day_after(D), 1)
    day_2 = the_day_after(D)
    with on(the_day_after(D)):
        lottery_draw(lottery_date=D)
        first = client.get("/draws")
    with on(the_day_after(day_2)):
        lottery_draw(lottery_date=day_2)
        # A client revalidating the old list gets the new one, not a 304.
        second = client.get("/draws", HTTP_IF_NONE_MATCH=first["ETag"])

    assert [item["date"] for item in first.json()["items"]] == [str(D)]
    assert second.status_code == 200
    assert [item["date"] for item in second.json()["items"]] == [str(day_2), str(D)]
    assert second["ETag"] != first["ETag"]


def test_a_page_of_results_is_rendered_once_per_version_of_the_list(
    client, drawn_day, django_assert_num_queries
):
    first = client.get("/draws?limit=5")
    with django_assert_num_queries(1):  # the list's version, nothing else
        again = client.get("/draws?limit=5")
    other_page = client.get("/draws?limit=5&offset=1")

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.json()["count"] == 1
    assert [item["ballot_count"] for item in again.json()["items"]] == [3]
    assert other_page.json() == {"items": [], "count": 1}


def test_private_answers_get_no_public_validators(auth_client):
    with at("2026-11-28T12:00:00+00:00"):
        response = auth_client.get("/ballots")

    assert response.status_code == 200
    assert not response.has_header("ETag")
    assert "public" not in response.get("Cache-Control", "")


def test_the_midnight_bound_holds_in_every_second_of_the_day(client):
    # The day's last answer must expire by the end of the day, whatever second it is.
    start = datetime(2026, 11, 28, 23, 58, 50, tzinfo=UTC)
    for second in range(0, 80, 7):
        now = start + timedelta(seconds=second)
        with time_machine.travel(now, tick=False):
            max_age = int(client.get("/draws")["Cache-Control"].rsplit("=", 1)[1])
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        assert now + timedelta(seconds=max_age) <= midnight
