"""What a cheating server serves in place of an honest draw, for both verifiers to fail.

Each forgery is complete: after changing an input it recomputes the winner that input gives
and the record hash of everything served, as a server in control of the API could (the
arithmetic is public; scripts/verify_draw.py's own functions do it here).
"""

import hashlib
import secrets
from datetime import datetime
from typing import Any

from ballots.models import Ballot
from scripts import verify_draw


def rewon(answer: dict[str, Any]) -> dict[str, Any]:
    """The winner the answer's inputs give, and the record hash of the whole answer."""
    ids = Ballot.objects.filter(lottery__date=answer["date"]).values_list("id", flat=True)
    index = verify_draw.winning_index(verify_draw.Draw(answer, answer["date"]))
    assert index is not None
    answer["winning_index"], answer["winning_ballot_id"] = index, sorted(map(str, ids))[index]
    answer["record_hash"] = verify_draw.record_hash(verify_draw.Draw(answer, answer["date"]))
    return answer


def forged_beacon(answer: dict[str, Any]) -> dict[str, Any]:
    """The quicknet round the rule pins, with random bytes for its signature and their
    SHA-256 for its randomness: right in everything a verifier without BLS can check."""
    closes = int(datetime.fromisoformat(answer["closes_at"]).timestamp())
    genesis = int(str(verify_draw.QUICKNET["genesis_time"]))
    period = int(str(verify_draw.QUICKNET["period"]))
    signature = secrets.token_bytes(48)
    answer.update(
        beacon_delay_seconds=60,
        beacon_round=-(-(closes + 60 - genesis) // period) + 1,
        beacon_signature=signature.hex(),
        beacon_randomness=hashlib.sha256(signature).hexdigest(),
    )
    return rewon(answer)


def downgraded(answer: dict[str, Any]) -> dict[str, Any]:
    """A delay-function day served as hmac-sha256, with a seed made up after the close."""
    seed = secrets.token_bytes(32)
    answer.update(
        rule="hmac-sha256",
        seed=seed.hex(),
        seed_commitment=hashlib.sha256(seed).hexdigest(),
        vdf_delay_log2=None,
        vdf_output=None,
        vdf_proof=[],
    )
    return rewon(answer)
