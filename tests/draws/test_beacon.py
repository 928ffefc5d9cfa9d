"""The public-randomness hook, against a drand-style beacon of the test's own: a real HTTP
server on port 0 that signs its rounds with a BLS key, as drand's quicknet does."""

import hashlib
import json
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.bls.point_compression import compress_G1, compress_G2
from py_ecc.optimized_bls12_381 import G2, multiply

from ballots.models import Lottery
from draws import vdf
from draws.models import Draw
from draws.services import lottery_draw
from tests.conftest import D, forget_rendered_results, on, the_day_after
from tests.draws.test_verifiable import VERIFIER

GENESIS = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
PERIOD = 3
DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"


class BlsKey:
    """A beacon's key: signatures on G1, the public key on G2 (drand's unchained G1 scheme)."""

    def __init__(self) -> None:
        self.secret = secrets.randbelow(2**250) + 1
        z1, z2 = compress_G2(multiply(G2, self.secret))
        self.public_hex = (z1.to_bytes(48, "big") + z2.to_bytes(48, "big")).hex()

    def sign(self, round_: int) -> str:
        message = hashlib.sha256(round_.to_bytes(8, "big")).digest()
        point = multiply(hash_to_G1(message, DST, hashlib.sha256), self.secret)  # type: ignore[arg-type]
        return compress_G1(point).to_bytes(48, "big").hex()


class FakeBeacon(ThreadingHTTPServer):
    """drand's /info and /public/{round}, publishing rounds up to ``latest``."""

    latest = 10**9
    key: BlsKey
    requests: list[str]

    def value(self, round_: int) -> dict[str, Any]:
        signature = self.key.sign(round_)
        randomness = hashlib.sha256(bytes.fromhex(signature)).hexdigest()
        return {"round": round_, "randomness": randomness, "signature": signature}


class Handler(BaseHTTPRequestHandler):
    server: FakeBeacon

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if self.path == "/info":
            info = {
                "genesis_time": GENESIS,
                "period": PERIOD,
                "public_key": self.server.key.public_hex,
            }
            self.answer(200, info)
        elif self.path.startswith("/public/") and int(self.path.split("/")[2]) <= (
            self.server.latest
        ):
            self.answer(200, self.server.value(int(self.path.split("/")[2])))
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


@pytest.fixture(scope="module")
def key() -> BlsKey:
    return BlsKey()


@pytest.fixture
def beacon(settings, key) -> Iterator[FakeBeacon]:
    server = FakeBeacon(("127.0.0.1", 0), Handler)
    server.requests = []
    server.key = key
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


def verifier(live_server, beacon: FakeBeacon) -> Callable[..., subprocess.CompletedProcess[str]]:
    def verify(*extra: str, site: bool = True) -> subprocess.CompletedProcess[str]:
        """site=False: the standard library alone (no py_ecc), as an auditor's bare Python."""
        command = [sys.executable, *([] if site else ["-I", "-S"]), str(VERIFIER)]
        command += [live_server.url, str(D), "--min-delay", "2^8"]
        command += ["--beacon-url", f"http://127.0.0.1:{beacon.server_address[1]}", *extra]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603 - our own script
        assert "Traceback" not in result.stderr, result.stderr
        return result

    return verify


@pytest.fixture
def drawn_with_beacon(beacon, ballots_on) -> Draw:
    ballots_on(D, 9)
    with on(the_day_after(D)):
        return lottery_draw(lottery_date=D)


@pytest.mark.django_db(transaction=True)
def test_the_draw_mixes_in_the_pinned_round_and_the_verifier_checks_its_signature(
    beacon, live_server, drawn_with_beacon
):
    draw = drawn_with_beacon
    assert Lottery.objects.get(date=D).beacon_delay_seconds == 60  # the day's policy
    assert draw.beacon_round == expected_round()
    assert draw.beacon_signature == beacon.value(expected_round())["signature"]
    # The beacon's value is mixed into the winner, after the delay function's output.
    y = int(draw.vdf_output, 16)
    assert draw.winning_index == vdf.winner_index(output=y, count=9, beacon=draw.beacon_randomness)
    verify = verifier(live_server, beacon)

    checked = verify("--require-beacon")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK   the beacon round is the one the rule fixes" in checked.stdout
    assert f"OK   the beacon's BLS signature of round {expected_round()}" in checked.stdout
    assert f"OK   beacon round {expected_round()} is what the beacon published" in checked.stdout

    # No py_ecc: the round read from the beacon itself (--beacon-url) stands in for the
    # signature (tests/draws/test_verifier_hostile.py: with neither, the day fails).
    bare = verify(site=False)
    assert bare.returncode == 0, bare.stdout + bare.stderr
    assert (
        f"the beacon's BLS signature of round {expected_round()} is not checked (no py_ecc): "
        "the round is read from the beacon instead"
    ) in bare.stdout
    assert "OK   the beacon round is the one the rule fixes" in bare.stdout


