"""What the WSGI server hands the app: a chunked body, and the server's own environment.

Granian decodes a chunked body but sets no CONTENT_LENGTH, and copies the whole process
environment into every request's environ. These tests call the WSGI application itself
(the object Granian serves) with the environ such a server builds.
"""

import io
import json
import os
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.signals import request_started
from django.db import close_old_connections

from ballots.models import Ballot
from config.wsgi import application, django_application
from config.wsgi_edge import environment_kept_out
from tests.conftest import bearer_client, on

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 28)


@pytest.fixture
def token(user) -> str:
    return bearer_client(user).defaults["HTTP_AUTHORIZATION"].removeprefix("Bearer ")


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    # As Django's test client does: the handler would close the test's own connection.
    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


def call(
    method: str,
    path: str,
    body: bytes = b"",
    *,
    chunked: bool = True,
    terminated: bool = True,
    **extra: str,
) -> tuple[int, dict[str, str], Any]:
    """Call the WSGI app as Granian would: a chunked body has no CONTENT_LENGTH."""
    environ: dict[str, Any] = {
        **os.environ,  # what Granian copies into every request
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **extra,
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(len(body))
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(headers)

    content = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], json.loads(content) if content else None


def test_a_chunked_ballot_lands_on_the_day_it_names(token):
    day = TODAY + timedelta(days=3)
    with on(TODAY):
        status, _, body = call(
            "POST",
            "/ballots",
            json.dumps({"date": str(day)}).encode(),
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    assert status == 201, body
    assert body["date"] == str(day)
    assert Ballot.objects.get().lottery.date == day


def test_a_chunked_batch_is_read(token):
    with on(TODAY):
        status, _, body = call(
            "POST", "/ballots/batch", b'{"count": 3}', HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    assert status == 201, body
    assert Ballot.objects.count() == 3


def test_a_chunked_body_over_the_limit_is_a_json_413(token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    status, _, body = call(
        "POST",
        "/ballots",
        b'{"date": "' + b"x" * 2000 + b'"}',
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert status == 413
    assert body == {"detail": "Request body too large."}
    assert not Ballot.objects.exists()


def test_a_chunked_body_a_server_cannot_end_is_a_json_411(token):
    # A server that does not mark its input as terminated (wsgiref, `runserver`) hands
    # over the raw stream: there is no way to tell where the body ends.
    status, _, body = call(
        "POST", "/ballots", b"{}", terminated=False, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert status == 411
    assert "Content-Length" in body["detail"]
    assert not Ballot.objects.exists()


def test_the_process_environment_does_not_reach_the_request(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "the-real-secret")
    monkeypatch.setenv("DATABASE_URL", "postgres://app:hunter2@db/lottery")
    # A server started with these variables: the edge reads the environment it runs in.
    monkeypatch.setattr(
        "tests.config.test_wsgi_edge.application", environment_kept_out(django_application)
    )
    seen: dict[str, Any] = {}

    def capture(environ: dict[str, Any], **kwargs: Any) -> None:
        seen.update(environ)

    request_started.connect(capture)
    try:
        status, _, _ = call("GET", "/health/live", chunked=False, HTTP_X_CUSTOM="kept")
    finally:
        request_started.disconnect(capture)

    assert status == 200
    assert "SECRET_KEY" not in seen
    assert "DATABASE_URL" not in seen
    assert "the-real-secret" not in repr(seen)
    assert seen["HTTP_X_CUSTOM"] == "kept"  # the request's own headers stay
    assert seen["REQUEST_METHOD"] == "GET"
    # A variable added while the server runs is kept out too.
    monkeypatch.setenv("LOTTERY_TEST_ADDED_LATER", "smtp://u:pw@mail")
    seen.clear()
    request_started.connect(capture)
    try:
        call("GET", "/health/live", chunked=False)
    finally:
        request_started.disconnect(capture)
    assert "LOTTERY_TEST_ADDED_LATER" not in seen
    assert "SECRET_KEY" not in seen


def test_error_reports_mask_every_url_and_secret_setting(rf, settings):
    # Beside keeping the environment out of META: a report of the settings (DEBUG's error
    # page, an admin email) would show DATABASE_URL with its password, as Django masks only
    # names with API, TOKEN, KEY, SECRET, PASS or SIGNATURE.
    from django.views.debug import get_default_exception_reporter_filter

    settings.DATABASE_URL = "postgres://app:hunter2@db/lottery"
    settings.EMAIL_URL = "smtp+tls://mail:hunter3@mail.example.com:587"
    request = rf.get("/", HTTP_X_BROKER_URL="redis://:hunter4@redis:6379/0")
    reporter = get_default_exception_reporter_filter()

    shown = repr(reporter.get_safe_settings()) + repr(reporter.get_safe_request_meta(request))

    assert "hunter2" not in shown
    assert "hunter3" not in shown
    assert "hunter4" not in shown
