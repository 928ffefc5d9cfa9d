"""Receipts: the lottery's signed word that it accepted ballots (docs/draw-rules.md, 7).

A receipt is a signed note of the log key whose first line is ``<origin> receipt/v1``, so it
can never be read as a checkpoint. Its owner keeps it: if the day's witnessed close leaves a
ballot out, the receipt and the close's proofs show it to anyone.
"""

from collections.abc import Iterable
from datetime import date, datetime
from uuid import UUID

from record.entries import entry_hash, entry_text
from record.keys import log_signer
from record.models import Entry

RECEIPT = "receipt/v1"


def receipt_body(
    *,
    origin: str,
    lottery_date: date,
    accepted_at: datetime,
    policy_hash: str | None,
    ballot_ids: Iterable[UUID],
) -> str:
    head = entry_text(
        f"{origin} {RECEIPT}",
        [("date", lottery_date.isoformat()), ("accepted_at", accepted_at), ("policy", policy_hash)],
    )
    # Canonical order, as the close's leaves: the same ballots always read the same. A UUID's
    # text needs none of entry_text's checks (a batch names up to LOTTERY_MAX_BATCH).
    return head + "".join(f"ballot {ballot_id}\n" for ballot_id in sorted(map(str, ballot_ids)))


# A day's policy entry never changes once logged (one per day, append-only): each process
# reads it once, so a submission stays one statement. Only found hashes are kept.
_policy_hashes: dict[date, str] = {}


def policy_hash(lottery_date: date) -> str | None:
    """The SHA-256 of the day's policy entry; None for a day before the record."""
    found = _policy_hashes.get(lottery_date)
    if found is None:
        text = (
            Entry.objects.filter(kind=Entry.Kind.POLICY, date=lottery_date)
            .values_list("text", flat=True)
            .first()
        )
        if text is None:
            return None
        if len(_policy_hashes) >= 64:  # the open window and a few more: never grows for good
            _policy_hashes.clear()
        found = _policy_hashes[lottery_date] = entry_hash(text)
    return found


def forget_policy_hashes() -> None:
    """For tests, whose databases are emptied between them."""
    _policy_hashes.clear()


def receipt_sign(*, lottery_date: date, accepted_at: datetime, ballot_ids: Iterable[UUID]) -> str:
    """The signed receipt of these ballots, accepted together at ``accepted_at``.

    Ed25519 signatures are deterministic: the same ballots give the same receipt every time.
    """
    signer = log_signer()
    body = receipt_body(
        origin=signer.name,
        lottery_date=lottery_date,
        accepted_at=accepted_at,
        policy_hash=policy_hash(lottery_date),
        ballot_ids=ballot_ids,
    )
    return signer.sign(body)
