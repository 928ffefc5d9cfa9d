"""The statements that differ between PostgreSQL and SQLite, one function each.

Everything else is the ORM's, the same on both. Each function here has a branch per
database: ``make test`` runs the SQLite one, the PostgreSQL pass of CI the other, and
tests/ballots/test_queries.py calls both functions directly on whichever it runs on
(docs/development.md, "Where the databases differ").
"""

import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from django.db import connection

from ballots.models import Ballot, Lottery

if TYPE_CHECKING:
    import psycopg

# Rows per round trip when a day's ids are streamed: big enough that round trips do not
# count, small enough (256 KiB of ids) that memory stays flat.
FETCH_SIZE = 16_384


def ballots_insert_if_open(
    user_id: int, lottery_date: date, count: int, created_at: datetime
) -> list[uuid.UUID]:
    """Insert ``count`` ballots only if their lottery is open, in ONE statement.

    One statement is all-or-nothing without a transaction of our own: every row or none.

    The race this closes: a draw closes day D while a submission for D is in flight. The
    draw takes ``SELECT ... FOR UPDATE`` on D's lottery row before it counts; this insert
    reads the row ``FOR SHARE``. If the draw holds the row, the insert waits, then re-reads
    the state (now closed) and inserts nothing; if the insert holds it, the draw waits for it
    to commit and counts all its ballots. On SQLite the database-wide write lock serialises
    the two the same way.
    """
    lottery_filter = [
        Lottery._meta.get_field("date").get_db_prep_value(lottery_date, connection),
        Lottery.State.OPEN,
    ]
    stamp = Ballot._meta.get_field("created_at").get_db_prep_value(created_at, connection)
    if connection.vendor == "postgresql":
        # The ids are made by the server (v4 UUIDs, as uuid.uuid4 makes) and read back.
        sql = (
            f"INSERT INTO {Ballot._meta.db_table} (id, user_id, lottery_id, created_at) "  # noqa: S608 - identifiers come from model metadata
            f"SELECT gen_random_uuid(), %s, lottery.id, %s "
            f"FROM {Lottery._meta.db_table} AS lottery CROSS JOIN generate_series(1, %s) "
            f"WHERE lottery.date = %s AND lottery.state = %s "
            f"FOR SHARE OF lottery RETURNING id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id, stamp, count, *lottery_filter])
            return [row[0] for row in cursor.fetchall()]
    # SQLite: no generate_series and no UUID function; the ids come in as a VALUES table.
    ids = [uuid.uuid4() for _ in range(count)]
    id_field = Ballot._meta.get_field("id")
    sql = (
        # INSERT first: Python's sqlite3 reports rowcount only for a statement that starts so.
        f"INSERT INTO {Ballot._meta.db_table} (id, user_id, lottery_id, created_at) "  # noqa: S608 - placeholders and model metadata only
        f"WITH new (id) AS (VALUES {', '.join(['(%s)'] * count)}) "
        f"SELECT new.id, %s, lottery.id, %s FROM {Lottery._meta.db_table} AS lottery, new "
        f"WHERE lottery.date = %s AND lottery.state = %s"
    )
    params = [id_field.get_db_prep_value(i, connection) for i in ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, user_id, stamp, *lottery_filter])
        return ids if cursor.rowcount == count else []


def ballot_ids_in_order(lottery_id: int) -> Iterator[list[bytes]]:
    """The day's ballot ids as 16-byte strings in ascending order, FETCH_SIZE at a time."""
    table = Ballot._meta.db_table
    if connection.vendor == "postgresql":
        # A server-side cursor (inside the caller's transaction) in binary format:
        # uuid_send() hands each id over as its 16 raw bytes, with no UUID objects.
        connection.ensure_connection()
        raw = cast("psycopg.Connection[Any]", connection.connection)
        with raw.cursor(name="draw_ballot_ids", binary=True) as cursor:
            cursor.execute(
                f"SELECT uuid_send(id) FROM {table} WHERE lottery_id = %s ORDER BY id",  # noqa: S608 - the table name comes from model metadata
                [lottery_id],
            )
            while rows := cursor.fetchmany(FETCH_SIZE):
                yield [row[0] for row in rows]
        return
    # SQLite keeps a UUID as 32 hex characters; its cursor also reads lazily.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE lottery_id = %s ORDER BY id",  # noqa: S608 - the table name comes from model metadata
            [lottery_id],
        )
        while rows := cursor.fetchmany(FETCH_SIZE):
            yield [bytes.fromhex(row[0]) for row in rows]
