"""scripts/verify_draw.py against a cheating server: a relay of the test's own that rewrites
the live server's real answers, as an operator in control of the API could.

Each case is a way to name another winner, hide a ballot, or hang or crash the verifier; the
verifier must answer 1 (a check failed) or 2 (the answer cannot be used), print no
traceback, and finish within its timeout.
"""

import gzip
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from ballots.models import Ballot, Lottery
from draws import vdf
from scripts import verify_draw
from tests.conftest import D, close_thread_connection, on, the_day_after
from tests.draws.forgeries import LogForgery, downgraded, forged_beacon
from tests.draws.test_verifiable import VERIFIER, drawn_day

pytestmark = pytest.mark.django_db(transaction=True)

Rewrite = Callable[[str, Any], Any]
Serve = Callable[[BaseHTTPRequestHandler], bool]


class Answer(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body


class CheatingServer:
    """Relays GET requests to the real server and passes each JSON answer through ``rewrite``;
    ``serve`` may answer a request itself, headers and pace included (it returns True then);
    with ``gzip`` every answer is sent compressed to a client that accepts it."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rewrite: Rewrite = lambda path, answer: answer
        self.serve: Serve = lambda handler: False
        self.gzip = False
        self.accepted_encodings: list[str] = []
        self.closing = threading.Event()  # set when the test ends: a drip stops at once
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                relay.accepted_encodings.append(self.headers.get("Accept-Encoding", ""))
                try:
                    if relay.serve(self):
                        return
                except OSError:  # the verifier hung up: what a deadline does
                    return
                try:
                    with urllib.request.urlopen(relay.upstream + self.path) as response:  # noqa: S310 - the test's own server
                        status, body = response.status, response.read()
                        kind = response.headers.get_content_type()
                except urllib.error.HTTPError as exc:
                    status, body, kind = exc.code, exc.read(), exc.headers.get_content_type()
                try:
                    # The log's key and checkpoints are text/plain: rewritten as text.
                    read = json.loads(body) if kind == "application/json" else body.decode()
                    answer = relay.rewrite(urlsplit(self.path).path, read)
                    if isinstance(answer, str):
                        body = answer.encode()
                    else:
                        body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                except Answer as forced:
                    status, body = forced.status, forced.body
                finally:
                    close_thread_connection()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                if relay.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body)
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "CheatingServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cheat(live_server) -> Iterator[CheatingServer]:
    with CheatingServer(live_server.url) as server:
        yield server


def run(server: CheatingServer, *args: str, day: str = str(D)) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own script, no shell
        [sys.executable, "-I", "-S", str(VERIFIER), server.url, day, "--min-delay", "2^8", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def on_draw(change: Callable[[dict[str, Any]], object]) -> Rewrite:
    def rewrite(path: str, answer: Any) -> Any:
        if path.startswith("/draws/") and path.count("/") == 2 and isinstance(answer, dict):
            change(answer)
        return answer

    return rewrite


def forging_the_log(cheat: CheatingServer, change: Callable[[dict[str, Any]], object]) -> Rewrite:
    """The operator's forgery: the draw of D and the public record rewritten to match, every
    checkpoint re-signed with the lottery's own key (tests/draws/forgeries.py)."""
    return LogForgery(cheat.upstream, str(D), change)


def winner_for(draw: dict[str, Any], index: int) -> str:
    ids = sorted(Ballot.objects.filter(lottery__date=D).values_list("id", flat=True))
    return str(ids[index])


def recomputed_winner(answer: dict[str, Any]) -> None:
    """What a cheat does after changing an input: recompute the index and winner from it."""
    y = int(answer["vdf_output"], 16)
    count = answer["ballot_count"]
    answer["winning_index"] = vdf.winner_index(output=y, count=int(count))
    answer["winning_ballot_id"] = winner_for(answer, answer["winning_index"])


@pytest.fixture
def day(client, user):
    draw, _ = drawn_day(client, user, 60)
    return draw


def test_the_honest_server_passes_through_the_relay(cheat, day):
    result = run(cheat)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout


@pytest.mark.parametrize("spelling", [83.0, "83", True, -1, 83.5])
def test_a_count_that_is_not_a_json_integer_is_refused(cheat, day, spelling):
    def change(answer: dict[str, Any]) -> None:
        answer["ballot_count"] = spelling if spelling != 83.0 else float(answer["ballot_count"])

    cheat.rewrite = on_draw(change)
    result = run(cheat)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL the answer is in canonical form: ballot_count must be a JSON integer" in (
        result.stdout
    )


