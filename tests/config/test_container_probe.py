"""scripts/container_probe.py: the worker's and beat's container healthchecks."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROBE = Path(__file__).resolve().parents[2] / "scripts" / "container_probe.py"


def probe(role: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        key: value for key, value in os.environ.items() if not key.startswith("LOTTERY_SWEEP")
    }
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(PROBE), role],
        env={**environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_worker_is_well_while_its_heartbeat_is_fresh(tmp_path):
    heartbeat = tmp_path / "heartbeat"
    assert "nothing written" in probe("worker", LOTTERY_WORKER_HEARTBEAT_FILE=str(heartbeat)).stderr
    heartbeat.touch()
    assert probe("worker", LOTTERY_WORKER_HEARTBEAT_FILE=str(heartbeat)).returncode == 0
    age(heartbeat, 90)
    stale = probe("worker", LOTTERY_WORKER_HEARTBEAT_FILE=str(heartbeat))
    assert stale.returncode == 1
    assert "more than 60 s" in stale.stderr


@pytest.mark.parametrize(
    ("sweep", "max_age"),
    [
        ({}, 600),  # default 5-minute sweep: 3 min + 5 min + 2 min of slack
        ({"LOTTERY_SWEEP_MINUTES": "1"}, 360),
        ({"LOTTERY_SWEEP_MINUTES": "60"}, 600),  # beat wakes every 5 minutes regardless
        ({"LOTTERY_SWEEP_SECONDS": "2"}, 302),
    ],
)
def test_beats_age_limit_follows_the_sweep(tmp_path, sweep, max_age):
    schedule = tmp_path / "celerybeat-schedule.dat"  # dbm.dumb's suffix
    schedule.touch()
    age(schedule, max_age - 5)
    assert probe("beat", LOTTERY_VAR_DIR=str(tmp_path), **sweep).returncode == 0
    age(schedule, max_age + 5)
    stale = probe("beat", LOTTERY_VAR_DIR=str(tmp_path), **sweep)
    assert stale.returncode == 1
    assert f"more than {max_age} s" in stale.stderr
