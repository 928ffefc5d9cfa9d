"""A day's close and draw as entries of the public record (docs/draw-rules.md, 6).

Both are written in the transaction of the event itself. A day with no policy entry (one
that predates the record) gets neither, and keeps the chain's older record hash.
"""

from draws.models import Draw
from record.entries import entry_hash, entry_text
from record.models import Entry
from record.services import record_append, record_entry

CLOSE = "lottery-close/v1"
DRAW = "lottery-draw/v1"


def close_log(draw: Draw) -> None:
    policy = record_entry(kind=Entry.Kind.POLICY, lottery_date=draw.lottery.date)
    if policy is None:
        return
    text = entry_text(
        CLOSE,
        [
            ("date", draw.lottery.date.isoformat()),
            ("policy", entry_hash(policy.text)),
            ("ballot_count", draw.ballot_count),
            ("merkle_root", draw.merkle_root),
            ("closed_at", draw.closed_at),
        ],
    )
    record_append(kind=Entry.Kind.CLOSE, lottery_date=draw.lottery.date, text=text)


def draw_log(draw: Draw) -> str:
    """Log the drawn day; return its record hash (SHA-256 of the entry), or "" for a day that
    predates the record."""
    day = draw.lottery.date
    policy = record_entry(kind=Entry.Kind.POLICY, lottery_date=day)
    close = record_entry(kind=Entry.Kind.CLOSE, lottery_date=day)
    if policy is None or close is None:
        return ""
    text = entry_text(
        DRAW,
        [
            ("date", day.isoformat()),
            ("policy", entry_hash(policy.text)),
            ("close", entry_hash(close.text)),
            ("winning_index", draw.winning_index),
            ("winning_ballot_id", draw.winning_ballot_id),
            ("seed", bytes(draw.lottery.seed).hex() if draw.rule == "hmac-sha256" else None),
            ("vdf_output", draw.vdf_output or None),
            ("beacon_round", draw.beacon_round),
            ("beacon_randomness", draw.beacon_randomness or None),
            ("beacon_signature", draw.beacon_signature or None),
            ("height", draw.height),
            ("previous_record_hash", draw.previous.record_hash if draw.previous else None),
            ("drawn_at", draw.drawn_at),
        ],
    )
    entry = record_append(kind=Entry.Kind.DRAW, lottery_date=day, text=text)
    return entry_hash(entry.text)
