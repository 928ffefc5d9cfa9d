"""Django's PostgreSQL backend, with a cheaper check of a pooled connection.

The pool checks each connection as it hands it to a request, so one that broke while idle
is replaced instead of failing the request.

psycopg's ``ConnectionPool.check_connection`` sends an empty query and waits for the answer:
a round trip on every request, PostgreSQL's CPU and a second wait (and GIL handover) for
the web process; POST /ballots is measurably faster without it (docs/scaling.md, "Costs the
code relies on"). ``connection_check`` asks the socket first.

An idle connection in autocommit has nothing to read: every answer to its last query was
read before it went back to the pool. When the server ends it (a restart, a crash, an idle
timeout, a proxy cutting it), the server's farewell message or the end of the stream
arrives and the socket turns readable. So a quiet socket is taken as healthy after one
``poll`` (a microsecond, no packet sent); a readable one, or a connection psycopg already
knows is closed, gets psycopg's round-trip check, which raises for a broken connection (the
pool then replaces it) and passes for a harmless message such as a NOTIFY.

What neither check can see is a peer that vanished without a word (a cable cut, a firewall
dropping packets): the empty query would wait on it too. The request's own query then fails
after the connection's timeouts and answers 503 (config.api).
"""

import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> Any:
        # Django 5.2 hands the pool its own check (CONN_HEALTH_CHECKS: psycopg's, else none)
        # and refuses another in OPTIONS["pool"]; Django 6.1 lets that option win (ticket
        # #37075). Until then, ours goes on the pool Django made, before its first getconn.
        pool = super().pool
        if pool is not None and pool._check is None:
            pool._check = connection_check
        return pool


def connection_check(conn: psycopg.Connection) -> None:
    """Raise if ``conn`` is broken; costs a round trip only if its socket has news."""
    if not conn.closed and not _readable(conn):
        return
    ConnectionPool.check_connection(conn)


def _readable(conn: psycopg.Connection) -> bool:
    try:
        fd = conn.fileno()
    except psycopg.Error:  # no socket any more
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))  # POLLHUP and POLLERR are reported whatever was asked
