from common.errors import InvalidInput


class LotteryNotOpen(InvalidInput):
    """A ballot for a day that does not accept ballots (past, closed, too far ahead, bogus)."""


class IdempotencyKeyReused(InvalidInput):
    """An Idempotency-Key repeated with a different request (the IETF draft says 422)."""
