"""scripts/verify_draw.py against the known-answer vectors (tests/vectors/draws.json).

The script's own entry point (``main``) checks each vector's day as a person would run it,
through HTTP from a server on the loopback interface that answers what the vector holds
(tests.vectors.served): no network beyond this machine, and nothing of the script patched.
"""

import http.server
import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from scripts import verify_draw
from tests import vectors

pytestmark = pytest.mark.no_database

# Each reason of draws.json as the script names the check that fails: its ``FAIL <name>`` line.
FAILS = {
    "canonical": "the answer is in canonical form",
    "delay-floor": r"the delay is at least 2\^[0-9]+ squarings",
    "seed-commitment": "the seed matches its commitment",
    "commitment-seen": "the commitment is the one seen before the day",
    "vdf-proof": "the delay function's output is proven",
    "winning-index": "the winning index",
    "ballot-order": "the ballot ids are in canonical order, each once",
    "ballot-count": "the ballot count",
    "merkle-root": "the Merkle root",
    "winning-ballot": "the winning ballot",
    "record-hash": "the record hash",
    "chain-link": r"the chain link [0-9-]+ -> [0-9-]+",
}
BY_NAME = {v["name"]: v for v in vectors.vectors()}


class Lottery(http.server.BaseHTTPRequestHandler):
    """GET /<vector name>/<path>: what the lottery answers to <path> for that vector."""

    def do_GET(self) -> None:
        _, name, rest = self.path.split("/", 2)
        status, answer = vectors.served(BY_NAME[name], f"/{rest}")
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def lottery() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Lottery)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def failed(output: str) -> set[str]:
    """The reasons of the checks the script failed (a check it names otherwise, as named)."""
    found = set()
    for line in output.splitlines():
        match = re.fullmatch(r"FAIL (.+?)(?:: .*)?", line)
        if match:
            name = match[1]
            found.add(next((r for r, p in FAILS.items() if re.fullmatch(p, name)), name))
    return found


def verify(lottery: str, vector: dict[str, Any], capsys: Any) -> tuple[int, str]:
    given = vector["verifier"]
    args = [f"{lottery}/{vector['name']}", vector["draw"]["date"]]
    args += ["--min-delay", given["min_delay"], "--timeout", "60"]
    if given["commitment"] is not None:
        args += ["--commitment", given["commitment"]]
    if vector["previous"] is not None:
        args += ["--chain", "1"]
    code = verify_draw.main(args)
    out, err = capsys.readouterr()
    return code, out + err


def test_every_reason_has_the_scripts_name_for_it():
    assert set(FAILS) == vectors.reasons()


@pytest.mark.parametrize("vector", vectors.params())
def test_the_script_gives_each_vector_its_verdict_and_reason(lottery, vector, capsys):
    code, output = verify(lottery, vector, capsys)

    if vector["verdict"] == "pass":
        assert code == 0, output
        assert output.splitlines()[-1].startswith("all checks passed"), output
        assert failed(output) == set(), output
    else:
        assert code == 1, output
        assert vector["reason"] in failed(output), output
