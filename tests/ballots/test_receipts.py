"""Every accepted ballot comes with the lottery's signed receipt (docs/draw-rules.md, 7)."""

import base64
from datetime import UTC, date, datetime

import pytest
import time_machine

from ballots.models import Ballot
from record.entries import entry_hash, instant
from record.keys import log_signer
from record.models import Entry
from record.notes import SIGNATURE_DASH
from tests.conftest import bearer_client, submit

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 28)


@pytest.fixture(autouse=True)
def noon():
    with time_machine.travel(datetime(2026, 11, 28, 12, tzinfo=UTC), tick=True):
        yield


def read(receipt: str) -> tuple[list[str], dict[str, list[str]]]:
    """The receipt's lines and values, once its signature by the log key is checked."""
    body, signature_line = receipt.split("\n\n")
    body += "\n"
    signer = log_signer()
    prefix = f"{SIGNATURE_DASH} {signer.name} "
    assert signature_line.startswith(prefix)
    assert signature_line.endswith("\n")
    raw = base64.b64decode(signature_line[len(prefix) : -1])
    assert raw[:4] == signer.verifier.id
    assert signer.verifier.verify(body.encode(), raw[4:]), "not signed by the log key"
    lines = body.splitlines()
    values: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, value = line.split(" ", 1)
        values.setdefault(name, []).append(value)
    return lines, values


def policy_of(day: date) -> str:
    return entry_hash(Entry.objects.get(kind=Entry.Kind.POLICY, date=day).text)


def test_a_ballot_comes_with_its_signed_receipt(auth_client):
    created = submit(auth_client).json()

    lines, values = read(created["receipt"])

    assert lines[0] == f"{log_signer().name} receipt/v1"
    stored = Ballot.objects.get(pk=created["id"])
    assert values == {
        "date": [str(TODAY)],
        "accepted_at": [instant(stored.created_at)],
        "policy": [policy_of(TODAY)],
        "ballot": [created["id"]],
    }
    # The same bytes again, for as long as the ballot exists.
    again = auth_client.get(f"/ballots/{created['id']}/receipt")
    assert again.status_code == 200
    assert again["Cache-Control"] == "no-store"
    assert again.json() == {"receipt": created["receipt"]}


def test_a_batch_has_one_receipt_naming_every_id_in_canonical_order(auth_client):
    batch = auth_client.post(
        "/ballots/batch", {"count": 7, "date": "2026-11-30"}, content_type="application/json"
    ).json()

    _, values = read(batch["receipt"])

    assert values["ballot"] == sorted(batch["ids"])
    assert values["date"] == ["2026-11-30"]
    assert values["policy"] == [policy_of(date(2026, 11, 30))]
    # Asked for by any of its ballots, the batch's receipt.
    for ballot_id in (batch["ids"][0], batch["ids"][-1]):
        answer = auth_client.get(f"/ballots/{ballot_id}/receipt").json()
        assert answer == {"receipt": batch["receipt"]}


def test_an_idempotent_repeat_gives_the_first_receipt(auth_client):
    def keyed() -> dict:
        return auth_client.post(
            "/ballots", {}, content_type="application/json", headers={"Idempotency-Key": "k-1"}
        ).json()

    first, again = keyed(), keyed()

    assert again["id"] == first["id"]
    assert again["receipt"] == first["receipt"]
    assert Ballot.objects.count() == 1


def test_ballots_of_one_person_at_other_instants_have_their_own_receipts(auth_client):
    one, two = submit(auth_client).json(), submit(auth_client).json()

    assert read(one["receipt"])[1]["ballot"] == [one["id"]]
    assert read(two["receipt"])[1]["ballot"] == [two["id"]]


def test_only_the_owner_gets_a_receipt(auth_client, other_client):
    created = submit(auth_client).json()

    assert other_client.get(f"/ballots/{created['id']}/receipt").status_code == 404
    assert auth_client.get("/ballots/not-a-uuid/receipt").status_code == 422
    from django.test import Client

    assert Client().get(f"/ballots/{created['id']}/receipt").status_code == 401


def test_a_receipt_is_never_a_checkpoint(auth_client):
    # A checkpoint's first line is the log's name alone; a receipt's names what it is.
    from scripts.verify_draw import Checkpoint, Refused

    receipt = submit(auth_client).json()["receipt"]
    with pytest.raises(Refused, match="not of the log"):
        Checkpoint.parse(receipt, log_signer().name)


def test_a_second_user_gets_receipts_of_the_same_key(auth_client, other_client, user):
    mine = read(submit(auth_client).json()["receipt"])[1]
    theirs = read(submit(other_client).json()["receipt"])[1]

    assert mine["policy"] == theirs["policy"]
    assert mine["ballot"] != theirs["ballot"]
    assert bearer_client(user).get("/ballots").json()["count"] == 1
