"""The cache's Redis refusing or silent: a 503 with Retry-After in bounded time, never a 500."""

import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client, override_settings

from ballots.models import Ballot
from tests.conftest import PASSWORD, D, on, submit
from tests.silent import SilentServer

pytestmark = pytest.mark.django_db


def redis_cache_at(port: int) -> dict[str, object]:
    """What settings.py configures for CACHE_URL=redis://127.0.0.1:<port>/0."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": settings.CACHE_REDIS_OPTIONS,
        }
    }


@pytest.fixture(params=["silent", "refusing"])
def broken_cache(request) -> Iterator[str]:
    # override_settings rather than the settings fixture: the cache must be the real one
    # again before the suite's own fixture clears it.
    if request.param == "silent":
        server = SilentServer()
        with override_settings(CACHES=redis_cache_at(server.port)):
            yield request.param
        server.close()
    else:
        with override_settings(CACHES=redis_cache_at(1)):  # nothing listens on port 1
            yield request.param


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_a_ballot_is_a_503_with_retry_after(auth_client, broken_cache):
    auth_client.raise_request_exception = False
    with on(D):
        response, took = timed(lambda: submit(auth_client))

    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert "unavailable" in response.json()["detail"]
    assert took < 5
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("path", ["/token/pair", "/accounts/register"])
def test_the_password_endpoints_are_a_503(user, broken_cache, path):
    client = Client(raise_request_exception=False)
    response, took = timed(
        lambda: client.post(
            path, {"username": "alice", "password": PASSWORD}, content_type="application/json"
        )
    )

    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert took < 5


def test_admin_login_is_a_503_page(user, broken_cache):
    client = Client(raise_request_exception=False)
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Briefly unavailable" in response.text  # a browser's path: HTML


def test_the_docs_declare_the_503(client):
    paths = client.get("/openapi.json").json()["paths"]

    for path, method in [("/ballots", "post"), ("/ballots/batch", "post"), ("/token/pair", "post")]:
        assert "503" in paths[path][method]["responses"], path
