"""The lottery calendar: which day it is, which days are open, when a day closes.

Everything is computed in ``TIME_ZONE`` at call time (never frozen at import), so a
long-running process moves to the next lottery day at midnight.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def lottery_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def lottery_today() -> date:
    return timezone.now().astimezone(lottery_zone()).date()


def open_dates(today: date | None = None) -> list[date]:
    """The days accepting ballots: today and the following LOTTERY_OPEN_DAYS - 1 days."""
    first = today or lottery_today()
    return [first + timedelta(days=offset) for offset in range(settings.LOTTERY_OPEN_DAYS)]


def closes_at(lottery_date: date) -> datetime:
    """The midnight that ends ``lottery_date``, as an aware datetime in TIME_ZONE."""
    return datetime.combine(lottery_date + timedelta(days=1), time.min, tzinfo=lottery_zone())


def lottery_dates_ahead(today: date | None = None) -> list[date]:
    """The open days and the one after them: every day's row and policy exist a day before
    it opens, made by the sweep rather than by a request."""
    first = today or lottery_today()
    return [*open_dates(first), first + timedelta(days=settings.LOTTERY_OPEN_DAYS)]