@pytest.mark.parametrize("suffix", ["/", "//", "///", "////", " ", "T00:00"])
def test_another_spelling_of_the_date_is_refused(cheat, day, suffix):
    cheat.rewrite = on_draw(lambda answer: answer.update(date=answer["date"] + suffix))
    result = run(cheat)
    assert result.returncode == 1, result.stdout
    assert "FAIL the answer is in canonical form: date is not in its canonical form" in (
        result.stdout
    )


def test_another_days_draw_is_refused_for_the_day_asked(cheat, client, user):
    drawn_day(client, user, 10)
    cheat.rewrite = on_draw(lambda answer: None)
    result = run(cheat, day=str(the_day_after(D)))  # the relay serves D's draw below
    assert result.returncode == 2  # the day asked is not drawn: the server's 404

    def serve_d_for_any_day(path: str, answer: Any) -> Any:
        if path == f"/draws/{the_day_after(D)}":
            with urllib.request.urlopen(f"{cheat.upstream}/draws/{D}") as response:  # noqa: S310 - the test's own server
                raise Answer(200, response.read())
        return answer

    cheat.rewrite = serve_d_for_any_day
    result = run(cheat, day=str(the_day_after(D)))
    assert result.returncode == 1
    assert f"asked for the draw of {the_day_after(D)}, the server answered {D}" in result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("merkle_root", "upper"),
        ("record_hash", "upper"),
        ("vdf_output", "upper"),
        ("winning_ballot_id", "upper"),
        ("winning_index", "float"),
        ("vdf_delay_log2", "true"),
        ("vdf_output", "N-y"),
    ],
)
def test_each_field_has_one_canonical_form(cheat, day, name, value):
    def change(answer: dict[str, Any]) -> None:
        if value == "upper":
            answer[name] = answer[name].upper()
        elif value == "float":
            answer[name] = float(answer[name])
        elif value == "true":
            answer[name] = True
        else:  # the same class of Z_N^* / {1, -1}, spelled by its other representative
            answer[name] = vdf.element_hex(vdf.N - int(answer[name], 16))

    cheat.rewrite = on_draw(change)
    result = run(cheat)
    assert result.returncode == 1, result.stdout
    assert "FAIL the answer is in canonical form" in result.stdout


def test_a_ballot_check_needs_a_winner_on_a_day_with_ballots(cheat, day):
    ballot = str(Ballot.objects.filter(lottery__date=D).first().pk)  # type: ignore[union-attr]
    cheat.rewrite = on_draw(lambda answer: answer.update(winning_ballot_id=None))
    result = run(cheat, "--ballot", ballot)
    assert result.returncode == 1
    assert "a winner, its index and a non-empty day go together" in result.stdout

    cheat.rewrite = on_draw(
        lambda answer: answer.update(winning_ballot_id=None, winning_index=None)
    )
    assert run(cheat, "--ballot", ballot).returncode == 1


def test_a_repeating_next_after_cannot_hang_the_verifier(cheat, day):
    def repeat(path: str, answer: Any) -> Any:
        if path.endswith("/ballots"):
            answer["next_after"] = answer["items"][0]  # never the last id: no progress
        return answer

    cheat.rewrite = repeat
    result = run(cheat)
    assert result.returncode == 1
    assert "must hold 10000 ids and end at next_after" in result.stdout


