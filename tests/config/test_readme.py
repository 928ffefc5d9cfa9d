"""The README's commands exist: the quick start the CI step runs, and every make target named."""

import re
import subprocess
from pathlib import Path

import pytest

from scripts.quickstart_check import quickstart_commands

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_the_quick_start_is_demo_run_then_the_verifier_on_yesterday():
    # scripts/quickstart_check.py (a CI step) runs exactly these, on a fresh clone.
    commands = [command.split("#")[0].strip() for command in quickstart_commands(README)]

    assert commands == [
        "make demo",
        "make run",
        "python3 scripts/verify_draw.py http://localhost:8000 $(date -u -d yesterday +%F) "
        "--allow-demo",
    ]


def test_every_make_target_the_readme_names_exists():
    named = set(re.findall(r"`(?:[A-Z_]+=\S+ )?make ([a-z][a-z-]*)", README))
    targets = set(
        re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    )

    assert named, "the README names no make target"
    assert named <= targets, named - targets


def test_make_help_lists_createsuperuser():
    result = subprocess.run(
        ["make", "--no-print-directory", "help"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert "createsuperuser" in result.stdout
