"""The public record as the server keeps it: entries, signed checkpoints, proofs, and real
witness processes cosigning it (docs/draw-rules.md, 6). Checked with the tests' own RFC 6962
and signed-note code (tests/log/tlog.py), not the server's."""

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import call_command
from django.test import Client

from draws.models import Draw
from draws.services import lottery_draw_closed
from record.keys import log_signer
from record.models import Checkpoint, Cosignature, Entry
from record.notes import checkpoint_body
from record.tasks import record_witness
from tests.conftest import D, on, the_day_after
from tests.log import tlog
from tests.log.witnesses import Launcher, Running

MIDNIGHT = f"{the_day_after(D)} 00:00"


def note_parts(note: str) -> tuple[str, list[str]]:
    body, signatures = note.split("\n\n", 1)
    return body + "\n", [line + "\n" for line in signatures.splitlines()]


def log_entries(client: Client) -> list[str]:
    answer = client.get("/log/entries").json()
    assert answer["next_start"] is None
    return answer["entries"]


def verify_log_signature(vkey: str, note: str) -> None:
    name, key_id, material = vkey.split("+", 2)
    raw = base64.b64decode(material)
    body, lines = note_parts(note)
    signature = base64.b64decode(lines[0].split(" ")[2])
    assert lines[0].startswith(f"\u2014 {name} ")
    assert signature[:4].hex() == key_id
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(signature[4:], body.encode())


@pytest.fixture
def drawn(client, ballots_on) -> list[str]:
    """Day D with three ballots, drawn at its midnight: the log's entries."""
    ballots_on(D, 3)
    with on(the_day_after(D), hour=0):
        lottery_draw_closed()
    return log_entries(client)


def test_a_drawn_day_is_its_policy_close_and_draw_each_logged_once(client, drawn):
    kinds = [(text.split("\n")[0], text.split("\n")[1]) for text in drawn]
    day = f"date {D}"
    assert [kind for kind, date in kinds if date == day] == [
        "lottery-policy/v1",
        "lottery-close/v1",
        "lottery-draw/v1",
    ]
    draw_entry = next(t for t in drawn if t.startswith("lottery-draw/v1\n" + day))
    answer = client.get(f"/draws/{D}").json()
    # The draw record is the entry: its hash is the record hash the chain links.
    assert answer["record_hash"] == hashlib.sha256(draw_entry.encode()).hexdigest()
    assert f"winning_ballot_id {answer['winning_ballot_id']}\n" in draw_entry
    assert f"height {answer['height']}\n" in draw_entry
    policy = next(t for t in drawn if t.startswith("lottery-policy/v1\n" + day))
    assert f"closes_at {the_day_after(D)}T00:00:00.000000Z\n" in policy
    assert "vdf_delay_log2 8\n" in policy

    with on(the_day_after(D), hour=1):  # drawing again logs nothing new
        lottery_draw_closed()
        call_command("draw", "--date", str(D))
    assert log_entries(client) == drawn


def test_the_checkpoint_is_signed_and_its_root_is_the_entries(client, drawn):
    vkey = client.get("/log/key").content.decode().strip()
    note = client.get("/log/checkpoint").content.decode()
    verify_log_signature(vkey, note)
    body, _ = note_parts(note)
    log = tlog.Log(origin=vkey.split("+")[0])
    log.append(*drawn)
    assert body == log.body(len(drawn))
    # Every size the log had has its own checkpoint, and each one's root is that prefix's.
    for size in range(1, len(drawn) + 1):
        older = client.get(f"/log/checkpoints/{size}").content.decode()
        verify_log_signature(vkey, older)
        assert note_parts(older)[0] == log.body(size)


def test_inclusion_and_consistency_proofs_check_out(client, drawn):
    leaves = [tlog.leaf_hash(text.encode()) for text in drawn]
    size = len(leaves)
    for old in range(size + 1):
        answer = client.get(f"/log/proof/consistency?old={old}&new={size}")
        proof = [base64.b64decode(h) for h in answer.json()["path"]]
        assert proof == tlog.consistency_proof(old, leaves)
    for index in range(size):
        path = client.get(f"/log/proof/inclusion?index={index}&size={size}").json()["path"]
        node, position, last = leaves[index], index, size - 1
        for sibling in map(base64.b64decode, path):  # RFC 9162 2.1.3.2
            if position & 1 or position == last:
                node = tlog.node_hash(sibling, node)
                while not position & 1 and position:
                    position, last = position >> 1, last >> 1
            else:
                node = tlog.node_hash(node, sibling)
            position, last = position >> 1, last >> 1
        assert node == tlog.root(leaves)
    # No such proof: a size the log never had, an index outside the tree, old above new.
    assert client.get(f"/log/proof/consistency?old=2&new={size + 1}").status_code == 404
    assert client.get("/log/proof/consistency?old=2&new=1").status_code == 404
    assert client.get(f"/log/proof/inclusion?index={size}&size={size}").status_code == 404