def test_endless_full_pages_stop_at_the_bound_the_count_gives(cheat, day):
    page = [str(vdf_id) for vdf_id in sorted(Ballot.objects.values_list("id", flat=True))]
    filler = (page * 200)[:10_000]

    def endless(path: str, answer: Any) -> Any:
        if path.endswith("/ballots"):
            return {"items": filler, "next_after": filler[-1]}
        return answer

    cheat.rewrite = endless
    result = run(cheat)
    assert result.returncode == 1
    assert "the ballot list goes on past 1 pages for 60 ballots" in result.stdout


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer(503, b'{"detail": "The database is unreachable; retry shortly."}'), "HTTP 503"),
        (Answer(200, b"<html>not json</html>"), "did not answer JSON"),
        (Answer(200, b'{"date": "x", "date": "y"}'), "duplicate keys"),
        (Answer(200, b'{"ballot_count": NaN}'), "did not answer JSON"),
        (Answer(200, b"[]"), "expected a JSON object"),
        (Answer(200, b'{"date": "' + str(D).encode() + b'"}'), "has no 'rule' field"),
    ],
)
def test_an_unusable_answer_ends_with_exit_2_and_its_reason(cheat, day, answer, expected):
    def refuse(path: str, body: Any) -> Any:
        raise answer

    cheat.rewrite = refuse
    result = run(cheat)
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr
    if answer.status == 503:
        assert "The database is unreachable; retry shortly." in result.stderr


def test_an_empty_day_prints_no_index_lines(cheat, client, user):
    drawn_day(client, user, 0)
    result = run(cheat)
    assert result.returncode == 0, result.stdout
    assert "None" not in result.stdout
    assert "no ballots: no index and no winner" in result.stdout


# --- What held before, and must keep holding ----------------------------------------------


def on_ballots(change: Callable[[list[str]], list[str]]) -> Rewrite:
    def rewrite(path: str, answer: Any) -> Any:
        if path.endswith("/ballots"):
            answer["items"] = change(answer["items"])
        return answer

    return rewrite


@pytest.mark.parametrize(
    ("change", "failure"),
    [
        (lambda ids: ids[1:], "FAIL the ballot count"),
        (lambda ids: [ids[1], ids[0], *ids[2:]], "FAIL the ballot ids are in canonical order"),
        (lambda ids: [ids[0], *ids[:-1]], "FAIL the ballot ids are in canonical order"),
        (lambda ids: [*ids[:5], *ids[6:], ids[5]], "FAIL the ballot ids are in canonical order"),
    ],
    ids=["drop", "swap", "repeat", "move"],
)
def test_a_changed_ballot_list_fails(cheat, day, change, failure):
    cheat.rewrite = on_ballots(change)
    result = run(cheat)
    assert result.returncode == 1
    assert failure in result.stdout


def test_the_next_index_fails(cheat, day):
    def change(answer: dict[str, Any]) -> None:
        answer["winning_index"] = (answer["winning_index"] + 1) % answer["ballot_count"]
        answer["winning_ballot_id"] = winner_for(answer, answer["winning_index"])

    cheat.rewrite = forging_the_log(cheat, change)
    result = run(cheat)
    assert result.returncode == 1
    assert "FAIL the winning index" in result.stdout


def test_a_flipped_proof_sibling_fails(cheat, day):
    ballot = str(Ballot.objects.filter(lottery__date=D).first().pk)  # type: ignore[union-attr]

    def flip(path: str, answer: Any) -> Any:
        if path.endswith(f"/{ballot}/proof"):
            sibling = answer["path"][0]
            answer["path"][0] = sibling[:-1] + ("0" if sibling[-1] != "0" else "1")
        return answer

    cheat.rewrite = flip
    result = run(cheat, "--ballot", ballot)
    assert result.returncode == 1
    assert f"FAIL ballot {ballot} is in the draw" in result.stdout


