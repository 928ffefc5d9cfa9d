from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.test import Client

from ballots.models import Ballot
from tests.conftest import submit

D = date(2026, 11, 20)


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
