from lottery_app.errors import InvalidInput


class LotteryStillOpen(InvalidInput):
    """A draw was asked for a day that still accepts ballots (today or later)."""
