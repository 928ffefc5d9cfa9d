from common.errors import ApplicationError, InvalidInput


class LotteryStillOpen(InvalidInput):
    """A draw was asked for a day that still accepts ballots (today or later)."""


class DrawInProgress(ApplicationError):
    """Another worker is computing this day's delay function; its result follows."""

    status_code = 409
