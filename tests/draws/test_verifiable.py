"""Verifiable draws: scripts/verify_draw.py, run as a subprocess against the live test server.

The verifier runs with ``python -I -S`` (no site-packages), so it proves it needs nothing
but the standard library.
"""

import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db.models import F

from ballots.models import Ballot, Lottery
from draws import vdf
from draws.models import Draw
from draws.services import lottery_draw
from tests.conftest import D, forget_rendered_results, on, submit, the_day_after

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "scripts" / "verify_draw.py"

pytestmark = pytest.mark.django_db(transaction=True)


FLOOR = ["--min-delay", "2^8"]


def verify(live_server, *args: str) -> subprocess.CompletedProcess[str]:
    """The verifier on day D; test days publish a delay of 2^8, below the default floor."""
    return subprocess.run(  # noqa: S603 - our own script, no shell
        [sys.executable, "-I", "-S", str(VERIFIER), live_server.url, str(D), *FLOOR, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def drawn_day(
    client, user, n: int, rule: str = Lottery.Rule.DELAY_FUNCTION
) -> tuple[Draw, str | None]:
    """Day D with ``n`` ballots, drawn under ``rule``; also the seed commitment /lotteries
    showed before them (hmac-sha256 days, which are days created before the delay-function rule)."""
    if rule == Lottery.Rule.HMAC:
        Lottery.objects.create(date=D, rule=rule, vdf_delay_log2=None)
    with on(D):
        commitment = client.get("/lotteries").json()[0]["seed_commitment"]
    lottery = Lottery.objects.get(date=D)
    Ballot.objects.bulk_create([Ballot(user=user, lottery=lottery) for _ in range(n)])
    with on(the_day_after(D)):
        return lottery_draw(lottery_date=D), commitment


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 1000])
def test_the_verifier_recomputes_every_days_draw(live_server, client, user, n):
    draw, _ = drawn_day(client, user, n)

    result = verify(live_server)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    assert "OK   the delay is at least 2^8 squarings: 2^8 squarings" in result.stdout
    assert draw.ballot_count == n
    assert (draw.winning_ballot_id is None) == (n == 0)


@pytest.mark.parametrize("n", [0, 3, 1000])
def test_old_draws_still_verify_under_the_hmac_rule(live_server, client, user, n):
    draw, commitment = drawn_day(client, user, n, rule=Lottery.Rule.HMAC)
    assert commitment is not None

    result = verify(live_server, "--commitment", commitment)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    assert draw.ballot_count == n
    assert (draw.winning_ballot_id is None) == (n == 0)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 1000, 2500])
