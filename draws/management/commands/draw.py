from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from draws.models import Draw
from draws.services import lottery_draw, lottery_draw_closed
from lottery_app.errors import ApplicationError


class Command(BaseCommand):
    help = "Draw every closed, undrawn lottery day now (or one day with --date)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", type=date.fromisoformat, help="draw only this day (YYYY-MM-DD)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["date"]:
                draws = [lottery_draw(lottery_date=options["date"])]
            else:
                draws = lottery_draw_closed()
        except ApplicationError as exc:
            raise CommandError(exc.detail) from exc
        if not draws:
            self.stdout.write("Nothing to draw: every closed lottery day has its result.")
        for draw in draws:
            self.stdout.write(self._describe(draw))

    def _describe(self, draw: Draw) -> str:
        if draw.winning_ballot_id is None:
            return f"{draw.lottery.date}: no ballots, no winner"
        return (
            f"{draw.lottery.date}: {draw.ballot_count} ballots, "
            f"winning ballot {draw.winning_ballot_id}"
        )
