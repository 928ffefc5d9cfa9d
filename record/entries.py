"""How an entry of the log is written (docs/draw-rules.md, 6): ``name value`` lines in a fixed
order, the first naming the kind; times as UTC instants with microseconds; ``none`` for an
absent value. One function, so every entry is spelled the same way."""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

Value = str | int | datetime | UUID | None


def instant(moment: datetime) -> str:
    """A UTC instant, always with microseconds: no verifier needs a zone database."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _value(value: Value) -> str:
    if value is None:
        return "none"
    if isinstance(value, datetime):
        return instant(value)
    text = str(value)
    if not text or "\n" in text or text != text.strip():
        raise ValueError(f"an entry value must be one non-empty line: {text!r}")
    return text


def entry_text(kind: str, fields: Sequence[tuple[str, Value]]) -> str:
    return kind + "\n" + "".join(f"{name} {_value(value)}\n" for name, value in fields)


def entry_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entry_fields(text: str) -> dict[str, str]:
    """The ``name value`` lines of an entry this server wrote (its kind line left out)."""
    return dict(line.split(" ", 1) for line in text.splitlines()[1:])
