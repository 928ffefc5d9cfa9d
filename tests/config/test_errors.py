from unittest import mock

import pytest
from django.test import Client


def test_an_unknown_path_answers_json_404(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# "/" is the participants' home page (pages/), not a 404.
@pytest.mark.parametrize("path", ["/no-such-thing", "/ballots/", "/static/missing.css"])
def test_with_debug_on_an_unknown_path_answers_the_same_json_404(client, settings, path):
    # make run's DEBUG: Django used to answer its HTML debug page here.
    settings.DEBUG = True

    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_with_debug_on_admin_without_a_slash_still_redirects(client, settings):
    settings.DEBUG = True

    response = client.get("/admin")

    assert response.status_code == 301
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_with_debug_on_an_api_404_keeps_its_own_detail(client, settings):
    settings.DEBUG = True

    response = client.get("/draws/2020-01-01")

    assert response.status_code == 404
    assert response.json() == {"detail": "The lottery of 2020-01-01 has not been drawn."}


@pytest.mark.django_db
def test_an_unexpected_error_answers_json_500_and_is_logged(caplog):
    client = Client(raise_request_exception=False)
    with mock.patch("ballots.api.selectors.lottery_open_list", side_effect=RuntimeError("boom")):
        response = client.get("/lotteries")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}
    assert "Unhandled error on GET /lotteries" in caplog.text


@pytest.mark.django_db
def test_malformed_json_is_a_400_with_a_detail(client):
    response = client.post("/accounts/register", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}


@pytest.mark.django_db
def test_the_admins_csrf_failure_is_a_page(user):
    # A browser's path: the page in the site's layout (tests/pages/test_error_pages.py).
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "alice", "password": "x"})

    assert response.status_code == 403
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>This form could not be sent · Daily Lottery</title>" in response.text