def republish(draw: Draw, **values: Any) -> None:
    Draw.objects.filter(pk=draw.pk).update(**values)
    forget_rendered_results()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("offset", [-100, -1, 1, 2, 3])
def test_only_the_pinned_round_passes_even_when_validly_signed(
    beacon, live_server, drawn_with_beacon, offset
):
    # The audit: four consecutive rounds, each a different winner, were all accepted.
    other = beacon.value(expected_round() + offset)
    republish(
        drawn_with_beacon,
        beacon_round=other["round"],
        beacon_randomness=other["randomness"],
        beacon_signature=other["signature"],
    )
    checked = verifier(live_server, beacon)()
    assert checked.returncode == 1
    # The round the public record holds is the pinned one; the served one contradicts it.
    assert (
        f"FAIL the draw's beacon_round is the log's: the draw says {other['round']}, "
        f"the draw entry says {expected_round()}"
    ) in checked.stdout
    assert "OK   the beacon round is the one the rule fixes" in checked.stdout


@pytest.mark.django_db(transaction=True)
def test_a_signature_the_beacon_never_made_fails(beacon, live_server, drawn_with_beacon):
    forged = BlsKey().sign(expected_round())  # another key's signature of the right round
    republish(
        drawn_with_beacon,
        beacon_signature=forged,
        beacon_randomness=hashlib.sha256(bytes.fromhex(forged)).hexdigest(),
    )
    checked = verifier(live_server, beacon)()
    assert checked.returncode == 1
    assert "FAIL the draw's beacon_signature is the log's" in checked.stdout
    assert "FAIL the draw's beacon_randomness is the log's" in checked.stdout


@pytest.mark.django_db(transaction=True)
def test_a_close_moved_earlier_is_refused(
    beacon, live_server, client, drawn_with_beacon, settings, tmp_path
):
    honest_close = client.get(f"/draws/{D}").json()["closes_at"]
    # An auditor's earlier run kept the day's close, as /lotteries showed it before the day.
    record = tmp_path / "seen.json"
    record.write_text(json.dumps({str(D): {"closes_at": honest_close}}))
    # The cheat: serve the day in another zone, so that it "closed" an hour earlier...
    settings.TIME_ZONE = "Etc/GMT-1"
    forget_rendered_results()
    verify = verifier(live_server, beacon)
    moved = verify()
    assert moved.returncode == 1  # the policy entry fixed the true close
    assert "FAIL the draw's closes_at is the log's" in moved.stdout
    # ...and publish the round that earlier close would pin, validly signed.
    early = beacon.value(expected_round() - 3600 // PERIOD)
    republish(
        drawn_with_beacon,
        beacon_round=early["round"],
        beacon_randomness=early["randomness"],
        beacon_signature=early["signature"],
    )
    checked = verify("--record", str(record))
    assert checked.returncode == 1
    assert f"FAIL {D}'s closes_at is what an earlier run saw" in checked.stdout


@pytest.mark.django_db(transaction=True)
def test_require_beacon_fails_a_day_drawn_without_one(beacon, live_server, ballots_on, settings):
    settings.LOTTERY_BEACON_URL = ""  # the day is made with no beacon in its policy
    ballots_on(D, 3)
    with on(the_day_after(D)):
        assert lottery_draw(lottery_date=D).beacon_round is None
    checked = verifier(live_server, beacon)("--require-beacon")
    assert checked.returncode == 1
    assert "FAIL a beacon round was mixed in: the day was drawn without one" in checked.stdout


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
def test_a_day_promised_a_beacon_is_not_drawn_without_it(beacon, ballots_on, settings):
    ballots_on(D, 2)  # made while a beacon is configured: its policy has one
    settings.LOTTERY_BEACON_URL = ""
    with on(the_day_after(D)), pytest.raises(CommandError, match="published a beacon"):
        call_command("draw", "--date", str(D))
    assert Draw.objects.get().state == Draw.State.DRAWING


@pytest.mark.django_db
def test_the_beacon_is_off_by_default(ballots_on, settings):
    assert settings.LOTTERY_BEACON_URL == ""
    ballots_on(D, 2)

    with on(the_day_after(D)):
        draw = lottery_draw(lottery_date=D)

    assert Lottery.objects.get(date=D).beacon_delay_seconds is None
    assert draw.beacon_round is None
    assert draw.beacon_randomness == ""
