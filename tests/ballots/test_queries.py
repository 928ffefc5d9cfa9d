"""The statements written once per database (ballots/queries.py), called directly.

They run on whichever database the pass uses: the SQLite branch in `make test`, the
PostgreSQL branch in the PostgreSQL pass of CI.
"""

from datetime import UTC, date, datetime

import pytest

from ballots import queries
from ballots.models import Ballot, Lottery

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 8)
STAMP = datetime(2026, 12, 8, 12, 30, tzinfo=UTC)


def test_insert_if_open_inserts_every_ballot_in_one_statement(user) -> None:
    Lottery.objects.create(date=DAY)

    ids = queries.ballots_insert_if_open(user.pk, DAY, 5, STAMP)

    assert len(ids) == len(set(ids)) == 5
    stored = Ballot.objects.filter(lottery__date=DAY)
    assert set(stored.values_list("id", flat=True)) == set(ids)
    assert {ballot.user_id for ballot in stored} == {user.pk}
    assert {ballot.created_at for ballot in stored} == {STAMP}


@pytest.mark.parametrize("state", [Lottery.State.CLOSED, Lottery.State.DRAWN])
def test_insert_if_open_inserts_nothing_into_a_day_that_is_not_open(user, state) -> None:
    Lottery.objects.create(date=DAY, state=state)

    assert queries.ballots_insert_if_open(user.pk, DAY, 3, STAMP) == []
    assert not Ballot.objects.exists()


def test_insert_if_open_inserts_nothing_for_a_day_with_no_lottery_row(user) -> None:
    assert queries.ballots_insert_if_open(user.pk, DAY, 1, STAMP) == []
    assert not Ballot.objects.exists()


def test_ids_in_order_streams_one_days_ids_as_sorted_bytes(user, monkeypatch) -> None:
    day = Lottery.objects.create(date=DAY)
    other = Lottery.objects.create(date=date(2026, 12, 9))
    ids = queries.ballots_insert_if_open(user.pk, DAY, 7, STAMP)
    queries.ballots_insert_if_open(user.pk, other.date, 4, STAMP)
    monkeypatch.setattr(queries, "FETCH_SIZE", 3)

    batches = list(queries.ballot_ids_in_order(day.pk))

    assert [len(batch) for batch in batches] == [3, 3, 1]
    streamed = [ballot_id for batch in batches for ballot_id in batch]
    assert streamed == sorted(ballot_id.bytes for ballot_id in ids)


def test_ids_in_order_of_a_day_without_ballots_is_empty() -> None:
    day = Lottery.objects.create(date=DAY)

    assert list(queries.ballot_ids_in_order(day.pk)) == []
