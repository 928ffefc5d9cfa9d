"""Appending to the lottery's log, and asking witnesses to cosign it (docs/draw-rules.md, 6).

An event and its entry commit together: ``record_append`` runs inside the caller's
transaction, so no event is published that the log does not hold, and a rolled-back event
leaves no entry. Each append signs a checkpoint of the new size in the same transaction;
witnesses are asked once it commits, and again by the sweep until they have cosigned.
"""

import logging
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from record import tree
from record.keys import log_signer
from record.models import Checkpoint, Entry, Head
from record.notes import checkpoint_body
from record.tasks import record_witness

logger = logging.getLogger(__name__)


def record_append(*, kind: Entry.Kind, lottery_date: date, text: str) -> Entry:
    """Append one entry and sign the checkpoint of the log's new size; return the day's entry
    of that kind (an earlier one if it exists: the first entry of a kind stands for good).

    Call it inside the event's own transaction. The first statement, an UPDATE of the head
    row, serialises appends (see ``Head``), so the look-up for an existing entry after it
    cannot race; the unique (kind, date) constraint is the last guard.
    """
    with transaction.atomic():
        Head.objects.get_or_create(pk=1)
        Head.objects.filter(pk=1).update(size=F("size"))  # the lock, before any read
        existing = Entry.objects.filter(kind=kind, date=lottery_date).first()
        if existing is not None:
            return existing
        size = Head.objects.values_list("size", flat=True).get(pk=1) + 1
        now = timezone.now()
        entry = Entry.objects.create(
            index=size - 1,
            kind=kind,
            date=lottery_date,
            text=text,
            leaf_hash=tree.leaf_hash(text.encode()),
            logged_at=now,
        )
        Head.objects.filter(pk=1).update(size=size)
        hashes = [
            bytes(h) for h in Entry.objects.order_by("index").values_list("leaf_hash", flat=True)
        ]
        root = tree.root_of(hashes)
        signer = log_signer()
        Checkpoint.objects.create(
            size=size,
            root=root,
            note=signer.sign(checkpoint_body(signer.name, size, root)),
            signed_at=now,
        )
        if settings.LOTTERY_WITNESS_URLS:
            # robust: a broker that is down must not fail the event, nor the callbacks after
            # this one (the winner's email); the timer asks the witnesses again.
            transaction.on_commit(record_witness.delay, robust=True)
    return entry


def record_entry(*, kind: Entry.Kind, lottery_date: date) -> Entry | None:
    return Entry.objects.filter(kind=kind, date=lottery_date).first()


def record_start_date() -> date | None:
    """The first day the record covers: the date of the log's first entry (a policy)."""
    return Entry.objects.filter(index=0).values_list("date", flat=True).first()
