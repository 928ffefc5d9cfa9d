"""Reading the public record: entries, checkpoints with their cosignatures, proofs."""

from datetime import date, datetime, timedelta

from django.db.models import Prefetch

from common.errors import NotFound
from record import tree
from record.entries import entry_fields
from record.keys import log_signer, witnesses
from record.models import Checkpoint, Cosignature, Entry, Head

ENTRY_PAGE_MAX = 1000
CHECKPOINT_PAGE_MAX = 100


def log_size() -> int:
    return Head.objects.values_list("size", flat=True).filter(pk=1).first() or 0


def log_vkey() -> str:
    return log_signer().verifier.vkey


def log_witness_keys() -> list[dict[str, str]]:
    return [{"name": w.key.name, "vkey": w.key.vkey} for w in witnesses()]


def _with_cosignatures(checkpoint: Checkpoint) -> str:
    lines = "".join(c.line for c in checkpoint.cosignatures.all())
    return checkpoint.note + lines


def checkpoint_latest() -> str:
    checkpoint = Checkpoint.objects.prefetch_related("cosignatures").order_by("-size").first()
    if checkpoint is None:
        raise NotFound("The log is empty: no checkpoint has been signed yet.")
    return _with_cosignatures(checkpoint)


def checkpoint_at(*, size: int) -> str:
    if not 0 < size <= log_size():  # also keeps a number past the database's bigint out
        raise NotFound(f"No checkpoint of size {size}.")
    checkpoint = Checkpoint.objects.prefetch_related("cosignatures").filter(size=size).first()
    if checkpoint is None:
        raise NotFound(f"No checkpoint of size {size}.")
    return _with_cosignatures(checkpoint)


def checkpoints_cosigned(*, after: int, limit: int) -> tuple[list[str], int | None]:
    """Cosigned checkpoints of size > ``after``, smallest first; the size to ask after next."""
    checkpoints = list(
        Checkpoint.objects.filter(size__gt=after, cosignatures__isnull=False)
        .distinct()
        .order_by("size")
        .prefetch_related(Prefetch("cosignatures", queryset=Cosignature.objects.order_by("id")))[
            : limit + 1
        ]
    )
    more = len(checkpoints) > limit
    checkpoints = checkpoints[:limit]
    return [_with_cosignatures(c) for c in checkpoints], (
        checkpoints[-1].size if more and checkpoints else None
    )


def entries_page(*, start: int, limit: int) -> tuple[list[str], int | None]:
    texts = list(
        Entry.objects.filter(index__gte=start, index__lt=start + limit)
        .order_by("index")
        .values_list("text", flat=True)
    )
    following = start + len(texts)
    return texts, (following if following < log_size() and texts else None)


def _leaf_hashes(size: int) -> list[bytes]:
    return [
        bytes(h)
        for h in Entry.objects.filter(index__lt=size)
        .order_by("index")
        .values_list("leaf_hash", flat=True)
    ]


def inclusion_proof(*, index: int, size: int) -> list[bytes]:
    if not 0 <= index < size <= log_size():
        raise NotFound(f"No such proof: need 0 <= index < size <= {log_size()} (the log's size).")
    return tree.audit_path(_leaf_hashes(size), index)


def consistency_proof(*, old: int, new: int) -> list[bytes]:
    if not 0 <= old <= new <= log_size():
        raise NotFound(f"No such proof: need 0 <= old <= new <= {log_size()} (the log's size).")
    return tree.consistency_path(_leaf_hashes(new), old)


def closes_unwitnessed(*, now: datetime, since: date) -> list[date]:
    """Days since ``since`` whose close some configured witness did not cosign within the
    policy's bound after its midnight: such a day can never verify with that witness pinned."""
    configured = [w.key.name for w in witnesses()]
    if not configured:
        return []
    late = []
    closes = Entry.objects.filter(kind=Entry.Kind.CLOSE, date__gte=since).order_by("date")
    policies = dict(
        Entry.objects.filter(kind=Entry.Kind.POLICY, date__gte=since).values_list("date", "text")
    )
    for close in closes:
        policy = entry_fields(policies.get(close.date, ""))
        if "closes_at" not in policy:
            continue
        deadline = datetime.fromisoformat(policy["closes_at"]) + timedelta(
            seconds=int(policy["close_witness_seconds"])
        )
        if deadline > now:
            continue
        cosigned = set(
            Cosignature.objects.filter(
                checkpoint__size__gt=close.index,
                witness__in=configured,
                timestamp__lte=int(deadline.timestamp()),
            ).values_list("witness", flat=True)
        )
        if len(cosigned) < len(configured):
            late.append(close.date)
    return late
