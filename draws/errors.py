from common.errors import Conflict, InvalidInput


class LotteryStillOpen(InvalidInput):
    """A draw was asked for a day that still accepts ballots (today or later)."""


class DrawInProgress(Conflict):
    """Another worker is computing this day's delay function; its result follows."""
