"""Container healthchecks for the worker and beat that cost a stat, not a Celery process.

    python scripts/container_probe.py worker   # its heartbeat file is fresh
    python scripts/container_probe.py beat     # it keeps writing its schedule

Standard library only, and no Django: starting Django + Celery to ask took 15-21 s per probe
on a loaded machine (against a 30 s timeout), every minute, in each container. Exits 0 when
well, else 1 with the reason. Reads the same environment as the settings.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The worker touches its file every 10 s (config.celery.Heartbeat): six missed beats.
WORKER_MAX_AGE_SECONDS = 60
# Celery beat writes its schedule at the first wake-up 3 minutes after the last write, and
# wakes at least every 5 minutes (beat's max interval) or at the next sweep, if sooner.
BEAT_SYNC_EVERY_SECONDS = 180
BEAT_MAX_INTERVAL_SECONDS = 300
SLACK_SECONDS = 120


def sweep_seconds() -> int:
    # As config.settings reads them: the sweep in seconds, else minutes (default 5).
    seconds = os.environ.get("LOTTERY_SWEEP_SECONDS", "").strip()
    if seconds:
        return int(seconds)
    return int(os.environ.get("LOTTERY_SWEEP_MINUTES", "").strip() or 5) * 60


def beat_max_age() -> int:
    wake = min(sweep_seconds(), BEAT_MAX_INTERVAL_SECONDS)
    return BEAT_SYNC_EVERY_SECONDS + wake + SLACK_SECONDS


def age_problem(files: list[Path], max_age: int, what: str) -> str | None:
    found = [path for path in files if path.is_file()]
    if not found:
        return f"{what}: nothing written yet"
    age = time.time() - max(path.stat().st_mtime for path in found)
    if age > max_age:
        return f"{what}: last written {age:.0f} s ago (more than {max_age} s)"
    return None


def main(argv: list[str]) -> int:
    role = argv[1] if len(argv) > 1 else ""
    if role == "worker":
        heartbeat = os.environ.get("LOTTERY_WORKER_HEARTBEAT_FILE", "").strip()
        if not heartbeat:
            print("LOTTERY_WORKER_HEARTBEAT_FILE is not set", file=sys.stderr)
            return 1
        problem = age_problem([Path(heartbeat)], WORKER_MAX_AGE_SECONDS, "worker heartbeat")
    elif role == "beat":
        var_dir = Path(os.environ.get("LOTTERY_VAR_DIR", "").strip() or ROOT / "var")
        schedule = var_dir / "celerybeat-schedule"
        # Depending on the dbm module, shelve writes the file under its name or with suffixes.
        files = list(schedule.parent.glob(schedule.name + "*"))
        problem = age_problem(files, beat_max_age(), f"beat schedule {schedule}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