def test_a_changed_seed_digit_fails_an_old_day(cheat, client, user):
    drawn_day(client, user, 30, rule=Lottery.Rule.HMAC)

    def change(answer: dict[str, Any]) -> None:
        answer["seed"] = ("1" if answer["seed"][0] != "1" else "2") + answer["seed"][1:]

    cheat.rewrite = forging_the_log(cheat, change)
    result = run(cheat)
    assert result.returncode == 1
    assert "FAIL the seed matches its commitment" in result.stdout


# --- The operator: it knows every ballot, the database and the seed before the close ------


def test_a_cheaper_output_with_its_winner_recomputed_fails(cheat, day):
    # Whoever skips the delay must make up y: here half the squarings, and the winner that
    # follows from it. Without the true y the proof cannot be made, and the check fails.
    def change(answer: dict[str, Any]) -> None:
        x = vdf.input_element(
            vdf.statement(lottery_date=D, count=60, root=answer["merkle_root"], delay_log2=8)
        )
        answer["vdf_output"] = vdf.element_hex(vdf.normalize(pow(x, 1 << 128, vdf.N)))
        recomputed_winner(answer)

    cheat.rewrite = forging_the_log(cheat, change)
    result = run(cheat)
    assert result.returncode == 1
    assert "FAIL the delay function's output is proven" in result.stdout


def test_a_shorter_delay_than_the_published_policy_fails(cheat, day, tmp_path):
    record = tmp_path / "seen.json"
    # Before the close an auditor recorded the day's policy (2^8); the cheat then serves a
    # day drawn with a valid proof of a shorter delay, 2^4, and the winner it gives.
    record.write_text(json.dumps({str(D): {"vdf_delay_log2": 8}}))

    def shorter(answer: dict[str, Any]) -> None:
        x = vdf.input_element(
            vdf.statement(lottery_date=D, count=60, root=answer["merkle_root"], delay_log2=4)
        )
        evaluation = vdf.evaluate(x, 4)
        answer["vdf_delay_log2"] = 4
        answer["vdf_output"] = vdf.element_hex(evaluation.output)
        answer["vdf_proof"] = [vdf.element_hex(mu) for mu in evaluation.proof]
        recomputed_winner(answer)

    cheat.rewrite = forging_the_log(cheat, shorter)
    below_floor = run(cheat)
    assert below_floor.returncode == 1
    assert "FAIL the delay is at least 2^8 squarings: 2^4 squarings" in below_floor.stdout
    # Even an auditor who accepts short delays sees that the policy was another.
    contradicted = run(cheat, "--min-delay", "2^1", "--record", str(record))
    assert contradicted.returncode == 1
    assert f"FAIL {D}'s vdf_delay_log2 is what an earlier run saw: kept 8, now 4" in (
        contradicted.stdout
    )


def test_a_root_changed_after_the_close_contradicts_the_record(cheat, client, user, tmp_path):
    draw, _ = drawn_day(client, user, 12)
    record = tmp_path / "seen.json"
    assert run(cheat, "--record", str(record)).returncode == 0
    kept = json.loads(record.read_text())[str(D)]
    assert kept["merkle_root"] == draw.merkle_root
    assert kept["record_hash"] == draw.record_hash

    cheat.rewrite = on_draw(lambda answer: answer.update(merkle_root="0" * 64))
    result = run(cheat, "--record", str(record))
    assert result.returncode == 1
    assert f"FAIL {D}'s merkle_root is what an earlier run saw" in result.stdout


