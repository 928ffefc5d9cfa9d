"""The public reads answer any origin (a verifier page the lottery does not serve reads them
from its own), errors and 429s included; nothing that needs a token does."""

import pytest

from tests.conftest import D, on

pytestmark = pytest.mark.django_db

EXPOSED = "Retry-After, ETag, Content-Range"


def cross_origin(client, path: str, **extra: str):
    return client.get(path, HTTP_ORIGIN="null", **extra)


@pytest.mark.parametrize(
    "path",
    [
        "/draws",
        "/lotteries",
        "/log/key",
        "/log/checkpoint",  # 404 while the log is empty: an error, still readable
        f"/draws/{D}",  # 404: not drawn
        "/draws/not-a-date",  # 422
        f"/draws/{D}/ballots",
    ],
)
def test_public_reads_and_their_errors_answer_any_origin(client, path):
    with on(D):
        response = cross_origin(client, path)
    assert response["Access-Control-Allow-Origin"] == "*", response.status_code
    assert response["Access-Control-Expose-Headers"] == EXPOSED


def test_a_429_is_readable_with_its_retry_after(client, settings):
    settings.PUBLIC_READ_RATE_LIMIT_PER_MINUTE = 1
    with on(D):
        cross_origin(client, f"/draws/{D}/ballots")
        limited = cross_origin(client, f"/draws/{D}/ballots")
    assert limited.status_code == 429
    assert limited["Access-Control-Allow-Origin"] == "*"
    assert int(limited["Retry-After"]) > 0
    assert "Retry-After" in limited["Access-Control-Expose-Headers"]


def test_a_preflight_is_answered_for_the_public_reads_only(client):
    asked = {
        "HTTP_ORIGIN": "https://elsewhere.example",
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET",
    }
    preflight = client.options("/log/entries", **asked)
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD"
    private = client.options("/ballots", **asked)
    assert "Access-Control-Allow-Origin" not in private


@pytest.mark.parametrize("path", ["/ballots", "/users/me", "/docs", "/"])
def test_what_needs_a_token_or_a_session_is_not_shared(client, path):
    assert "Access-Control-Allow-Origin" not in cross_origin(client, path)
