"""The Merkle rules: the server's chunked tree is the documented tree, and the verifier agrees."""

import importlib.util
import os
from types import ModuleType

import pytest

from draws import merkle
from tests.draws.test_verifiable import VERIFIER

pytestmark = pytest.mark.no_database


def load_verifier() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_draw", VERIFIER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ids(n: int) -> list[bytes]:
    return sorted(os.urandom(16) for _ in range(n))


def batches(items: list[bytes], size: int) -> list[list[bytes]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 1023, 1024, 1025, 2048, 2049, 3001])
def test_the_root_over_chunk_roots_is_the_root_over_all_leaves(n):
    day = ids(n)

    # Batches of an odd size, so that chunks straddle the fetches.
    count, chunks = merkle.chunk_roots(iter(batches(day, 777)))

    assert count == n
    assert [first for first, _ in chunks] == day[:: merkle.CHUNK_SIZE]
    whole = merkle.root_of([merkle.leaf_hash(i) for i in day])
    assert merkle.root_of([root for _, root in chunks]) == whole


def test_the_verifier_streams_the_same_root_and_accepts_every_audit_path():
    verifier = load_verifier()
    for n in range(1, 40):
        leaves = [merkle.leaf_hash(i) for i in ids(n)]
        root = merkle.root_of(leaves)
        builder = verifier.RootBuilder()
        for leaf in leaves:
            builder.add(leaf)
        assert builder.root() == root, n
        for index, leaf in enumerate(leaves):
            path = merkle.audit_path(leaves, index)
            assert verifier.path_root(leaf, index, n, path) == root, (n, index)
            # The same path does not prove another position.
            if n > 1:
                assert verifier.path_root(leaf, (index + 1) % n, n, path) != root


def test_a_repeated_last_ballot_changes_the_root():
    # CVE-2012-2459: duplicating an odd last node would give [a, b, c] and [a, b, c, c] one root.
    a, b, c = (merkle.leaf_hash(i) for i in ids(3))

    assert merkle.root_of([a, b, c]) != merkle.root_of([a, b, c, c])
    assert merkle.root_of([a, b, c]) == merkle.node_hash(merkle.node_hash(a, b), c)


def test_an_empty_day_has_the_hash_of_nothing_as_root():
    verifier = load_verifier()

    assert merkle.chunk_roots(iter([])) == (0, [])
    assert verifier.RootBuilder().root() == merkle.EMPTY_ROOT == merkle.root_of([])