def test_a_commitment_kept_while_the_day_was_open_verifies_an_old_day(
    cheat, client, user, tmp_path
):
    # The person's routine: each day, check yesterday's draw with --record, which also keeps
    # GET /lotteries as it stands. An old-rule day among those open is then checked against
    # the commitment kept before it closed, with no --commitment to copy by hand. (The
    # open day is today's: the server's clock stays real while the verifier asks it.)
    drawn_day(client, user, 3)
    today = timezone.localdate()
    lottery = Lottery.objects.create(date=today, rule=Lottery.Rule.HMAC, vdf_delay_log2=None)
    record = tmp_path / "seen.json"
    assert run(cheat, "--record", str(record)).returncode == 0
    Ballot.objects.bulk_create([Ballot(user=user, lottery=lottery) for _ in range(4)])
    from draws.services import lottery_draw

    with on(the_day_after(today)):
        lottery_draw(lottery_date=today)

    kept = run(cheat, "--record", str(record), day=str(today))
    assert kept.returncode == 0, kept.stdout
    assert (
        f"OK   the commitment is the one seen before the day: you saw {lottery.seed_commitment}"
    ) in kept.stdout
    assert run(cheat, day=str(today)).returncode == 1  # no record, no --commitment


def test_the_chain_check_catches_a_rewritten_earlier_day(cheat, client, user, auth_client):
    drawn_day(client, user, 5)  # D, height 0
    later = the_day_after(D)
    Ballot.objects.bulk_create(
        [Ballot(user=user, lottery=Lottery.objects.get_or_create(date=later)[0]) for _ in range(3)]
    )
    from draws.services import lottery_draw

    with on(the_day_after(later)):
        lottery_draw(lottery_date=later)
    honest = run(cheat, "--chain", "3", day=str(later))
    assert honest.returncode == 0, honest.stdout + honest.stderr
    assert f"OK   the chain link {later} -> {D}" in honest.stdout
    assert f"the chain starts at {D} (height 0)" in honest.stdout

    # History rewritten: D's winner changed, in its answer and in the log's draw entry, its
    # record hash recomputed and every checkpoint re-signed to match.
    def rewrite_d(answer: dict[str, Any]) -> None:
        answer["winning_index"] = (answer["winning_index"] + 1) % 5
        answer["winning_ballot_id"] = winner_for(answer, answer["winning_index"])

    cheat.rewrite = forging_the_log(cheat, rewrite_d)
    result = run(cheat, "--chain", "1", day=str(later))
    assert result.returncode == 1
    assert f"FAIL the chain link {later} -> {D}" in result.stdout


def test_a_rate_limited_page_is_waited_out(cheat, day):
    # The server limits ballot pages per address (PUBLIC_READ_RATE_LIMIT_PER_MINUTE).
    limited = {"left": 1}

    def once_429(path: str, answer: Any) -> Any:
        if path.endswith("/ballots") and limited["left"]:
            limited["left"] -= 1
            raise Answer(429, b'{"detail": "Too many requests; retry in 1 s."}')
        return answer

    cheat.rewrite = once_429
    result = run(cheat)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "limits how fast it is read (HTTP 429): waiting 5 s" in result.stdout


# --- The rule itself, served as something else (the third-round audit) -------------------


def test_a_made_up_beacon_round_fails_where_its_signature_cannot_be_checked(cheat, day):
    # Under `python3 -I -S` py_ecc cannot load. Random bytes as the pinned round's signature,
    # their SHA-256 as its randomness, and the winner that follows: only the signature is
    # wrong, and a note that it went unchecked let the server pick the winner.
    cheat.rewrite = forging_the_log(cheat, forged_beacon)
    result = run(cheat)
    assert result.returncode == 1, result.stdout
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1, result.stdout  # every other check holds: the forgery is good
    assert failed[0].startswith("FAIL the beacon's BLS signature of round"), result.stdout
    assert "py_ecc" in failed[0]
    assert "--beacon-url" in failed[0]


