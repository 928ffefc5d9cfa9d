"""Issue 22's lies, told by an operator who holds the lottery's key and database, through a
rewriting proxy, to a verifier given only the keys a participant pinned before the day: the
lottery's (--log-key) and a witness's (--witness-key). Every forgery rewrites the draw and
the public record together and re-signs every checkpoint (tests/draws/forgeries.py); what it
cannot have is the witness's cosignature. Real witness process, real HTTP, the stdlib-only
verifier run as `python3 -I -S`."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from ballots.models import Ballot, Lottery
from draws import vdf
from draws.services import lottery_draw_closed
from record.keys import log_signer
from record.models import Checkpoint, Entry
from record.notes import checkpoint_body
from record.tasks import record_witness
from tests.conftest import D, on, the_day_after
from tests.draws.forgeries import LogForgery, downgraded, forged_beacon, rewon
from tests.draws.test_verifier_hostile import CheatingServer
from tests.log import tlog
from tests.log.witnesses import Launcher, Running

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "scripts" / "verify_draw.py"
MIDNIGHT = the_day_after(D)
BALLOTS = 6

pytestmark = pytest.mark.django_db(transaction=True)  # witnesses are asked on commit


class Day:
    def __init__(self, launcher: Launcher, tmp_path: Path, settings: Any) -> None:
        self.launcher, self.tmp_path, self.settings = launcher, tmp_path, settings
        (tmp_path / "w").mkdir()
        self.witness = self.start_witness(f"{D} 12:00:00")

    def start_witness(self, clock: str) -> Running:
        running = self.launcher.start(
            self.tmp_path / "w" / "key", log_signer().verifier.vkey, clock=clock
        )
        self.settings.LOTTERY_WITNESS_URLS = [running.url]
        self.settings.LOTTERY_WITNESS_KEYS = [running.vkey]
        return running

    def restart_witness(self, clock: str) -> None:
        self.launcher.stop(self.witness)
        self.witness = self.start_witness(clock)


@pytest.fixture
def day(client: Client, user, launcher, tmp_path, settings) -> Day:
    """D with six ballots: its policy cosigned at noon of D (the witness's clock), its close
    cosigned five seconds after its midnight, drawn."""
    made = Day(launcher, tmp_path, settings)
    with on(D):
        client.get("/lotteries")  # the window and its policies, witnessed at noon
    Ballot.objects.bulk_create(
        [Ballot(user=user, lottery=Lottery.objects.get(date=D)) for _ in range(BALLOTS)]
    )
    made.restart_witness(f"{MIDNIGHT} 00:00:05")
    with on(MIDNIGHT, hour=0):
        lottery_draw_closed()
    return made


def verify(
    base: str, day: Day, *args: str, date: str = str(D), witnessed: bool = True
) -> subprocess.CompletedProcess[str]:
    pins = ["--log-key", log_signer().verifier.vkey]
    if witnessed:
        pins += ["--witness-key", day.witness.vkey, "--require-witnesses"]
    result = subprocess.run(  # noqa: S603 - our own script, no shell
        [
            sys.executable,
            "-I",
            "-S",
            str(VERIFIER),
            base,
            date,
            "--min-delay",
            "2^8",
            *pins,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def failures(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("FAIL")]


def test_the_honest_day_passes_with_the_pinned_keys(live_server, day):
    result = verify(live_server.url, day)
    assert result.returncode == 0, result.stdout
    assert "OK   the policy was witnessed before the close" in result.stdout or (
        "the policy" in result.stdout and not failures(result)
    )
    assert result.stdout.splitlines()[-1] == "all checks passed"


def _winner(answer: dict[str, Any]) -> dict[str, Any]:
    return rewon(answer)


def _beacon(answer: dict[str, Any]) -> None:
    forged_beacon(answer)


def _zone(answer: dict[str, Any]) -> None:
    # The midnight of +14:00 instead of UTC's: another beacon round, another winner.
    answer["closes_at"] = f"{MIDNIGHT}T00:00:00+14:00"
    rewon(answer)


def _delay(answer: dict[str, Any]) -> None:
    # A longer delay than the policy's, with its own valid proof and winner.
    statement = vdf.statement(
        lottery_date=D, count=BALLOTS, root=answer["merkle_root"], delay_log2=9
    )
    evaluation = vdf.evaluate(vdf.input_element(statement), 9)
    answer["vdf_delay_log2"] = 9
    answer["vdf_output"] = vdf.element_hex(evaluation.output)
    answer["vdf_proof"] = [vdf.element_hex(mu) for mu in evaluation.proof]
    rewon(answer)


def _downgrade(answer: dict[str, Any]) -> None:
    downgraded(answer)


def _count_cut(answer: dict[str, Any]) -> None:
    # The same root served with one ballot fewer: the delay and the winner recomputed.
    answer["ballot_count"] = BALLOTS - 1
    answer["winning_index"] = 0  # recomputed below; the honest one may be past the cut
    _delay_at(answer, 8)


def _delay_at(answer: dict[str, Any], log2: int) -> None:
    statement = vdf.statement(
        lottery_date=D, count=answer["ballot_count"], root=answer["merkle_root"], delay_log2=log2
    )
    evaluation = vdf.evaluate(vdf.input_element(statement), log2)
    answer["vdf_output"] = vdf.element_hex(evaluation.output)
    answer["vdf_proof"] = [vdf.element_hex(mu) for mu in evaluation.proof]
    rewon(answer)


@pytest.mark.parametrize(
    ("lie", "complete"),
    [(_beacon, False), (_zone, True), (_delay, True), (_downgrade, False), (_count_cut, False)],
    ids=["beacon round", "zone of the close", "delay", "downgrade to hmac", "count cut"],
)
def test_each_lie_is_refused_with_only_the_pinned_keys(live_server, day, lie, complete):
    """``complete``: nothing but the witness catches it (the beacon forgery's made-up BLS
    signature, the downgrade's missing commitment and the cut count's proof paths, which do
    not fit every tree size, are caught on their own too)."""
    with CheatingServer(live_server.url) as cheat:
        cheat.rewrite = LogForgery(cheat.upstream, str(D), lie)
        result = verify(cheat.url, day)
        ballot = str(Ballot.objects.filter(lottery__date=D).values_list("id", flat=True)[0])
        one_ballot = verify(cheat.url, day, "--ballot", ballot)
        # Pinning only the lottery's key is not enough: the operator re-signed its log.
        unwitnessed = verify(cheat.url, day, "--ballot", ballot, witnessed=False)
    for run in (result, one_ballot):
        assert run.returncode in (1, 2), run.stdout
        # The forged record carries no cosignature of the pinned witness.
        assert any("witness" in line or "cosigned" in line for line in failures(run)), run.stdout
    if complete:
        assert unwitnessed.returncode == 0, unwitnessed.stdout
        last = unwitnessed.stdout.splitlines()[-1]
        assert last.endswith("not checked: witnesses (--witness-key)")


def test_a_history_rewritten_in_the_database_fails(live_server, client, day):
    """The operator changes the drawn winner in the database and the log, re-signs every
    checkpoint: the witness refuses to cosign it, and the verifier fails the day."""
    entry = Entry.objects.get(kind=Entry.Kind.DRAW, date=D)
    index = int(entry.text.split("\nwinning_index ")[1].split("\n")[0])
    forged = entry.text.replace(
        f"\nwinning_index {index}\n", f"\nwinning_index {(index + 1) % BALLOTS}\n"
    )
    Entry.objects.filter(pk=entry.pk).update(text=forged, leaf_hash=tlog.leaf_hash(forged.encode()))
    leaves = [bytes(h) for h in Entry.objects.order_by("index").values_list("leaf_hash", flat=True)]
    signer = log_signer()
    for checkpoint in Checkpoint.objects.filter(size__gt=entry.index):
        root = tlog.root(leaves[: checkpoint.size])
        checkpoint.root = root
        checkpoint.note = signer.sign(checkpoint_body(signer.name, checkpoint.size, root))
        checkpoint.save()
    record_witness.delay()  # the witness is asked, and refuses

    result = verify(live_server.url, day)
    assert result.returncode == 1, result.stdout
    assert failures(result)


def drawn_while_the_witness_was_down(client, user, launcher, tmp_path, settings, back_at: str):
    """D drawn at its midnight with the witness down, the witness back at ``back_at``."""
    made = Day(launcher, tmp_path, settings)
    with on(D):
        client.get("/lotteries")
    Ballot.objects.bulk_create([Ballot(user=user, lottery=Lottery.objects.get(date=D))])
    launcher.stop(made.witness)  # down at midnight: the day is drawn all the same
    with on(MIDNIGHT, hour=0):
        lottery_draw_closed()
    made.witness = made.start_witness(f"{MIDNIGHT} {back_at}")
    record_witness.delay()
    return made


def test_a_close_witnessed_only_after_its_bound_fails(
    live_server, client, user, launcher, tmp_path, settings
):
    made = drawn_while_the_witness_was_down(
        client, user, launcher, tmp_path, settings, back_at="00:05:00"
    )
    result = verify(live_server.url, made)
    assert result.returncode == 1, result.stdout
    assert any("the close was not witnessed in time" in line for line in failures(result))


def test_a_witness_back_within_the_bound_leaves_the_day_verifiable(
    live_server, client, user, launcher, tmp_path, settings
):
    made = drawn_while_the_witness_was_down(
        client,
        user,
        launcher,
        tmp_path,
        settings,
        back_at="00:00:40",  # the bound is 60 s
    )
    result = verify(live_server.url, made)
    assert result.returncode == 0, result.stdout


def test_a_second_policy_for_the_day_fails(live_server, day):
    """A forged log with another policy for D appended (re-signed): refused."""

    class SecondPolicy(LogForgery):
        def _forge(self, honest: dict[str, Any]) -> None:
            super()._forge(honest)
            policy = next(t for t in self.entries if t.startswith(f"lottery-policy/v1\ndate {D}\n"))
            self.entries.append(
                policy.replace("close_witness_seconds 60", "close_witness_seconds 61")
            )

    with CheatingServer(live_server.url) as cheat:
        cheat.rewrite = SecondPolicy(cheat.upstream, str(D), lambda answer: None)
        result = verify(cheat.url, day)
    assert result.returncode == 1, result.stdout
    assert any(f"the log holds one policy entry for {D}" in line for line in failures(result)), (
        result.stdout
    )
