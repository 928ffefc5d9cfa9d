from datetime import date

from common.errors import InvalidInput


class LotteryNotOpen(InvalidInput):
    """A ballot for a day that does not accept ballots (past, closed, too far ahead, bogus)."""


class IdempotencyKeyReused(InvalidInput):
    """An idempotency key repeated for a ballot of another day: a new ballot needs a new key.

    ``first_date`` is the day the key's first ballot named, None if it named none (today).
    """

    def __init__(self, detail: str, *, first_date: date | None) -> None:
        super().__init__(detail)
        self.first_date = first_date