def test_a_new_day_served_under_the_old_rule_fails_without_the_commitment_seen_before(cheat, day):
    # hmac-sha256 is fair only if its seed was committed before the close. A seed made up
    # after it, its commitment and the winner they give passed every check of the old rule.
    cheat.rewrite = forging_the_log(cheat, downgraded)
    result = run(cheat)
    assert result.returncode == 1, result.stdout
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == [
        "FAIL the commitment is the one seen before the day: none given; hmac-sha256 is fair "
        "only if the seed_commitment was public before the day closed: pass the one you saw "
        "with --commitment, or keep GET /lotteries with --record while the day is open"
    ], result.stdout
    # The commitment a person saw for this day: none (GET /lotteries shows none for a day
    # of the delay function), and any they make up is not the one served.
    assert run(cheat, "--commitment", "0" * 64).returncode == 1


# --- Reading the server: deadlines, encodings, numbers (docs/draw-rules.md, 7) ---------------


def answering(path: str, respond: Callable[[BaseHTTPRequestHandler], None]) -> Serve:
    """A relay hook that answers ``path`` with ``respond``, and relays every other path."""

    def serve(handler: BaseHTTPRequestHandler) -> bool:
        if path != "*" and urlsplit(handler.path).path != path:
            return False
        respond(handler)
        return True

    return serve


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def dripping(server: CheatingServer) -> Callable[[BaseHTTPRequestHandler], None]:
    """A body that never ends in time: one byte every 2 s (a minute at most, or until the
    test ends). The pauses are the adversary's, the pace the verifier's deadlines are for."""

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(30):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            if server.closing.wait(2):
                return

    return drip


def test_a_body_dripped_byte_by_byte_is_cut_off_at_the_runs_deadline(cheat, day):
    cheat.serve = answering(f"/draws/{D}", dripping(cheat))
    started = time.monotonic()
    result = run(cheat, "--timeout", "8")
    took = time.monotonic() - started

    assert result.returncode == 2, result.stdout + result.stderr
    assert took < 30, took
    assert f"cannot check the draw: {cheat.url}/draws/{D} did not answer within" in result.stderr
    assert "(the run's deadline, --timeout 8 s; deadline)" in result.stderr


def test_the_per_request_deadline_counts_the_whole_body(cheat, day, monkeypatch, capsys):
    # 120 s in the script; 3 s here, with the run's own deadline far away.
    monkeypatch.setattr(verify_draw, "REQUEST_SECONDS", 3)
    cheat.serve = answering(f"/draws/{D}", dripping(cheat))
    started = time.monotonic()
    code = verify_draw.main([cheat.url, str(D), "--min-delay", "2^8"])
    took = time.monotonic() - started

    assert code == 2
    assert took < 15, took
    err = capsys.readouterr().err
    assert f"{cheat.url}/draws/{D} did not answer within 3 s (the per-request deadline of 3 s" in (
        err
    )


def test_the_deadline_is_printed_first(cheat, day):
    result = run(cheat, "--timeout", "600")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].endswith("; deadline: 600 s for the whole run (--timeout)")
    default = run(cheat)
    assert "deadline: 1800 s for the whole run (--timeout)" in default.stdout.splitlines()[0]


def test_retry_after_past_the_runs_deadline_ends_the_run_at_once(cheat, day):
    cheat.serve = answering(
        "*", lambda handler: send(handler, 429, b'{"detail": "slow down"}', Retry_After="60")
    )
    started = time.monotonic()
    result = run(cheat, "--timeout", "8")
    took = time.monotonic() - started

    assert result.returncode == 2, result.stdout + result.stderr
    assert took < 30, took
    assert (
        "answered HTTP 429 (too many requests) and asks for 60 s: waiting would pass the run's "
        "deadline, --timeout 8 s (deadline)"
    ) in result.stderr


