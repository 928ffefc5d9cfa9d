"""Write tests/vectors/draws.json, the known-answer vectors of the draw rules.

    uv run --no-sync python tests/vectors/make_vectors.py

rewrites the file from fixed seeds, fixed dates and a delay of 2**8 squarings, byte for byte
the same on every run: regenerate it and ``git diff`` shows what a change of this script did.
Run it by hand only. The tests never do: the file is the known answers every implementation
is held to (the server, scripts/verify_draw.py, pages/static/pages/verify.js), so a change
of the rules must show up as failing tests first, and the file is rewritten on purpose.

The honest draws are computed with the server's own pure functions (draws.merkle, draws.vdf,
draws.chain), in the shape ``GET /draws/{date}`` serves (draws.schemas.DrawOut). Each forgery
is complete, as a cheating server would serve it (tests/draws/forgeries.py): after changing
one input it recomputes everything that follows from it (the delay function, the winner, the
record hash), so that one check, the vector's ``reason``, is the one that catches it.

Every day here predates the public record (docs/draw-rules.md, 3-5): the verifiers find no
log (``GET /log/checkpoint`` answers 404) and check the draw, its ballots and its chain link.
"""

import copy
import hashlib
import json
import random
import sys
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from the repository's root
    sys.path.insert(0, str(ROOT))

from draws import chain, merkle, vdf  # noqa: E402

OUT = Path(__file__).resolve().with_name("draws.json")
FORMAT = "lottery-draw-vectors/v1"
HMAC_RULE = "hmac-sha256"
DELAY_LOG2 = 8
FLOOR = f"2^{DELAY_LOG2}"  # what the verifiers are told to accept (--min-delay)
UTC = ZoneInfo("UTC")

ABOUT = (
    "Known-answer vectors of docs/draw-rules.md, sections 1-5, written by "
    "tests/vectors/make_vectors.py (run it by hand; it is deterministic). A verifier checking "
    "a vector reads: GET /draws/{draw.date} answers `draw`; GET /draws/{draw.date}/ballots "
    "pages through `ballots` in the order given; GET /draws/{previous.date} answers "
    "`previous` when it is not null; every other path answers 404, GET /log/checkpoint "
    "included (each day predates the public record). `verifier` is what the person brings: "
    "the lowest delay to accept (--min-delay) and the seed commitment seen before the close "
    "(--commitment), or null. `verdict` is pass or fail; a failing vector's `reason` is the "
    "keyword (in `reasons`) of the check that catches it."
)

REASONS = {
    "canonical": "a published value is not in its one canonical form",
    "delay-floor": "the delay is below the lowest the person accepts",
    "seed-commitment": "SHA-256 of the revealed seed is not the published seed_commitment",
    "commitment-seen": "the seed_commitment is not the one the person saw before the close",
    "vdf-proof": "the Pietrzak proof does not lead from the day's input to vdf_output",
    "winning-index": "the rule, applied to the published values, gives another winning_index",
    "ballot-order": "the ballot list is not in canonical order, each id once",
    "ballot-count": "the ballot list does not hold ballot_count ids",
    "merkle-root": "the Merkle root of the ballot list is not the published merkle_root",
    "winning-ballot": "the ballot at the winning index is not winning_ballot_id",
    "record-hash": "record_hash is not the hash of the draw's record",
    "chain-link": "the previous draw is not the one record_hash and height link to",
}


# --- Honest draws -----------------------------------------------------------------------------


def ballot_ids(seed: str, n: int) -> list[str]:
    """``n`` version-4 UUIDs from a fixed seed, in canonical order (ascending bytes)."""
    rng = random.Random(seed)
    ids = {str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)}
    assert len(ids) == n
    return sorted(ids, key=lambda text: uuid.UUID(text).bytes)


def instant(moment: datetime) -> str:
    """A datetime as the API writes it (pydantic): ISO 8601, "Z" for UTC."""
    text = moment.isoformat()
    return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text


def merkle_root(ids: list[str]) -> str:
    return merkle.root_of([merkle.leaf_hash(uuid.UUID(i).bytes) for i in ids]).hex()


