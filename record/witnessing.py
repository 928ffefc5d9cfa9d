"""The client of the witnesses (C2SP tlog-witness): send the newest checkpoint with a
consistency proof from the size each witness last cosigned, check the cosignature it answers
with its configured key, and keep it beside the checkpoint for everyone to read.

A witness that is down delays nothing: each call has a deadline, a failure is logged and the
next call (after the next entry, or the sweep's) tries again.
"""

import base64
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.db import IntegrityError, transaction

from record import tree
from record.keys import Witness, witnesses
from record.models import Checkpoint, Cosignature, Entry, WitnessProgress
from record.notes import cosignature_timestamp

logger = logging.getLogger(__name__)

_MAX_ANSWER_BYTES = 64 * 1024


class WitnessRefused(Exception):
    """The witness answered, but not with a cosignature."""


def witnesses_ask() -> dict[str, int]:
    """Ask every configured witness to cosign the newest checkpoint; {name: size it cosigned}."""
    latest = Checkpoint.objects.order_by("-size").first()
    if latest is None:
        return {}
    cosigned = {}
    for witness in witnesses():
        try:
            cosigned[witness.key.name] = _witness_ask(witness, latest)
        except (OSError, WitnessRefused) as exc:
            logger.warning("Witness %s did not cosign size %d: %s", witness.url, latest.size, exc)
    return cosigned


def witnesses_behind() -> bool:
    """Whether some witness has not cosigned the newest checkpoint yet (one small query)."""
    configured = witnesses()
    if not configured:
        return False
    latest = Checkpoint.objects.order_by("-size").values_list("size", flat=True).first()
    if latest is None:
        return False
    done = WitnessProgress.objects.filter(
        witness__in=[w.key.name for w in configured], size__gte=latest
    ).count()
    return done < len(configured)


def _witness_ask(witness: Witness, checkpoint: Checkpoint) -> int:
    progress, _ = WitnessProgress.objects.get_or_create(witness=witness.key.name)
    if progress.size >= checkpoint.size:
        return progress.size
    old = progress.size
    for _ in range(2):  # a 409 tells the size it holds: one more try from there
        status, answer = _post(witness, _request_body(old, checkpoint))
        if status == 409 and answer.strip().isdigit() and int(answer) != old:
            old = int(answer)
            if old > checkpoint.size:
                raise WitnessRefused(
                    f"it holds size {old}, beyond this log's {checkpoint.size}: the log was "
                    "restored below a size it cosigned, a fork no witness will accept"
                )
            continue
        break
    if status != 200:
        raise WitnessRefused(f"HTTP {status}: {answer.strip()[:200]}")
    body = checkpoint.note.split("\n\n", 1)[0] + "\n"
    lines = [line + "\n" for line in answer.splitlines() if line]
    for line in lines:
        timestamp = cosignature_timestamp(witness.key, body, line)
        if timestamp is not None:
            break
    else:
        raise WitnessRefused("no valid cosignature by its configured key in the answer")
    with transaction.atomic():
        try:
            with transaction.atomic():
                Cosignature.objects.create(
                    checkpoint=checkpoint, witness=witness.key.name, timestamp=timestamp, line=line
                )
        except IntegrityError:
            pass  # a concurrent call kept the same witness's cosignature first
        WitnessProgress.objects.filter(pk=progress.pk, size__lt=checkpoint.size).update(
            size=checkpoint.size
        )
    logger.info("Witness %s cosigned size %d", witness.key.name, checkpoint.size)
    return checkpoint.size


def _request_body(old: int, checkpoint: Checkpoint) -> bytes:
    proof: list[bytes] = []
    if 0 < old < checkpoint.size:
        hashes = [
            bytes(h)
            for h in Entry.objects.filter(index__lt=checkpoint.size)
            .order_by("index")
            .values_list("leaf_hash", flat=True)
        ]
        proof = tree.consistency_path(hashes, old)
    lines = [f"old {old}\n", *(base64.b64encode(h).decode() + "\n" for h in proof), "\n"]
    return ("".join(lines) + checkpoint.note).encode()


def _post(witness: Witness, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - the operator's configured http(s) URL
        f"{witness.url}/add-checkpoint", data=body, method="POST"
    )
    timeout = settings.LOTTERY_WITNESS_TIMEOUT_SECONDS
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(_MAX_ANSWER_BYTES).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(_MAX_ANSWER_BYTES).decode(errors="replace")
