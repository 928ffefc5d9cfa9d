"""The chain of draws: each draw's record hash covers the previous one's (docs/draw-rules.md, 4).

A pure function, shared by the draw service and the migration that linked the draws made
before the chain existed; scripts/verify_draw.py and the in-browser verifier re-implement it.
"""

import hashlib
from datetime import date
from uuid import UUID


def record_hash(
    *,
    rule: str,
    lottery_date: date,
    ballot_count: int,
    merkle_root: str,
    winning_index: int | None,
    winning_ballot_id: UUID | None,
    seed: str,
    vdf_delay_log2: int | None,
    vdf_output: str,
    beacon_round: int | None,
    beacon_randomness: str,
    previous_record_hash: str,
) -> str:
    fields = [
        "lottery-draw-record",
        rule,
        lottery_date.isoformat(),
        str(ballot_count),
        merkle_root,
        _text(winning_index),
        _text(winning_ballot_id),
        seed,
        _text(vdf_delay_log2),
        vdf_output,
        _text(beacon_round),
        beacon_randomness,
        previous_record_hash,
    ]
    return hashlib.sha256("|".join(fields).encode()).hexdigest()


def _text(value: object) -> str:
    return "" if value is None else str(value)
