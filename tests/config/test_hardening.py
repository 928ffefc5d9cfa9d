"""Issue 8's hostile and careless inputs, each answered through HTTP with a JSON 4xx."""

import logging

import pytest
from django.test import Client

from common.logs import NoTracebackFormatter
from tests.conftest import PASSWORD, submit

pytestmark = pytest.mark.django_db

TOO_BIG = 2**63  # one past PostgreSQL's bigint (and SQLite's integer)


def test_the_schema_has_one_bearer_scheme_that_every_secured_endpoint_uses(client):
    schema = client.get("/openapi.json").json()

    schemes = schema["components"]["securitySchemes"]
    assert len(schemes) == 1
    (name,) = schemes
    # Issue 17 added the Authorize dialog's description and bearerFormat beside these.
    assert (schemes[name]["type"], schemes[name]["scheme"]) == ("http", "bearer")
    secured = [
        operation["security"]
        for path in schema["paths"].values()
        for operation in path.values()
        if "security" in operation
    ]
    assert len(secured) >= 4  # /accounts/me and the three ballot endpoints
    assert all(security == [{name: []}] for security in secured)


@pytest.mark.parametrize("path", ["/draws", "/ballots"])
def test_an_offset_past_bigint_is_a_422(auth_client, path):
    response = auth_client.get(path, {"offset": str(TOO_BIG)})

    assert response.status_code == 422
    assert "offset" in str(response.json()["detail"])


def test_a_large_but_sane_offset_is_an_empty_page(auth_client):
    response = auth_client.get("/ballots", {"offset": "1000000"})

    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0}


ARABIC_INDIC_DATE = "\u0662\u0660\u0662\u0666-\u0661\u0661-\u0662\u0669"  # 2026-11-29


@pytest.mark.parametrize("value", ["0", "1700000000", "2026-11-29T00:00:00", ARABIC_INDIC_DATE])
def test_a_date_filter_that_is_not_yyyy_mm_dd_is_a_422(auth_client, value):
    response = auth_client.get("/ballots", {"date": value})

    assert response.status_code == 422


def test_a_draw_date_that_is_not_yyyy_mm_dd_is_a_422(client):
    assert client.get("/draws/0").status_code == 422
    assert client.get("/draws/2026-11-20").status_code == 404  # well-formed, not drawn


@pytest.mark.parametrize("value", [0, "0", 20261129])
def test_a_ballot_date_that_is_not_yyyy_mm_dd_is_a_422(auth_client, value):
    response = auth_client.post("/ballots", {"date": value}, content_type="application/json")

    assert response.status_code == 422


@pytest.mark.parametrize("path", ["/ballots", "/token/pair", "/accounts/register"])
def test_a_body_over_the_limit_is_a_413_with_one_log_line_and_no_traceback(
    auth_client, path, caplog
):
    body = b'{"date": "' + b"x" * 3_000_000 + b'"}'
    with caplog.at_level(logging.INFO):
        response = auth_client.generic("POST", path, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large."}
    assert len(caplog.records) == 1
    assert caplog.records[0].exc_info is None


@pytest.mark.parametrize("path", ["/ballots", "/draws"])
def test_too_many_query_parameters_is_a_400(auth_client, path):
    query = "&".join(f"p{n}=1" for n in range(1001))

    response = auth_client.get(f"{path}?{query}")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_a_nul_in_the_username_is_refused_not_a_crash(client, user):
    response = client.post(
        "/token/pair",
        {"username": "alice\u0000", "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code in (401, 422)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_token_pair_refuses_anything_but_json_against_login_csrf(client, user, content_type):
    body = f'{{"username": "alice", "password": "{PASSWORD}"}}'

    response = client.generic("POST", "/token/pair", body, content_type=content_type)

    assert response.status_code == 415
    assert "access" not in response.json()


def test_json_with_a_charset_is_still_json(client, user):
    body = f'{{"username": "alice", "password": "{PASSWORD}"}}'

    response = client.generic(
        "POST", "/token/pair", body, content_type="application/json; charset=utf-8"
    )

    assert response.status_code == 200


def test_a_ballot_without_a_body_needs_no_content_type(auth_client):
    # What `curl -X POST .../ballots` sends: no body, no Content-Type.
    assert auth_client.generic("POST", "/ballots").status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("PUT", "/ballots", "GET"), ("OPTIONS", "/lotteries", "GET"), ("DELETE", "/draws", "GET")],
)
def test_a_method_a_path_lacks_is_a_json_405(auth_client, method, path, allow):
    response = auth_client.generic(method, path)

    assert response.status_code == 405
    assert response.json() == {"detail": "Method not allowed."}
    assert allow in response["Allow"]


@pytest.mark.parametrize("path", ["/draws", "/lotteries", "/draws/2026-11-20"])
def test_head_answers_like_get_without_a_body(client, path):
    get = client.get(path)
    head = client.head(path)

    assert head.status_code == get.status_code
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"]
    assert head["Content-Length"] == str(len(get.content))


def test_head_on_an_authenticated_path_still_needs_the_token(client):
    assert client.head("/ballots").status_code == 401


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
def test_a_post_to_the_docs_is_a_json_405(client, path):
    response = client.post(path, {})

    assert response.status_code == 405
    assert response.json() == {"detail": "Method not allowed."}


def test_a_host_header_not_allowed_is_a_json_400(settings):
    settings.DEBUG = False
    client = Client(HTTP_HOST="evil.example.com")

    response = client.get("/lotteries")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


def test_token_answers_and_authenticated_reads_are_not_stored_by_caches(client, user):
    pair = client.post(
        "/token/pair", {"username": "alice", "password": PASSWORD}, content_type="application/json"
    )
    refreshed = client.post(
        "/token/refresh", {"refresh": pair.json()["refresh"]}, content_type="application/json"
    )
    authed = Client(HTTP_AUTHORIZATION=f"Bearer {pair.json()['access']}")
    ballot_id = submit(authed).json()["id"]

    for response in (
        pair,
        refreshed,
        authed.get("/accounts/me"),
        authed.get("/ballots"),
        authed.get(f"/ballots/{ballot_id}"),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
    # Public reads stay cacheable (tests/draws/test_caching.py says for how long).
    assert client.get("/lotteries")["Cache-Control"].startswith("public")


def test_a_refused_host_is_logged_in_one_line(settings, caplog):
    settings.DEBUG = False

    Client(HTTP_HOST="evil.example.com").get("/lotteries")

    (record,) = caplog.records
    assert record.exc_info  # Django attaches the traceback ...
    (handler,) = [  # ... and our handler drops it
        handler
        for handler in logging.getLogger("django.security").handlers
        if isinstance(handler.formatter, NoTracebackFormatter)
    ]
    assert handler.format(record).count("\n") == 0
    assert "Invalid HTTP_HOST header" in handler.format(record)
