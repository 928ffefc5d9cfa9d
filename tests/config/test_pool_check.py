"""The pool's connection check (common.postgresql), against the real PostgreSQL server.

A quiet connection must pass without a packet; one the server ended must be refused; one
that merely received a notification must pass and keep working. That a request then gets a
working connection is the fault test of a PostgreSQL restart under the web server
(tests/faults): Django's test client keeps one connection for the whole test, so only a real
server's request cycle takes connections from the pool.
"""

import os
import select
import tempfile
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from common.postgresql.base import connection_check

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def connect() -> psycopg.Connection:
    params = connection.get_connection_params()
    return psycopg.connect(**params, autocommit=True)


@pytest.fixture
def idle() -> Iterator[psycopg.Connection]:
    conn = connect()
    conn.execute("SELECT 1")  # used once, as a pooled connection has been
    yield conn
    conn.close()


def wait_readable(conn: psycopg.Connection) -> None:
    ready, _, _ = select.select([conn.fileno()], [], [], 5)
    assert ready, "the server's message never arrived"


def test_a_quiet_connection_passes_without_sending_anything(idle):
    with tempfile.TemporaryFile() as trace:
        idle.pgconn.trace(trace.fileno())  # libpq logs every message it sends or receives
        connection_check(idle)
        idle.pgconn.untrace()
        assert os.fstat(trace.fileno()).st_size == 0

        idle.pgconn.trace(trace.fileno())
        idle.execute("SELECT 1")  # the trace does record traffic
        idle.pgconn.untrace()
        assert os.fstat(trace.fileno()).st_size > 0


def test_a_connection_the_server_ended_is_refused(idle):
    with connect() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [idle.info.backend_pid])
    wait_readable(idle)

    with pytest.raises(psycopg.OperationalError):
        connection_check(idle)


def test_a_connection_psycopg_knows_is_closed_is_refused(idle):
    idle.close()

    with pytest.raises(psycopg.OperationalError):
        connection_check(idle)


def test_a_notification_does_not_cost_a_healthy_connection(idle):
    idle.execute("LISTEN lottery_check")
    with connect() as other:
        other.execute("NOTIFY lottery_check")
    wait_readable(idle)

    connection_check(idle)  # readable, so it makes the round trip, which succeeds

    assert idle.execute("SELECT 1").fetchone() == (1,)


def test_djangos_pool_hands_out_a_working_connection_after_the_server_ended_its_own(idle):
    pool = connection.pool  # type: ignore[attr-defined]  # PostgreSQL's wrapper has one
    idle_in_pool = pool.get_stats()["pool_available"]
    assert idle_in_pool >= 1
    held = [pool.getconn() for _ in range(idle_in_pool)]  # all a request could be handed
    for conn in held:
        pool.putconn(conn)
    # The pool's next and last in line, whichever end it hands out first. Not all of them:
    # psycopg_pool waits 1 s, 2 s, 4 s... between failed checks.
    ended = [held[0], held[-1]]
    for conn in ended:  # what a PostgreSQL restart does to an idle connection
        idle.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
    for conn in ended:
        wait_readable(conn)

    conn = pool.getconn()
    try:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn not in ended
    finally:
        pool.putconn(conn)