def test_retry_after_waits_share_one_budget(cheat, day, monkeypatch, capsys):
    # 600 s in the script; 2 s here: two waits of 1 s, and the third would pass it.
    monkeypatch.setattr(verify_draw, "WAIT_BUDGET_SECONDS", 2)
    slept: list[float] = []
    monkeypatch.setattr(verify_draw, "sleep", slept.append)  # the waits, told, not waited
    cheat.serve = answering(
        "*", lambda handler: send(handler, 429, b'{"detail": "slow down"}', Retry_After="1")
    )
    started = time.monotonic()
    code = verify_draw.main([cheat.url, str(D), "--min-delay", "2^8"])
    took = time.monotonic() - started

    assert code == 2
    assert slept == [1, 1]
    assert took < 10, took
    out, err = capsys.readouterr()
    assert out.count("limits how fast it is read (HTTP 429): waiting 1 s as it asks") == 2
    assert "waiting 1 s more would pass the 2 s budget of the run's waits (deadline)" in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_json_that_is_not_utf8_without_a_bom_is_refused(cheat, day, encoding):
    def recode(path: str, answer: Any) -> Any:
        return json.dumps(answer).encode(encoding) if path == f"/draws/{D}" else answer

    cheat.rewrite = recode
    result = run(cheat)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{cheat.url}/draws/{D} did not answer UTF-8 JSON" in result.stderr


@pytest.mark.parametrize("spelling", ["-0", str(2**60 + 1), str(2**53)])
def test_an_integer_a_browser_cannot_read_exactly_is_refused(cheat, day, spelling):
    def respell(path: str, answer: Any) -> Any:
        if path != f"/draws/{D}":
            return answer
        body = json.dumps(answer).encode()
        return re.sub(rb'"height": [0-9]+', b'"height": ' + spelling.encode(), body)

    cheat.rewrite = respell
    result = run(cheat)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "FAIL the answer is in canonical form: height must be a JSON integer >= 0 and at most "
        f"2^53 - 1, not {spelling}"
    ) in result.stdout


def test_an_entry_integer_above_what_a_browser_reads_is_refused():
    close = (
        "lottery-close/v1\ndate 2026-11-20\npolicy {h}\nballot_count {n}\nmerkle_root {h}\n"
        "closed_at 2026-11-21T00:00:00.412345Z\n"
    )
    largest = close.format(h="ab" * 32, n=2**53 - 1).encode()
    assert verify_draw.Entry.parse(0, largest).number("ballot_count") == 2**53 - 1
    with pytest.raises(verify_draw.Refused, match=r"ballot_count is above 2\^53 - 1"):
        verify_draw.Entry.parse(0, close.format(h="ab" * 32, n=2**53).encode())
    with pytest.raises(verify_draw.Refused, match="expected ballot_count"):
        verify_draw.Entry.parse(0, close.format(h="ab" * 32, n=10**17).encode())


def test_a_close_time_that_is_no_time_is_refused(cheat, day):
    cheat.rewrite = on_draw(lambda answer: answer.update(closes_at="whenever"))
    result = run(cheat)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL the answer is in canonical form: closes_at is not an ISO 8601 time" in (
        result.stdout
    )


def test_gzip_compressed_honest_answers_pass(cheat, day):
    cheat.gzip = True
    result = run(cheat)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    assert cheat.accepted_encodings
    assert all(accepted == "gzip" for accepted in cheat.accepted_encodings)


def test_another_content_encoding_is_refused(cheat, day):
    cheat.serve = answering(
        f"/draws/{D}", lambda handler: send(handler, 200, b"{}", Content_Encoding="br")
    )
    result = run(cheat)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "answered in Content-Encoding 'br': only gzip is accepted" in result.stderr


LIMIT = 64 * 1024 * 1024


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip-bomb"])
def test_a_body_over_64_mb_is_refused(cheat, day, compressed):
    # Spaces are JSON whitespace: only the size is wrong. Compressed, 64 MB take 64 KB.
    body = b" " * (LIMIT + 1) + b"{}"
    headers = {"Content_Encoding": "gzip"} if compressed else {}
    body = gzip.compress(body) if compressed else body
    cheat.serve = answering(f"/draws/{D}", lambda handler: send(handler, 200, body, **headers))
    result = run(cheat)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{cheat.url}/draws/{D} answered more than {LIMIT} bytes" in result.stderr
