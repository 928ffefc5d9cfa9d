from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ballots.calendar import lottery_today
from common.errors import ApplicationError
from draws.models import Draw
from draws.selectors import lottery_was_open
from draws.services import lottery_draw, lottery_draw_closed


class Command(BaseCommand):
    help = "Draw every closed, undrawn lottery day now (or one day with --date)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", type=date.fromisoformat, help="draw only this day (YYYY-MM-DD)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            draws = [self._draw_one(options["date"])] if options["date"] else lottery_draw_closed()
        except ApplicationError as exc:
            raise CommandError(exc.detail) from exc
        if not draws:
            self.stdout.write("Nothing to draw: every closed lottery day has its result.")
        for draw in draws:
            self.stdout.write(self._describe(draw))

    def _draw_one(self, lottery_date: date) -> Draw:
        # A day nobody could see had no public commitment and no ballots: publishing a
        # result for it would claim a lottery that never took place.
        if lottery_date < lottery_today() and not lottery_was_open(lottery_date=lottery_date):
            raise CommandError(
                f"The lottery of {lottery_date} was never open (no seed commitment was "
                "published before its midnight): there is nothing to draw."
            )
        return lottery_draw(lottery_date=lottery_date)

    def _describe(self, draw: Draw) -> str:
        if draw.winning_ballot_id is None:
            return f"{draw.lottery.date}: no ballots, no winner"
        return (
            f"{draw.lottery.date}: {draw.ballot_count} ballots, "
            f"winning ballot {draw.winning_ballot_id}"
        )
