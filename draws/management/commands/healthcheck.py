import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.probes import broker_problem, database_problem, migrations_problem


class Command(BaseCommand):
    help = (
        "Exit 0 if this process's dependencies answer, else 1 with the reason: for containers "
        "that serve no HTTP (beat), as GET /health/ready does for the web server."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", action="store_true", help="check the database")
        parser.add_argument(
            "--migrations", action="store_true", help="check that every migration is applied"
        )
        parser.add_argument("--broker", action="store_true", help="check the Celery broker")
        parser.add_argument(
            "--beat-schedule",
            type=Path,
            help="beat's schedule file: beat is alive if it wrote it within --max-age",
        )
        parser.add_argument("--max-age", type=int, default=600, help="seconds (default 600)")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = []
        if options["database"]:
            problems.append(database_problem())
        if options["migrations"]:
            problems.append(migrations_problem())
        if options["broker"]:
            problems.append(broker_problem())
        if options["beat_schedule"]:
            problems.append(_stale(options["beat_schedule"], options["max_age"]))
        failing = [problem for problem in problems if problem]
        if failing:
            raise CommandError("; ".join(failing))
        self.stdout.write("ok")


def _stale(schedule: Path, max_age: int) -> str | None:
    # Depending on the dbm module, shelve writes the file under its own name or with a suffix.
    files = [path for path in schedule.parent.glob(schedule.name + "*") if path.is_file()]
    if not files:
        return f"beat has written no schedule at {schedule}"
    age = time.time() - max(path.stat().st_mtime for path in files)
    if age > max_age:
        return f"beat last wrote {schedule} {age:.0f} s ago (more than {max_age} s)"
    return None
