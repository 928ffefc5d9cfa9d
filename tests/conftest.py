import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from ninja_jwt.tokens import AccessToken

from accounts.models import User
from ballots.models import Ballot
from common.http_cache import rendered_once_clear
from config.celery import app as celery_app
from record.receipts import forget_policy_hashes
from tests.waiting import wait_for

PASSWORD = "correct-horse-battery-staple"
LOG_KEY_FILE = Path(__file__).resolve().parent / "log_key.test"


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # PBKDF2's production cost would dominate the suite; the hasher is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Days created by a test publish a delay of 2**8 squarings: milliseconds, the same code.
    settings.LOTTERY_VDF_DELAY_LOG2 = 8
    # The tests' own log key, whatever var/ or the environment hold.
    settings.LOTTERY_LOG_KEY_FILE = LOG_KEY_FILE
    settings.LOTTERY_LOG_ORIGIN = ""
    settings.LOTTERY_LOG_KEY_MAKE = False
    cache.clear()
    rendered_once_clear()  # the per-process caches of rendered results: each test's own
    forget_policy_hashes()
    yield
    cache.clear()
    rendered_once_clear()
    forget_policy_hashes()


@pytest.fixture(autouse=True)
def _queued_tasks_run_inline(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks queued with .delay() (the winner's email) run in the test, not in a broker.

    Tests marked ``redis`` run a real worker and keep the broker.
    """
    if request.node.get_closest_marker("redis"):
        yield
        return
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def forget_rendered_results() -> None:
    """Drop the server's rendered results, after a test altered a drawn day in the database.

    A drawn result never changes, so each process renders it once (common.http_cache); a
    tampered database is what a restarted server would then serve.
    """
    rendered_once_clear()


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user(username="alice", password=PASSWORD, email="a@example.com")


def obtain_tokens(client: Client, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post(
        "/token/pair",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def bearer_client(user: User) -> Client:
    """A client carrying a real, signed access token for ``user``.

    The token is valid from 2000 to 2100 so that tests may move the clock anywhere (an
    access token issued "in the future" is refused). /token/pair itself is tested in
    tests/accounts/test_tokens.py.
    """
    token: AccessToken = AccessToken.for_user(user)  # type: ignore[misc,assignment]
    token.set_iat(at_time=datetime(2000, 1, 1, tzinfo=UTC))
    token.set_exp(from_time=datetime(2100, 1, 1, tzinfo=UTC), lifetime=timedelta(0))
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def auth_client(user) -> Client:
    """A client whose requests carry alice's Bearer access token."""
    return bearer_client(user)


@pytest.fixture
def other_client(db) -> Client:
    """A client carrying bob's token: another participant."""
    return bearer_client(User.objects.create_user(username="bob", password=PASSWORD))


def submit(client: Client, lottery_date: object = None, **extra: object):
    payload: dict[str, object] = dict(extra)
    if lottery_date is not None:
        payload["date"] = str(lottery_date)
    return client.post("/ballots", payload, content_type="application/json")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests whose real services this run does not have (.ci/run provides both).

    With LOTTERY_TESTS_SKIP_NO_DATABASE set (the PostgreSQL pass of .ci/run), leave out the
    tests marked no_database that ask for no database fixture: they read no database of the
    run's, so the SQLite pass has run them already, to the same effect.
    """
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    on_redis = settings.CELERY_BROKER_URL.startswith("redis://")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL=postgres://..."))
        if "redis" in item.keywords and not on_redis:
            item.add_marker(pytest.mark.skip(reason="needs CELERY_BROKER_URL=redis://..."))
    if os.environ.get("LOTTERY_TESTS_SKIP_NO_DATABASE"):
        kept = [item for item in items if not _reads_no_database(item)]
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def _reads_no_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    uses_database = item.get_closest_marker("django_db") is not None or bool(
        fixtures & {"db", "transactional_db", "django_db_reset_sequences", "live_server"}
    )
    return item.get_closest_marker("no_database") is not None and not uses_database


# --- Lottery days and the clock ------------------------------------------------------

D = date(2026, 11, 20)  # a lottery day the draw tests work with


@contextmanager
def on(day: date, hour: int = 12) -> Iterator[None]:
    """Move the clock to ``hour`` o'clock UTC on ``day``."""
    with time_machine.travel(datetime.combine(day, time(hour), tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def ballots_on(auth_client: Client) -> Callable[[date, int], list[str]]:
    """Submit ``n`` ballots for ``day`` on that day, through the API; return their ids."""

    def make(day: date, n: int) -> list[str]:
        with on(day):
            ids = [submit(auth_client).json()["id"] for _ in range(n)]
        assert Ballot.objects.filter(lottery__date=day).count() >= n
        return ids

    return make


def the_day_after(day: date) -> date:
    return day + timedelta(days=1)


def close_thread_connection() -> None:
    """Give back the database connection a helper thread of a test used (a relay's handler
    that reads ballots to forge an answer). Django returns a request thread's connection
    when the request ends; a plain thread's stays checked out of psycopg's pool after the
    thread is gone, and eight of them left every later getconn waiting 10 s for nothing."""
    connection.close()


def wait_until_a_query_waits_on_a_lock(what: str, timeout: float = 30) -> None:
    """Wait (``timeout`` s at most) until some session of the test database waits on a lock.

    PostgreSQL only: how a test knows that the request or task it started has reached the
    lock the test holds. ``what`` names that query in the failure message.
    """

    def a_query_waits() -> bool:
        with connection.cursor() as cursor:
            # Inside a transaction PostgreSQL would answer from the snapshot of its first look.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return bool(cursor.fetchone()[0])

    wait_for(a_query_waits, timeout, f"{what} to wait for the lock")
