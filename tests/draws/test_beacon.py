"""The public-randomness hook, against a fake drand beacon: a real HTTP server on port 0."""

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from draws import vdf
from draws.models import Draw
from draws.services import lottery_draw
from tests.conftest import D, forget_rendered_results, on, the_day_after
from tests.draws.test_verifiable import VERIFIER

GENESIS = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
PERIOD = 3


class FakeBeacon(ThreadingHTTPServer):
    """drand's /info and /public/{round}, publishing rounds up to ``latest``."""

    latest = 10**9
    salt = b"fake beacon"
    requests: list[str]

    def randomness(self, round_: int) -> str:
        return hashlib.sha256(self.salt + str(round_).encode()).hexdigest()


class Handler(BaseHTTPRequestHandler):
    server: FakeBeacon

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if self.path == "/info":
            self.answer(200, {"genesis_time": GENESIS, "period": PERIOD})
        elif self.path.startswith("/public/") and int(self.path.split("/")[2]) <= (
            self.server.latest
        ):
            round_ = int(self.path.split("/")[2])
            self.answer(200, {"round": round_, "randomness": self.server.randomness(round_)})
        else:
            self.answer(425, {"error": "Requested future beacon"})

    def answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def beacon(settings) -> Iterator[FakeBeacon]:
    server = FakeBeacon(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.LOTTERY_BEACON_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.LOTTERY_BEACON_DELAY_SECONDS = 60
    yield server
    server.shutdown()
    server.server_close()


def expected_round() -> int:
    # The first round published at least 60 s after D's midnight (UTC in the tests).
    after = datetime.combine(the_day_after(D), time(0, 1), tzinfo=UTC).timestamp()
    return -(-(int(after) - GENESIS) // PERIOD) + 1


@pytest.mark.django_db(transaction=True)
def test_the_draw_mixes_in_the_round_after_midnight_and_the_verifier_checks_it(
    beacon, live_server, ballots_on
):
    ballots_on(D, 9)

    with on(the_day_after(D)):
        draw = lottery_draw(lottery_date=D)

    assert draw.beacon_round == expected_round()
    assert draw.beacon_randomness == beacon.randomness(expected_round())
    # The beacon's value is mixed into the winner, after the delay function's output.
    y = int(draw.vdf_output, 16)
    assert draw.winning_index == vdf.winner_index(output=y, count=9, beacon=draw.beacon_randomness)

    def verify(*extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-I", "-S", str(VERIFIER), live_server.url, str(D)]
        command += ["--min-delay", "2^8", *extra]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603 - our own script

    checked = verify("--beacon-url", f"http://127.0.0.1:{beacon.server_address[1]}")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"OK   beacon round {expected_round()} is what the beacon published" in checked.stdout

    assert "OK   the beacon round came after the day closed" in checked.stdout

    # A round from before midnight was known while ballots were still accepted.
    early = expected_round() - 100
    Draw.objects.filter(pk=draw.pk).update(
        beacon_round=early, beacon_randomness=beacon.randomness(early)
    )
    forget_rendered_results()
    checked = verify("--beacon-url", f"http://127.0.0.1:{beacon.server_address[1]}")
    assert checked.returncode == 1
    assert "FAIL the beacon round came after the day closed" in checked.stdout

    beacon.salt = b"another beacon"  # the lottery published a value the beacon never did
    checked = verify("--beacon-url", f"http://127.0.0.1:{beacon.server_address[1]}")
    assert checked.returncode == 1
    assert f"FAIL beacon round {early} is what the beacon published" in checked.stdout


@pytest.mark.django_db
def test_a_round_not_out_yet_leaves_the_day_undrawn_for_the_retry(beacon, ballots_on):
    ballots_on(D, 2)
    beacon.latest = expected_round() - 1

    with on(the_day_after(D), hour=0), pytest.raises(CommandError, match="no value"):
        call_command("draw", "--date", str(D))

    # Closed (its count and root are published), but no winner until the round is out.
    assert Draw.objects.get().state == Draw.State.DRAWING
    beacon.latest = expected_round()
    with on(the_day_after(D), hour=0):
        assert lottery_draw(lottery_date=D).beacon_round == expected_round()


@pytest.mark.django_db
def test_the_beacon_is_off_by_default(ballots_on, settings):
    assert settings.LOTTERY_BEACON_URL == ""
    ballots_on(D, 2)

    with on(the_day_after(D)):
        draw = lottery_draw(lottery_date=D)

    assert draw.beacon_round is None
    assert draw.beacon_randomness == ""
