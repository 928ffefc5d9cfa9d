"""The known-answer vectors of the draw rules (draws.json) and what a verifier reads of one.

draws.json is written by make_vectors.py (by hand, deterministically); every implementation's
tests read it: the server's (tests/draws/test_vectors.py), scripts/verify_draw.py's
(tests/draws/test_vectors_script.py) and verify.js's in Node (tests/pages/
test_vectors_in_node.py, through run_verify_js.mjs, which serves a vector as ``served`` does).
"""

import json
import urllib.parse
from functools import cache
from pathlib import Path
from typing import Any

import pytest

FILE = Path(__file__).resolve().with_name("draws.json")
FORMAT = "lottery-draw-vectors/v1"


@cache
def document() -> dict[str, Any]:
    loaded = json.loads(FILE.read_text())
    assert loaded["format"] == FORMAT, loaded["format"]
    return loaded


def vectors() -> list[dict[str, Any]]:
    return document()["vectors"]


def reasons() -> set[str]:
    return set(document()["reasons"])


def params(chosen: list[dict[str, Any]] | None = None) -> list[Any]:
    """The vectors as pytest parameters, each with its name as its id."""
    return [pytest.param(v, id=v["name"]) for v in (vectors() if chosen is None else chosen)]


def served(vector: dict[str, Any], path: str) -> tuple[int, Any]:
    """What the lottery answers to ``path`` (with its query) for ``vector``: its draw, its
    ballot list page by page in the order given, its previous draw; 404 for anything else,
    the public record's ``/log/checkpoint`` included."""
    url = urllib.parse.urlsplit(path)
    query = dict(urllib.parse.parse_qsl(url.query))
    draw, previous = vector["draw"], vector["previous"]
    if url.path == f"/draws/{draw['date']}":
        return 200, draw
    if url.path == f"/draws/{draw['date']}/ballots":
        ids = vector["ballots"]
        start = ids.index(query["after"]) + 1 if "after" in query else 0
        limit = int(query.get("limit", 1000))
        page = ids[start : start + limit]
        last = start + limit >= len(ids)
        return 200, {"items": page, "next_after": None if last else page[-1]}
    if previous is not None and url.path == f"/draws/{previous['date']}":
        return 200, previous
    return 404, {"detail": "Not Found"}