def test_a_second_entry_of_a_kind_for_one_day_is_impossible(drawn):
    from django.db import IntegrityError, transaction

    policy = Entry.objects.get(kind=Entry.Kind.POLICY, date=D)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(
            index=10_000,
            kind=Entry.Kind.POLICY,
            date=D,
            text="x",
            leaf_hash=b"",
            logged_at=policy.logged_at,
        )


# --- Witnesses, real processes --------------------------------------------------------


# Real witnesses are asked when an entry commits (on_commit): these tests commit for real.
witnessed = pytest.mark.django_db(transaction=True)


@pytest.fixture
def witness(settings, launcher: Launcher, tmp_path: Path) -> Running:
    """One witness, its clock at noon of day D, configured as the lottery's only witness."""
    (tmp_path / "w1").mkdir()
    running = launcher.start(
        tmp_path / "w1" / "key", log_signer().verifier.vkey, clock=f"{D} 12:00:00"
    )
    settings.LOTTERY_WITNESS_URLS = [running.url]
    settings.LOTTERY_WITNESS_KEYS = [running.vkey]
    return running


def cosignatures(client: Client, witness: Running) -> list[tlog.Cosignature]:
    note = client.get("/log/checkpoint").content.decode()
    body, lines = note_parts(note)
    return [tlog.verify_cosignature(witness.vkey, line, body) for line in lines[1:]]


@witnessed
def test_a_witness_cosigns_every_checkpoint_as_the_day_goes(client, witness, drawn):
    (cosigned,) = cosignatures(client, witness)
    assert cosigned.body.split("\n")[1] == str(len(drawn))
    # The witness's own clock: noon of D, a few seconds on.
    assert abs(cosigned.timestamp - int(on_clock(f"{D} 12:00:00"))) < 60
    listed = client.get("/log/checkpoints?after=0").json()["items"]
    assert len(listed) == Checkpoint.objects.filter(cosignatures__isnull=False).count() >= 3


def on_clock(text: str) -> float:
    from datetime import UTC, datetime

    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@witnessed
def test_a_history_rewritten_in_the_database_gets_no_cosignature(client, witness, drawn):
    """The operator changes the drawn day's winner in the database, rewrites the log's entry
    and re-signs every checkpoint with the lottery's own key: the witness refuses it."""
    honest = client.get("/log/checkpoint").content.decode()
    entry = Entry.objects.get(kind=Entry.Kind.DRAW, date=D)
    forged = entry.text.replace("\nwinning_index ", "\nwinning_index 1").replace(
        "index 1", "index ", 0
    )
    forged = entry.text.replace(
        entry.text.split("\n")[4],
        "winning_index " + str((int(entry.text.split("\n")[4].split()[1]) + 1) % 3),
    )
    assert forged != entry.text
    Entry.objects.filter(pk=entry.pk).update(text=forged, leaf_hash=tlog.leaf_hash(forged.encode()))
    leaves = [bytes(h) for h in Entry.objects.order_by("index").values_list("leaf_hash", flat=True)]
    signer = log_signer()
    Cosignature.objects.all().delete()
    for checkpoint in Checkpoint.objects.filter(size__gt=entry.index):
        root = tlog.root(leaves[: checkpoint.size])
        checkpoint.root = root
        checkpoint.note = signer.sign(checkpoint_body(signer.name, checkpoint.size, root))
        checkpoint.save()

    record_witness.delay()

    assert not Cosignature.objects.exists()
    assert client.get("/log/checkpoint").content.decode() != honest
    assert cosignatures(client, witness) == []


