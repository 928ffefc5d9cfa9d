"""The in-browser verifier against the known-answer vectors (tests/vectors/draws.json), in Node.

tests/vectors/run_verify_js.mjs loads pages/static/pages/verify.js into a result page of a few
stand-in elements per vector, with a fetch that answers what the vector holds, clicks "Verify
this draw" and reads back what the page shows. No browser: the whole verifier page is held to
the same answers in Chromium by tests/browser/test_verifier_agreement.py.
"""

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests import vectors

NODE = shutil.which("node")
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "pages/static/pages/verify.js"
HARNESS = ROOT / "tests/vectors/run_verify_js.mjs"

pytestmark = [pytest.mark.skipif(NODE is None, reason="needs node"), pytest.mark.no_database]

# Each reason of draws.json as the page shows the check that fails: its name, or its name
# and reason ("name: reason") when the page ends the check with why it could not go on.
FAILS = {
    "canonical": "the published values are in canonical form",
    "delay-floor": r"the delay is at least 2\^[0-9]+ squarings",
    "seed-commitment": "the seed matches its commitment",
    "commitment-seen": "the commitment is the one seen before the day",
    "vdf-proof": "the delay function's proof",
    "winning-index": "the winning index",
    "ballot-order": "the check could not go on: .* the ids are out of canonical order or repeated",
    "ballot-count": "the ballot count",
    "merkle-root": "the Merkle root",
    "winning-ballot": "the winning ballot",
    "record-hash": "the record hash",
    "chain-link": r"the chain link [0-9-]+ -> [0-9-]+",
}


@cache
def shown() -> dict[str, dict[str, Any]]:
    """What the page showed for each vector: one Node run for them all."""
    result = subprocess.run(  # noqa: S603 - node on our own files
        [str(NODE), str(HARNESS), str(SCRIPT), str(vectors.FILE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {item["name"]: item for item in json.loads(result.stdout)}


def failed(checks: list[list[str]]) -> set[str]:
    """The reasons of the checks the page failed (a check it names otherwise, as named)."""
    found = set()
    for kind, name, why in checks:
        if kind == "fail":
            line = f"{name}: {why}"
            found.add(
                next(
                    (r for r, p in FAILS.items() if re.fullmatch(p, name) or re.fullmatch(p, line)),
                    line,
                )
            )
    return found


def params() -> list[Any]:
    return [pytest.param(v, id=v["name"]) for v in vectors.vectors()]


def test_every_reason_has_the_pages_name_for_it():
    assert set(FAILS) == vectors.reasons()


@pytest.mark.parametrize("vector", params())
def test_the_page_gives_each_vector_its_verdict_and_reason(vector):
    page = shown()[vector["name"]]

    assert page["outcome"] == vector["verdict"], page
    if vector["verdict"] == "pass":
        assert failed(page["checks"]) == set(), page
    else:
        assert vector["reason"] in failed(page["checks"]), page
