"""Every browser path answers a page, never JSON; no page input answers 500.

A browser's path is a page's or the admin's (common.middleware.uses_cookies), or an
unknown path outside the API's prefixes that a browser asks for (Accept: text/html). Its
404, CSRF failure, 429, 500 and 503 come in the site's layout; the API keeps its JSON.
"""

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client, override_settings

from accounts.models import User
from ballots.models import Ballot
from tests.conftest import PASSWORD, D, on

pytestmark = pytest.mark.django_db

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
UUID = "00000000-0000-4000-8000-000000000000"


def title(response) -> str:
    found = re.search(r"<title>(.*?)</title>", response.text, re.S)
    assert found is not None, response.text[:300]
    return found.group(1)


def assert_page(response, status: int, heading: str) -> None:
    """An HTML page of the site's layout (pages/base.html), in English, with a title."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="en">' in response.text
    assert title(response) == f"{heading} · Daily Lottery"
    assert f"<h1>{heading}</h1>" in response.text
    assert 'class="site-header"' in response.text


def logged_in(username: str = "alice", **extra: Any) -> Client:
    client = Client(**extra)
    assert client.login(username=username, password=PASSWORD)
    return client


# --- 404 ----------------------------------------------------------------------------------

MISTYPED = [
    "/resultsx",
    "/results/2026-11-20/extra",
    "/login/",
    "/play/now",
    "/my/ballotz",
    "/my/ballots/not-a-uuid",
    f"/my/ballots/{UUID[:-1]}",
    "/my/ballots/not-a-uuid/receipt",
]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", MISTYPED)
def test_a_mistyped_page_path_is_a_404_page(user, settings, debug, path):
    settings.DEBUG = debug  # make run's DEBUG answers the same as production

    response = logged_in().get(path)

    assert_page(response, 404, "Not found")
    assert "There is no page at this address" in response.text
    assert "Log out" in response.text  # the person's own header: still signed in


@pytest.mark.parametrize("path", ["/result/2026-11-20", "/reslts", "/no-such-page"])
def test_an_unknown_path_a_browser_asks_for_is_a_404_page(client, path):
    response = client.get(path, headers=BROWSER)

    assert_page(response, 404, "Not found")
    assert response["Vary"] == "Accept"
    # The same path asked for by a program: the API's JSON, as before.
    assert client.get(path).json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["/ballots/", "/draws/x/y", "/accounts/nope", "/docs/nope"])
def test_an_api_path_stays_json_even_for_a_browser(client, path):
    response = client.get(path, headers=BROWSER)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_the_admins_own_404_is_a_page(settings):
    User.objects.create_superuser(username="root", password=PASSWORD)
    settings.DEBUG = False

    assert_page(logged_in("root").get("/admin/no-such-app/"), 404, "Not found")


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/register", {"username": "sneaky", "password1": PASSWORD, "password2": PASSWORD}),
        ("/login", {"username": "alice", "password": PASSWORD}),
        ("/admin/login/", {"username": "alice", "password": PASSWORD}),
        ("/logout", {}),
    ],
)
def test_a_form_without_its_csrf_token_is_a_403_page(user, path, form):
    response = Client(enforce_csrf_checks=True).post(path, form)

    assert_page(response, 403, "This form could not be sent")
    assert "reload the page and send the form again" in response.text
    assert "detail" not in response.text
    assert not User.objects.filter(username="sneaky").exists()


# --- 429 and 503 --------------------------------------------------------------------------


def test_the_admins_login_past_its_limit_is_a_429_page(settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 2
    client = Client()
    for _ in range(2):
        client.post("/admin/login/", {"username": "x", "password": "y"})

    response = client.post("/admin/login/", {"username": "x", "password": "y"})

    assert_page(response, 429, "Too many attempts")
    assert 0 < int(response["Retry-After"]) <= 60


@contextmanager
def database_down() -> Iterator[None]:
    """Every query fails as a database that went away fails (the connection is refused)."""
    down = OperationalError("connection refused")
    with (
        mock.patch.object(CursorWrapper, "execute", side_effect=down),
        mock.patch.object(CursorWrapper, "executemany", side_effect=down),
    ):
        yield


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/", "/results", f"/results/{D}", "/play", "/my/ballots"])
def test_a_page_with_its_database_down_is_a_503_page_with_retry_after(user, settings, debug, path):
    settings.DEBUG = debug
    client = logged_in(raise_request_exception=False)

    with database_down():
        response = client.get(path)

    assert_page(response, 503, "Briefly unavailable")
    assert response["Retry-After"] == "5"
    assert "Log out" not in response.text  # drawn without the session's user: no database


def test_the_api_with_its_database_down_keeps_its_json_503(client):
    with database_down():
        response = client.get("/lotteries")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "The database is unavailable; try again shortly."}


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/login", {"username": "alice", "password": PASSWORD}),
        ("/register", {"username": "bob", "password1": PASSWORD, "password2": PASSWORD}),
    ],
)
def test_a_form_with_the_cache_down_is_a_503_page(user, path, form):
    nothing_listens = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with override_settings(CACHES=nothing_listens):
        response = Client(raise_request_exception=False).post(path, form)

    assert_page(response, 503, "Briefly unavailable")
    assert response["Retry-After"] == "5"
    assert not User.objects.filter(username="bob").exists()


# --- 500 and 400 --------------------------------------------------------------------------


def test_an_unexpected_error_on_a_page_is_a_500_page_that_needs_no_database(user, settings):
    settings.DEBUG = False
    client = logged_in(raise_request_exception=False)

    with mock.patch("pages.views.draw_selectors.draw_list", side_effect=RuntimeError("boom")):
        response = client.get("/results")

    assert_page(response, 500, "Something went wrong")
    assert "boom" not in response.text
    assert "Log out" not in response.text


def test_the_500_page_is_drawn_even_when_the_database_fails_on_the_way(user, settings):
    settings.DEBUG = False
    client = logged_in(raise_request_exception=False)

    with (
        mock.patch("pages.views.draw_selectors.draw_list", side_effect=RuntimeError("boom")),
        mock.patch.object(CursorWrapper, "execute", side_effect=RuntimeError("and again")),
    ):
        response = client.get("/results")

    assert_page(response, 500, "Something went wrong")


def test_the_api_keeps_its_json_500(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    with mock.patch("ballots.api.selectors.lottery_open_list", side_effect=RuntimeError("x")):
        response = client.get("/lotteries", headers=BROWSER)

    assert response.json() == {"detail": "Internal server error."}


def test_too_many_fields_on_a_page_is_a_400_page(client):
    query = "&".join(f"f{n}=1" for n in range(1500))  # DATA_UPLOAD_MAX_NUMBER_FIELDS: 1000

    response = client.get(f"/results?{query}")

    assert_page(response, 400, "Bad request")


# --- next= ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/login", "/login/", "/login?next=/login", "/logout", "/register", "//login", "http://[::1"],
)
def test_a_signed_in_person_following_a_next_that_leads_back_lands_on_their_ballots(user, target):
    client = logged_in()

    response = client.get("/login", {"next": target})

    assert response.status_code == 302
    assert response["Location"] == "/my/ballots"


@pytest.mark.parametrize("target", ["/login", "/logout", "/login?next=/login"])
def test_logging_in_with_a_next_that_leads_back_lands_on_their_ballots(client, user, target):
    response = client.post("/login", {"username": "alice", "password": PASSWORD, "next": target})

    assert response.status_code == 302
    assert response["Location"] == "/my/ballots"


def test_a_next_elsewhere_on_the_site_is_still_followed(user):
    response = logged_in().get("/login", {"next": "/play?date=2026-11-20"})

    assert response["Location"] == "/play?date=2026-11-20"


# --- Odd input on every form: never a 500 ------------------------------------------------

ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\nX-Injected: 1",
    "x" * 5000,
    "9" * 400,
    "-1",
    "0",
    "1e309",
    "NaN",
    "0x10",
    "\uff11\uff12",  # full-width digits
    "\u202e\u0634",
    "\ud7ff\U0001f600",
    "<script>alert(1)</script>",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "../../etc/passwd",
    "%00",
    "//evil.example",
    "http://[::1",
    "javascript:alert(1)",
]

FORMS = {
    "/register": {
        "username": "newcomer",
        "email": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    },
    "/login": {"username": "alice", "password": PASSWORD, "next": "/play"},
    "/play": {"date": str(D), "count": "1"},
}
QUERIES = {
    "/my/ballots": {"date": str(D), "status": "pending", "page": "1"},
    "/results": {"page": "1"},
    f"/results/{D}": {"ballot": UUID},
    "/login": {"next": "/play"},
    "/register": {"next": "/play"},
    "/play": {"date": str(D)},
}


@pytest.fixture
def roomy_limits(settings):
    # Odd input reaches the forms' checks, not the rate limits.
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 100_000
    settings.AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE = 100_000
    settings.BALLOT_RATE_LIMIT_PER_MINUTE = 100_000


def never_500(response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.content[:500])
    if response.status_code != 302:
        assert response["Content-Type"] == "text/html; charset=utf-8", what


@pytest.mark.parametrize("path", FORMS)
def test_odd_values_in_any_form_field_never_answer_500(user, roomy_limits, path):
    fields = FORMS[path]
    with on(D):
        for (field, value), repeated in itertools.product(
            [(f, v) for f in fields for v in ODD], [False, True]
        ):
            client = logged_in() if path == "/play" else Client()
            data: dict[str, object] = {**fields, field: [value, value] if repeated else value}
            never_500(client.post(path, data), f"POST {path} {field}={value!r}")
        # A field left out altogether, and a form with nothing at all.
        for field in fields:
            client = logged_in() if path == "/play" else Client()
            data = {k: v for k, v in fields.items() if k != field}
            never_500(client.post(path, data), f"POST {path} without {field}")


@pytest.mark.parametrize("path", QUERIES)
def test_odd_values_in_any_query_never_answer_500(user, roomy_limits, path):
    client = logged_in()
    anonymous = Client()
    params = QUERIES[path]
    with on(D):
        for field, value in ((f, v) for f in params for v in ODD):
            for who in (client, anonymous):
                never_500(who.get(path, {**params, field: value}), f"GET {path} {field}={value!r}")
    assert Ballot.objects.count() == 0


@pytest.mark.parametrize("value", ODD)
def test_odd_ballot_ids_and_dates_in_page_paths_never_answer_500(user, value):
    client = logged_in()
    quoted = value.replace("%", "%25").replace("/", "%2F").replace("\r", "%0D").replace("\n", "%0A")
    for template in ("/results/{}", "/my/ballots/{}", "/my/ballots/{}/receipt"):
        path = template.format(quoted)
        never_500(client.get(path), f"GET {path!r}")