@witnessed
def test_a_witness_down_at_midnight_delays_nothing_and_cosigns_when_back(
    client, settings, launcher, witness, tmp_path, ballots_on
):
    ballots_on(D, 2)
    before_midnight = Checkpoint.objects.order_by("-size").values_list("size", flat=True)[0]
    launcher.stop(witness)
    with on(the_day_after(D), hour=0):
        lottery_draw_closed()
    assert Draw.objects.get(lottery__date=D).state == Draw.State.DRAWN
    assert not Cosignature.objects.filter(checkpoint__size__gt=before_midnight).exists()

    back = launcher.start(
        tmp_path / "w1" / "key", log_signer().verifier.vkey, clock=f"{MIDNIGHT}:30"
    )
    settings.LOTTERY_WITNESS_URLS = [back.url]
    record_witness.delay()
    (cosigned,) = cosignatures(client, back)
    assert cosigned.timestamp - on_clock(f"{MIDNIGHT}:00") < settings.LOTTERY_CLOSE_WITNESS_SECONDS
    with on(the_day_after(D), hour=1):
        assert client.get("/health/draws").json()["unwitnessed"] == []


@witnessed
def test_a_close_cosigned_past_its_bound_is_reported(
    client, settings, launcher, witness, tmp_path, ballots_on
):
    ballots_on(D, 2)
    launcher.stop(witness)
    with on(the_day_after(D), hour=0):
        lottery_draw_closed()
    back = launcher.start(
        tmp_path / "w1" / "key", log_signer().verifier.vkey, clock=f"{the_day_after(D)} 00:05:00"
    )
    settings.LOTTERY_WITNESS_URLS = [back.url]
    record_witness.delay()
    assert cosignatures(client, back)  # cosigned, but five minutes after the midnight
    with on(the_day_after(D), hour=1):
        answer = client.get("/health/draws")
    assert answer.status_code == 503
    assert answer.json()["unwitnessed"] == [str(D)]
    assert "can never verify" in answer.json()["detail"]


class _BadWitness:
    """A server of the test's own at a witness's address: it answers ``reply`` a byte at a
    time, ``pause`` seconds apart (nonsense, or a drip that would last minutes).

    The pauses are the adversary's, what the app's deadline is for: they wait on ``closed``,
    so that closing the server ends a drip at once.
    """

    def __init__(self, reply: bytes, pause: float) -> None:
        import socket
        import threading

        self.reply, self.pause = reply, pause
        self.closed = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import contextlib

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with contextlib.suppress(OSError), client:
                client.recv(65536)
                for byte in self.reply:
                    client.sendall(bytes([byte]))
                    if self.closed.wait(self.pause):
                        break

    def close(self) -> None:
        self.closed.set()
        self.listener.close()


@witnessed
def test_witnesses_that_answer_nonsense_or_drip_delay_the_draw_by_one_deadline(
    client, settings, ballots_on
):
    from time import monotonic

    from tests.log.tlog import key_id

    def vkey(name: str) -> str:
        key = tlog.raw_public(tlog.Ed25519PrivateKey.generate())
        return f"{name}+{key_id(name, 4, key).hex()}+{base64.b64encode(b'\x04' + key).decode()}"

    garbage = _BadWitness(b"NOT HTTP AT ALL\r\n\r\n", 0)
    drip = _BadWitness(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100, 0.5)
    settings.LOTTERY_WITNESS_URLS = [garbage.url, drip.url]
    settings.LOTTERY_WITNESS_KEYS = [vkey("w.test/garbage"), vkey("w.test/drip")]
    settings.LOTTERY_WITNESS_TIMEOUT_SECONDS = 1
    try:
        ballots_on(D, 2)
        started = monotonic()
        with on(the_day_after(D), hour=0):
            lottery_draw_closed()
        took = monotonic() - started
    finally:
        garbage.close()
        drip.close()
    assert Draw.objects.get(lottery__date=D).state == Draw.State.DRAWN
    assert not Cosignature.objects.exists()
    # The drip alone would hold a request for over 70 s; each ask ends at its 1 s deadline.
    assert took < 30, took


def test_numbers_past_the_log_are_not_found_or_refused_never_a_500(client, drawn):
    huge = 10**30
    assert client.get(f"/log/checkpoints/{huge}").status_code == 404
    assert client.get(f"/log/checkpoints/{-1}").status_code == 404
    assert client.get(f"/log/entries?start={huge}").status_code == 422
    assert client.get(f"/log/checkpoints?after={huge}").status_code == 422
    assert client.get(f"/log/proof/inclusion?index=0&size={huge}").status_code == 422
    assert client.get(f"/log/proof/consistency?old=0&new={huge}").status_code == 422
    assert client.get("/log/entries?start=abc").status_code == 422