def honest(
    day: date,
    ids: list[str],
    *,
    rule: str = vdf.RULE,
    delay_log2: int = DELAY_LOG2,
    seed: bytes = b"",
    zone: ZoneInfo = UTC,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The draw of ``day`` over ``ids`` (canonical order) as GET /draws/{date} serves it."""
    closes = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    closed = closes.astimezone(UTC) + timedelta(microseconds=412345)
    hmac_day = rule == HMAC_RULE
    draw: dict[str, Any] = {
        "date": day.isoformat(),
        "rule": rule,
        "state": "drawn",
        "winning_ballot_id": None,
        "ballot_count": len(ids),
        "closes_at": instant(closes),
        "closed_at": instant(closed),
        "drawn_at": instant(closed + timedelta(seconds=3, microseconds=1)),
        "merkle_root": merkle_root(ids),
        "winning_index": None,
        "seed": seed.hex() if hmac_day else None,
        "seed_commitment": hashlib.sha256(seed).hexdigest() if hmac_day else None,
        "vdf_delay_log2": None if hmac_day else delay_log2,
        "vdf_output": None,
        "vdf_proof": [],
        "beacon_delay_seconds": None,
        "beacon_round": None,
        "beacon_randomness": None,
        "beacon_signature": None,
        "height": 0 if previous is None else previous["height"] + 1,
        "previous_date": None if previous is None else previous["date"],
        "previous_record_hash": None if previous is None else previous["record_hash"],
        "record_hash": None,
    }
    if not hmac_day and ids:
        delay(draw)
    return rewon(draw, ids)


def delay(draw: dict[str, Any]) -> None:
    """The delay function over the draw's date, count and root: its output and proof."""
    text = vdf.statement(
        lottery_date=date.fromisoformat(draw["date"]),
        count=draw["ballot_count"],
        root=draw["merkle_root"],
        delay_log2=draw["vdf_delay_log2"],
    )
    evaluation = vdf.evaluate(vdf.input_element(text), draw["vdf_delay_log2"], native=False)
    draw["vdf_output"] = vdf.element_hex(evaluation.output)
    draw["vdf_proof"] = [vdf.element_hex(mu) for mu in evaluation.proof]


def rule_index(draw: dict[str, Any]) -> int | None:
    """The winning index the draw's own values give under its rule."""
    if draw["ballot_count"] == 0:
        return None
    if draw["rule"] == HMAC_RULE:
        return merkle.winning_index(
            seed=bytes.fromhex(draw["seed"]),
            lottery_date=date.fromisoformat(draw["date"]),
            count=draw["ballot_count"],
            root=bytes.fromhex(draw["merkle_root"]),
        )
    return vdf.winner_index(output=int(draw["vdf_output"], 16), count=draw["ballot_count"])


def record_hash(draw: dict[str, Any]) -> str:
    """docs/draw-rules.md, 5: the record hash of a day before the public record."""
    winner = draw["winning_ballot_id"]
    return chain.record_hash(
        rule=draw["rule"],
        lottery_date=date.fromisoformat(draw["date"]),
        ballot_count=draw["ballot_count"],
        merkle_root=draw["merkle_root"],
        winning_index=draw["winning_index"],
        winning_ballot_id=None if winner is None else uuid.UUID(winner),
        seed=draw["seed"] or "",
        vdf_delay_log2=draw["vdf_delay_log2"],
        vdf_output=draw["vdf_output"] or "",
        beacon_round=draw["beacon_round"],
        beacon_randomness=draw["beacon_randomness"] or "",
        previous_record_hash=draw["previous_record_hash"] or "",
    )


def rewon(draw: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    """The winner the draw's values give among ``ids``, and the record hash of it all."""
    index = rule_index(draw)
    draw["winning_index"] = index
    draw["winning_ballot_id"] = None if index is None else ids[index]
    draw["record_hash"] = record_hash(draw)
    return draw


def vector(
    name: str,
    about: str,
    draw: dict[str, Any],
    ids: list[str],
    *,
    reason: str | None = None,
    previous: dict[str, Any] | None = None,
    commitment: str | None = None,
) -> dict[str, Any]:
    assert reason is None or reason in REASONS, reason
    return {
        "name": name,
        "about": about,
        "verdict": "pass" if reason is None else "fail",
        "reason": reason,
        "verifier": {"min_delay": FLOOR, "commitment": commitment},
        "draw": draw,
        "ballots": ids,
        "previous": previous,
    }


# --- The vectors ------------------------------------------------------------------------------


def vectors() -> list[dict[str, Any]]:
    out = []
    seven = ballot_ids("seven", 7)
    day = date(2026, 3, 1)
    base = honest(day, seven)
    out.append(vector("vdf-seven-ballots", "a delay-function day with seven ballots", base, seven))
    one = ballot_ids("one", 1)
    out.append(
        vector(
            "vdf-one-ballot-paris",
            "one ballot (index 0 whatever the output); closes_at at a +01:00 midnight",
            honest(date(2026, 3, 2), one, zone=ZoneInfo("Europe/Paris")),
            one,
        )
    )
    out.append(
        vector(
            "vdf-no-ballots",
            "no ballots: no output, no proof, no index, no winner; the empty root",
            honest(date(2026, 3, 3), []),
            [],
        )
    )
    many = ballot_ids("many", 1025)
    out.append(
        vector(
            "vdf-1025-ballots",
            "one leaf past a 1,024-leaf chunk: the last leaf moves up alone to the root",
            honest(date(2026, 3, 4), many),
            many,
        )
    )
    earlier = honest(date(2026, 3, 5), ballot_ids("earlier", 2))
    earlier.update(height=4, previous_date="2026-03-04", previous_record_hash="ab" * 32)
    earlier["record_hash"] = record_hash(earlier)
    three = ballot_ids("three", 3)
    chained = honest(date(2026, 3, 6), three, previous=earlier)
    out.append(
        vector(
            "vdf-chained",
            "height 5, linked to the previous day's draw (height 4)",
            chained,
            three,
            previous=earlier,
        )
    )
    seed = hashlib.sha256(b"make_vectors hmac seed").digest()
    five = ballot_ids("five", 5)
    hmac_day = honest(date(2025, 6, 1), five, rule=HMAC_RULE, seed=seed)
    seen = hmac_day["seed_commitment"]
    out.append(
        vector(
            "hmac-five-ballots",
            "the older rule, checked against the commitment seen before the close",
            hmac_day,
            five,
            commitment=seen,
        )
    )
    empty_hmac = honest(date(2025, 6, 2), [], rule=HMAC_RULE, seed=seed[::-1])
    out.append(
        vector(
            "hmac-no-ballots",
            "the older rule on a day without ballots",
            empty_hmac,
            [],
            commitment=empty_hmac["seed_commitment"],
        )
    )
    out += forgeries(base, seven, chained, three, earlier, hmac_day, five, empty_hmac)
    return out


def forgeries(
    base: dict[str, Any],
    seven: list[str],
    chained: dict[str, Any],
    three: list[str],
    earlier: dict[str, Any],
    hmac_day: dict[str, Any],
    five: list[str],
    empty_hmac: dict[str, Any],
) -> list[dict[str, Any]]:
    out = []
    index = base["winning_index"]
    other = (index + 1) % len(seven)

    draw = copy.deepcopy(base)
    draw["merkle_root"] = draw["merkle_root"].upper()
    out.append(
        vector(
            "forged-root-in-uppercase",
            "merkle_root in uppercase hex: the one canonical form is lowercase",
            draw,
            seven,
            reason="canonical",
        )
    )

    short = honest(date(2026, 3, 1), seven, delay_log2=DELAY_LOG2 - 4)
    out.append(
        vector(
            "forged-delay-below-floor",
            f"an honest draw of 2^{DELAY_LOG2 - 4} squarings; the verifier accepts {FLOOR}",
            short,
            seven,
            reason="delay-floor",
        )
    )

    draw = copy.deepcopy(base)
    draw["winning_index"] = other
    draw["record_hash"] = record_hash(draw)
    out.append(
        vector(
            "forged-winning-index",
            "another winning_index, the rule's winner kept, the record hash recomputed",
            draw,
            seven,
            reason="winning-index",
        )
    )

    draw = copy.deepcopy(base)
    draw["winning_ballot_id"] = seven[other]
    draw["record_hash"] = record_hash(draw)
    out.append(
        vector(
            "forged-winning-ballot",
            "the rule's winning_index, another ballot named as its winner",
            draw,
            seven,
            reason="winning-ballot",
        )
    )

    draw = copy.deepcopy(base)
    draw["merkle_root"] = hashlib.sha256(b"a root of other ballots").hexdigest()
    delay(draw)
    out.append(
        vector(
            "forged-merkle-root",
            "another merkle_root, with the delay function and the winner recomputed over it",
            rewon(draw, seven),
            seven,
            reason="merkle-root",
        )
    )

    # One more ballot than listed: the delay function over that count, and a count whose
    # winner falls among the listed ids (so that the count alone is wrong).
    for extra in range(1, 100):
        draw = copy.deepcopy(base)
        draw["ballot_count"] = len(seven) + extra
        delay(draw)
        if (rule_index(draw) or 0) < len(seven):
            break
    out.append(
        vector(
            "forged-ballot-count",
            "a ballot_count above the ids listed, the delay function and winner recomputed",
            rewon(draw, seven),
            seven,
            reason="ballot-count",
        )
    )

    listed = list(seven)
    swap = next(i for i in range(len(listed) - 1) if index not in (i, i + 1))
    listed[swap], listed[swap + 1] = listed[swap + 1], listed[swap]
    out.append(
        vector(
            "forged-ballot-list-out-of-order",
            "the honest draw, its ballot list with two neighbours swapped",
            copy.deepcopy(base),
            listed,
            reason="ballot-order",
        )
    )

    listed = list(seven)
    loser = next(i for i in range(len(listed)) if i != index)
    listed[loser] = str(uuid.UUID(int=uuid.UUID(listed[loser]).int + 1))
    out.append(
        vector(
            "forged-ballot-list-one-id-changed",
            "the honest draw, one losing id in its list replaced by the next UUID "
            "(every position, the winner's included, unchanged)",
            copy.deepcopy(base),
            listed,
            reason="merkle-root",
        )
    )

    draw = copy.deepcopy(base)
    y = vdf.normalize(int(draw["vdf_output"], 16) * 4)
    draw["vdf_output"] = vdf.element_hex(y)
    out.append(
        vector(
            "forged-vdf-output",
            "another vdf_output (a canonical element), its winner and record hash recomputed",
            rewon(draw, seven),
            seven,
            reason="vdf-proof",
        )
    )

    draw = copy.deepcopy(base)
    mu = vdf.normalize(int(draw["vdf_proof"][0], 16) * 4)
    draw["vdf_proof"][0] = vdf.element_hex(mu)
    out.append(
        vector(
            "forged-vdf-proof",
            "the first element of the proof changed (still a canonical element)",
            draw,
            seven,
            reason="vdf-proof",
        )
    )

    draw = copy.deepcopy(base)
    draw["record_hash"] = hashlib.sha256(b"another record").hexdigest()
    out.append(
        vector(
            "forged-record-hash",
            "a record_hash that is not the hash of the draw's record",
            draw,
            seven,
            reason="record-hash",
        )
    )

    draw = copy.deepcopy(chained)
    draw["previous_record_hash"] = hashlib.sha256(b"another previous draw").hexdigest()
    draw["record_hash"] = record_hash(draw)
    out.append(
        vector(
            "forged-chain-link",
            "previous_record_hash is not the previous draw's record_hash (this draw's "
            "record hash recomputed over it)",
            draw,
            three,
            previous=earlier,
            reason="chain-link",
        )
    )

    draw = copy.deepcopy(chained)
    draw["height"] += 1
    out.append(
        vector(
            "forged-chain-height",
            "a height two above the previous draw's (a draw left out of the chain)",
            draw,
            three,
            previous=earlier,
            reason="chain-link",
        )
    )

    rewritten = copy.deepcopy(earlier)
    rewritten["winning_index"] = 1 - rewritten["winning_index"]
    rewritten["winning_ballot_id"] = ballot_ids("earlier", 2)[rewritten["winning_index"]]
    out.append(
        vector(
            "forged-previous-draw",
            "the previous draw served with another winner, its record hash kept",
            copy.deepcopy(chained),
            three,
            previous=rewritten,
            reason="chain-link",
        )
    )

    draw = copy.deepcopy(hmac_day)
    draw["seed"] = hashlib.sha256(b"a seed made up after the close").hexdigest()
    out.append(
        vector(
            "forged-hmac-seed",
            "a seed that is not the committed one, its winner and record hash recomputed",
            rewon(draw, five),
            five,
            commitment=hmac_day["seed_commitment"],
            reason="seed-commitment",
        )
    )

    draw = copy.deepcopy(hmac_day)
    seed = hashlib.sha256(b"a seed made up after the close").digest()
    draw.update(seed=seed.hex(), seed_commitment=hashlib.sha256(seed).hexdigest())
    out.append(
        vector(
            "forged-hmac-commitment",
            "a seed made up after the close, served with its own commitment; the person saw "
            "the one published before",
            rewon(draw, five),
            five,
            commitment=hmac_day["seed_commitment"],
            reason="commitment-seen",
        )
    )

    draw = copy.deepcopy(base)
    draw.update(
        rule=HMAC_RULE,
        seed=seed.hex(),
        seed_commitment=hashlib.sha256(seed).hexdigest(),
        vdf_delay_log2=None,
        vdf_output=None,
        vdf_proof=[],
    )
    out.append(
        vector(
            "forged-downgrade-to-hmac",
            "a delay-function day served as hmac-sha256 with a seed made up after the close; "
            "the person saw no commitment",
            rewon(draw, seven),
            seven,
            reason="commitment-seen",
        )
    )

    draw = copy.deepcopy(empty_hmac)
    draw["seed"] = seed.hex()
    draw["record_hash"] = record_hash(draw)
    out.append(
        vector(
            "forged-hmac-seed-no-ballots",
            "a day without ballots whose revealed seed is not the committed one",
            draw,
            [],
            commitment=empty_hmac["seed_commitment"],
            reason="seed-commitment",
        )
    )
    return out


def main() -> None:
    made = vectors()
    names = [v["name"] for v in made]
    assert len(set(names)) == len(names), names
    document = {"format": FORMAT, "about": ABOUT, "reasons": REASONS, "vectors": made}
    OUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(names)} vectors, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
