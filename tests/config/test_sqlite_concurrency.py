"""The embedded SQLite file is shared by several processes (web, worker, beat)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[2]

# Each process submits ballots and draws the same past days as the others: transactions
# that read, then write, racing each other (what a web process and a worker do).
WRITE = """
import datetime, django; django.setup()
from accounts.models import User
from ballots.services import ballot_submit
from draws.services import lottery_draw
user = User.objects.get(username="writer")
for n in range({n}):
    ballot_submit(user_id=user.pk)
    lottery_draw(lottery_date=datetime.date(2000, 1, 1) + datetime.timedelta(days=n))
"""

SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
User.objects.create_user("writer")
"""

COUNT = """
import django; django.setup()
from ballots.models import Ballot
print(Ballot.objects.count())
"""


def run_python(code: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_processes_writing_at_once_never_see_database_is_locked(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "LOTTERY_VAR_DIR": str(tmp_path / "var"),
    }
    setup = run_python(SETUP, env)
    assert setup.wait(timeout=120) == 0, setup.stderr.read() if setup.stderr else ""

    writers = [run_python(WRITE.format(n=100), env) for _ in range(4)]
    failures = [w.communicate(timeout=120)[1] for w in writers if w.wait(timeout=120) != 0]

    assert failures == []
    counter = run_python(COUNT, env)
    out, _ = counter.communicate(timeout=60)
    assert out.strip() == "400"