def test_inclusion_proofs_verify_for_the_first_middle_and_last_ballot(live_server, client, user, n):
    drawn_day(client, user, n)
    in_order = sorted(Ballot.objects.filter(lottery__date=D).values_list("id", flat=True))

    for ballot_id in {in_order[0], in_order[n // 2], in_order[-1]}:
        result = verify(live_server, "--ballot", str(ballot_id))
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"OK   ballot {ballot_id} is in the draw" in result.stdout


def test_a_proof_fails_for_a_ballot_of_another_day(live_server, client, user, auth_client):
    drawn_day(client, user, 5)
    with on(the_day_after(D)):
        other_day = submit(auth_client).json()["id"]

    result = verify(live_server, "--ballot", other_day)

    assert result.returncode == 1
    assert f"FAIL ballot {other_day} is in the draw" in result.stdout
    assert client.get(f"/draws/{D}/ballots/{other_day}/proof").status_code == 404


def _alter_the_output(draw: Draw) -> str:
    y = (int(draw.vdf_output, 16) * 4) % vdf.N
    Draw.objects.filter(pk=draw.pk).update(vdf_output=vdf.element_hex(vdf.normalize(y)))
    return "FAIL the draw's vdf_output is the log's"


def _alter_one_proof_element(draw: Draw) -> str:
    proof = bytearray(draw.vdf_proof)
    proof[255] ^= 2  # the first element's last bit but one
    Draw.objects.filter(pk=draw.pk).update(vdf_proof=bytes(proof))
    return "FAIL the delay function's output is proven"


def _alter_one_ballot_id(draw: Draw) -> str:
    loser = Ballot.objects.filter(lottery_id=draw.lottery_id).exclude(
        id=draw.winning_ballot_id or uuid.UUID(int=0)
    )
    Ballot.objects.filter(pk=loser.first().pk).update(id=uuid.uuid4())  # type: ignore[union-attr]
    return "FAIL the Merkle root"


def _alter_the_count(draw: Draw) -> str:
    Draw.objects.filter(pk=draw.pk).update(ballot_count=F("ballot_count") - 1)
    return "FAIL the draw's ballot_count is the log's"


def _alter_the_root(draw: Draw) -> str:
    Draw.objects.filter(pk=draw.pk).update(merkle_root=secrets.token_hex(32))
    return "FAIL the draw's merkle_root is the log's"


def _alter_the_winner(draw: Draw) -> str:
    other = Ballot.objects.filter(lottery_id=draw.lottery_id).exclude(
        id=draw.winning_ballot_id or uuid.UUID(int=0)
    )
    Draw.objects.filter(pk=draw.pk).update(winning_ballot=other.first())
    return "FAIL the draw's winning_ballot_id is the log's"


@pytest.mark.parametrize(
    "alter",
    [
        _alter_the_output,
        _alter_one_proof_element,
        _alter_one_ballot_id,
        _alter_the_count,
        _alter_the_root,
        _alter_the_winner,
    ],
)
def test_the_verifier_fails_when_the_database_is_altered(live_server, client, user, alter):
    """Each value changed in the database alone contradicts the public record (or, for the
    proof and the ballot ids, which the record does not hold, the recomputation)."""
    draw, _ = drawn_day(client, user, 1000)
    assert verify(live_server).returncode == 0

    failure = alter(draw)
    forget_rendered_results()
    result = verify(live_server)

    assert result.returncode == 1, result.stdout
    assert failure in result.stdout


def test_the_winners_proof_checks_the_winner_without_the_list(live_server, client, user):
    draw, _ = drawn_day(client, user, 50)
    some_ballot = str(Ballot.objects.filter(lottery__date=D).first().pk)  # type: ignore[union-attr]
    assert verify(live_server, "--ballot", some_ballot).returncode == 0

    other = (
        Ballot.objects.filter(lottery__date=D)
        .exclude(id=draw.winning_ballot_id or uuid.UUID(int=0))
        .first()
    )
    Draw.objects.filter(pk=draw.pk).update(winning_ballot=other)
    forget_rendered_results()
    result = verify(live_server, "--ballot", some_ballot)

    assert result.returncode == 1
    # The public record holds the winner: the answer's other winner contradicts it.
    assert "FAIL the draw's winning_ballot_id is the log's" in result.stdout


def test_an_old_days_seed_is_revealed_only_after_its_draw(live_server, client, user):
    draw, commitment = drawn_day(client, user, 20, rule=Lottery.Rule.HMAC)
    assert commitment is not None
    assert verify(live_server, "--commitment", commitment).returncode == 0

    Lottery.objects.filter(pk=draw.lottery_id).update(seed=secrets.token_bytes(32))
    forget_rendered_results()
    result = verify(live_server, "--commitment", commitment)

    assert result.returncode == 1
    assert "FAIL the draw's seed is the log's" in result.stdout


def test_the_commitment_is_public_before_the_first_ballot_and_the_seed_only_after_the_draw(
    client, auth_client
):
    Lottery.objects.create(date=D, rule=Lottery.Rule.HMAC, vdf_delay_log2=None)
    with on(D):
        before = client.get("/lotteries")
        commitment = before.json()[0]["seed_commitment"]
        ballot = submit(auth_client)
        ballot_id = ballot.json()["id"]
        responses = [
            before,
            ballot,
            client.get("/lotteries"),
            auth_client.get("/ballots"),
            auth_client.get(f"/ballots/{ballot_id}"),
        ]
    with on(the_day_after(D), hour=0):
        # Closed but not drawn yet.
        responses += [
            client.get(f"/draws/{D}"),
            client.get("/draws"),
            client.get(f"/draws/{D}/ballots"),
            client.get(f"/draws/{D}/ballots/{ballot_id}/proof"),
        ]
    seed = bytes(Lottery.objects.get(date=D).seed).hex()
    assert all(seed not in response.content.decode() for response in responses)
    assert responses[-4].status_code == 404

    with on(the_day_after(D)):
        lottery_draw(lottery_date=D)
    drawn = client.get(f"/draws/{D}").json()
    assert drawn["seed"] == seed
    assert drawn["seed_commitment"] == commitment
    assert drawn["winning_ballot_id"] == ballot_id
    assert drawn["winning_index"] == 0


def test_the_ballot_list_pages_the_day_in_canonical_order(client, user):
    drawn_day(client, user, 25)
    expected = sorted(
        str(i) for i in Ballot.objects.filter(lottery__date=D).values_list("id", flat=True)
    )

    pages, after = [], ""
    while True:
        page = client.get(
            f"/draws/{D}/ballots?limit=10" + (f"&after={after}" if after else "")
        ).json()
        pages.append(page["items"])
        if page["next_after"] is None:
            break
        after = page["next_after"]

    assert [len(p) for p in pages] == [10, 10, 5]
    assert [i for p in pages for i in p] == expected
    assert client.get(f"/draws/{D}/ballots?limit=10001").status_code == 422
    assert client.get(f"/draws/{the_day_after(D)}/ballots").status_code == 404
