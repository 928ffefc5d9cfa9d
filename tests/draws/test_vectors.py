"""The server's rules against the known-answer vectors (tests/vectors/draws.json).

The server's pure functions (draws.merkle, draws.vdf, draws.chain) recompute every value an
honest vector publishes, and disagree with each forged one at the check its reason names.
The verifiers' tests read the same file (test_vectors_script.py, tests/pages/
test_vectors_in_node.py).
"""

import hashlib
import uuid
from datetime import date
from typing import Any

import pytest

from draws import merkle, vdf
from draws.schemas import DrawOut
from tests import vectors
from tests.vectors.make_vectors import (  # the server's own functions, applied to a vector
    record_hash,
    rule_index,
)

pytestmark = pytest.mark.no_database

HMAC_RULE = "hmac-sha256"
# What only a verifier judges: the form of the answer it read, the lowest delay it accepts,
# and the commitment its person saw. A draw forged in those ways is consistent in itself,
# and these vectors are held to their verdict by the verifiers' tests alone.
VERIFIER_ONLY = {"canonical", "delay-floor", "commitment-seen"}

HONEST = [v for v in vectors.vectors() if v["verdict"] == "pass"]
FORGED = [v for v in vectors.vectors() if v["verdict"] == "fail"]
SERVER_FORGED = [v for v in FORGED if v["reason"] not in VERIFIER_ONLY]


def root_of(ids: list[str]) -> str:
    return merkle.root_of([merkle.leaf_hash(uuid.UUID(i).bytes) for i in ids]).hex()


def proven(draw: dict[str, Any]) -> bool:
    text = vdf.statement(
        lottery_date=date.fromisoformat(draw["date"]),
        count=draw["ballot_count"],
        root=draw["merkle_root"],
        delay_log2=draw["vdf_delay_log2"],
    )
    proof = [int(mu, 16) for mu in draw["vdf_proof"]]
    output = int(draw["vdf_output"], 16)
    return vdf.verify(vdf.input_element(text), output, proof, draw["vdf_delay_log2"])


def disagreements(vector: dict[str, Any]) -> set[str]:
    """The reasons (draws.json's keywords) at which the server's functions disagree with
    what the vector publishes."""
    draw, ids, previous = vector["draw"], vector["ballots"], vector["previous"]
    found = set()
    if ids != sorted(set(ids), key=lambda i: uuid.UUID(i).bytes):
        found.add("ballot-order")
    if len(ids) != draw["ballot_count"]:
        found.add("ballot-count")
    if root_of(ids) != draw["merkle_root"]:
        found.add("merkle-root")
    if draw["rule"] == HMAC_RULE:
        if hashlib.sha256(bytes.fromhex(draw["seed"])).hexdigest() != draw["seed_commitment"]:
            found.add("seed-commitment")
    elif draw["ballot_count"] and not proven(draw):
        found.add("vdf-proof")
    index = rule_index(draw)
    if index != draw["winning_index"]:
        found.add("winning-index")
    winner = None if index is None or index >= len(ids) else ids[index]
    if winner != draw["winning_ballot_id"]:
        found.add("winning-ballot")
    if record_hash(draw) != draw["record_hash"]:
        found.add("record-hash")
    if draw["previous_date"] is not None and not (
        previous is not None
        and previous["date"] == draw["previous_date"]
        and record_hash(previous) == previous["record_hash"] == draw["previous_record_hash"]
        and previous["height"] == draw["height"] - 1
    ):
        found.add("chain-link")
    return found


def test_the_file_names_each_vector_once_and_explains_each_reason():
    names = [v["name"] for v in vectors.vectors()]
    assert len(set(names)) == len(names)
    assert {v["reason"] for v in FORGED} == vectors.reasons()
    assert all(v["reason"] is None for v in HONEST)
    counts = {v["draw"]["ballot_count"] for v in HONEST}
    assert {0, 1} <= counts
    assert any(n > 1 for n in counts)
    assert any(v["previous"] is not None for v in HONEST)


def test_each_draw_has_the_fields_get_draws_serves():
    for vector in vectors.vectors():
        for draw in filter(None, [vector["draw"], vector["previous"]]):
            assert list(draw) == list(DrawOut.model_fields), vector["name"]


@pytest.mark.parametrize("vector", vectors.params(HONEST))
def test_the_server_recomputes_every_honest_draw(vector):
    draw, ids = vector["draw"], vector["ballots"]

    assert len(ids) == draw["ballot_count"]
    assert root_of(ids) == draw["merkle_root"]
    if draw["rule"] == vdf.RULE and ids:
        assert proven(draw)
    index = rule_index(draw)
    assert index == draw["winning_index"]
    assert (None if index is None else ids[index]) == draw["winning_ballot_id"]
    assert record_hash(draw) == draw["record_hash"]
    assert disagreements(vector) == set()


@pytest.mark.parametrize("vector", vectors.params(SERVER_FORGED))
def test_the_server_disagrees_with_each_forgery_where_its_reason_says(vector):
    # Each forgery is complete (everything after the forged value recomputed from it), so
    # the server disagrees there and nowhere else; ids out of order also change the root.
    also = {"merkle-root"} if vector["reason"] == "ballot-order" else set()
    assert disagreements(vector) == {vector["reason"], *also}
