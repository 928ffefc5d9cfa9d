"""What a cheating server serves in place of an honest draw, for both verifiers to fail.

Each forgery is complete: after changing an input it recomputes the winner that input gives
and the record hash of everything served, as a server in control of the API could (the
arithmetic is public; scripts/verify_draw.py's own functions do it here).
"""

import hashlib
import json
import secrets
import urllib.request
from datetime import UTC, datetime
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


# --- A cheating operator: the answer and the public record rewritten together ---------

QUICKNET_URL = (
    "https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
)


def _set(text: str, **values: object) -> str:
    """``text`` (an entry) with the ``name value`` lines of ``values`` replaced."""
    lines = text.split("\n")
    for name, value in values.items():
        spelled = "none" if value is None else str(value)
        (at,) = [i for i, line in enumerate(lines) if line.split(" ", 1)[0] == name]
        lines[at] = f"{name} {spelled}"
    return "\n".join(lines)


def _instant(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class LogForgery:
    """The operator serves a forged draw of ``day`` and rewrites the log to match it: the
    day's policy, close and draw entries, every checkpoint re-signed with the lottery's own
    key (it holds it). What it cannot forge is a witness's cosignature: the rewritten
    checkpoints carry none, and the cosigned ones it still serves hold the honest roots.

    ``change`` alters the draw answer as the older forgeries did (``rewon`` included); the
    entries are then rebuilt from the altered answer, and its record hash from them.
    """

    def __init__(
        self, upstream: str, day: str, change: Any, *, hide_cosigned: bool = False
    ) -> None:
        self.upstream, self.day = upstream, day
        self.change, self.hide_cosigned = change, hide_cosigned
        self.answer: dict[str, Any] | None = None
        self.entries: list[str] = []

    def _forge(self, honest: dict[str, Any]) -> None:
        from record.models import Entry

        answer = json.loads(json.dumps(honest))
        self.change(answer)
        texts = list(Entry.objects.order_by("index").values_list("text", flat=True))
        index = {(text.split("\n")[0], text.split("\n")[1]): i for i, text in enumerate(texts)}
        policy_at = index[("lottery-policy/v1", f"date {self.day}")]
        close_at = index[("lottery-close/v1", f"date {self.day}")]
        draw_at = index[("lottery-draw/v1", f"date {self.day}")]
        delay = answer.get("beacon_delay_seconds")
        hmac = answer["rule"] == "hmac-sha256"
        texts[policy_at] = _set(
            texts[policy_at],
            rule=answer["rule"],
            vdf_delay_log2=None if hmac else answer.get("vdf_delay_log2"),
            beacon="none" if delay is None else f"{delay} {QUICKNET_URL}",
            closes_at=_instant(answer["closes_at"]),
            seed_commitment=answer.get("seed_commitment") if hmac else None,
        )
        texts[close_at] = _set(
            texts[close_at],
            policy=_sha256(texts[policy_at]),
            ballot_count=answer["ballot_count"],
            merkle_root=answer["merkle_root"],
        )
        texts[draw_at] = _set(
            texts[draw_at],
            policy=_sha256(texts[policy_at]),
            close=_sha256(texts[close_at]),
            winning_index=answer["winning_index"],
            winning_ballot_id=answer["winning_ballot_id"],
            seed=answer.get("seed") if hmac else None,
            vdf_output=None if hmac else answer.get("vdf_output"),
            beacon_round=answer.get("beacon_round"),
            beacon_randomness=answer.get("beacon_randomness"),
            beacon_signature=answer.get("beacon_signature"),
        )
        answer["record_hash"] = _sha256(texts[draw_at])
        self.answer, self.entries = answer, texts

    def checkpoint(self, size: int) -> str:
        from record import tree
        from record.keys import log_signer
        from record.notes import checkpoint_body

        root = tree.root_of([tree.leaf_hash(t.encode()) for t in self.entries[:size]])
        signer = log_signer()
        return signer.sign(checkpoint_body(signer.name, size, root))

    def __call__(self, path: str, answer: Any) -> Any:
        if path == f"/draws/{self.day}" and isinstance(answer, dict):
            self._forge(answer)
            return self.answer
        if self.answer is None and path.startswith("/log/"):
            with urllib.request.urlopen(f"{self.upstream}/draws/{self.day}") as honest:  # noqa: S310 - the test's own server
                self._forge(json.loads(honest.read()))
        if self.answer is None:
            return answer
        if path == "/log/entries" and isinstance(answer, dict):
            start = answer["start"]  # the tests' logs fit one page
            answer.update(entries=self.entries[start : start + 1000], next_start=None)
        elif path.endswith("/proof") and isinstance(answer, dict):
            answer["ballot_count"] = self.answer["ballot_count"]
        elif path == "/log/checkpoint":
            return self.checkpoint(len(self.entries))
        elif path == "/log/checkpoints" and isinstance(answer, dict) and self.hide_cosigned:
            answer.update(items=[], next_after=None)
        return answer
