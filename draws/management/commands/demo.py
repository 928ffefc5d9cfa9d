from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.services import user_create_unvalidated
from ballots.calendar import lottery_today, lottery_zone, open_dates
from ballots.models import Ballot, Lottery
from ballots.services import ballot_submit, lottery_ensure
from draws.models import Draw
from draws.services import lottery_draw

# Known passwords are the point of demo data, and the reason it refuses to run with DEBUG off.
DEMO_USERS = [
    ("demo_alice", "amber-falcon-river"),
    ("demo_bob", "basalt-heron-meadow"),
    ("demo_carol", "cobalt-lynx-harbour"),
]
PAST_DAYS = 3
BALLOTS_PER_PAST_DAY = {"demo_alice": 3, "demo_bob": 2, "demo_carol": 1}


class Command(BaseCommand):
    help = (
        "Create demo users (printed with their passwords), ballots on the past three days and "
        "the open week, and draw the past days. Safe to run twice; DEBUG only."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create demo users with known passwords while DEBUG is off."
            )
        users = [self._user(username, password) for username, password in DEMO_USERS]
        today = lottery_today()
        past = [today - timedelta(days=n) for n in range(PAST_DAYS, 0, -1)]
        for day in past:
            self._past_ballots(day=day, users=users)
        for day in open_dates(today):
            for user in users:
                if not Ballot.objects.filter(user=user, lottery__date=day).exists():
                    ballot_submit(user_id=user.pk, lottery_date=day)
        draws = [lottery_draw(lottery_date=day) for day in past]
        self._report(draws)

    def _user(self, username: str, password: str) -> User:
        # Reset on every run, so the printed password works; winner emails show in make run's
        # terminal.
        user, _ = user_create_unvalidated(
            username=username, password=password, email=f"{username}@demo.example"
        )
        return user

    @transaction.atomic
    def _past_ballots(self, *, day: date, users: list[User]) -> None:
        """Give each demo user ballots on a past ``day`` that is not drawn yet."""
        lottery_ensure(lottery_dates=[day])
        # The draw's own lock: a draw of this day waits, then counts these ballots.
        lottery = Lottery.objects.select_for_update().get(date=day)
        if lottery.state == Lottery.State.DRAWN:
            return
        noon = datetime.combine(day, time(12), tzinfo=lottery_zone())
        Ballot.objects.bulk_create(
            Ballot(user=user, lottery=lottery, created_at=noon + timedelta(minutes=n))
            for user in users
            if not Ballot.objects.filter(user=user, lottery=lottery).exists()
            for n in range(BALLOTS_PER_PAST_DAY[user.username])
        )

    def _report(self, draws: list[Draw]) -> None:
        self.stdout.write(self.style.SUCCESS("Demo users (log in at /docs or POST /token/pair):"))
        for username, password in DEMO_USERS:
            self.stdout.write(f"  {username:<12} password: {password}")
        self.stdout.write("Past days:")
        for draw in draws:
            winner = (
                f"winning ballot {draw.winning_ballot_id} "
                f"({Ballot.objects.get(pk=draw.winning_ballot_id).user or 'a deleted account'})"
                if draw.winning_ballot_id
                else "no winner"
            )
            self.stdout.write(f"  {draw.lottery.date}: {draw.ballot_count} ballots, {winner}")
        self.stdout.write(
            "Open days: one pending ballot per demo user on each. "
            "Winner emails print in the worker's terminal (make run)."
        )
