"""The client of the witnesses (C2SP tlog-witness): send the newest checkpoint with a
consistency proof from the size each witness last cosigned, check the cosignature it answers
with its configured key, and keep it beside the checkpoint for everyone to read.

A witness that is down delays nothing: each call has a deadline, a failure is logged and the
next call (after the next entry, or the sweep's) tries again.
"""

import base64
import logging
import threading
import urllib.error
import urllib.request
from time import monotonic

from django.conf import settings
from django.db import IntegrityError, transaction

from record import tree
from record.keys import Witness, witnesses
from record.models import Checkpoint, Cosignature, Entry, Head, WitnessProgress
from record.notes import cosignature_timestamp

logger = logging.getLogger(__name__)

_MAX_ANSWER_BYTES = 64 * 1024


class WitnessRefused(Exception):
    """The witness answered, but not with a cosignature."""


def witnesses_ask() -> dict[str, int]:
    """Ask every configured witness, at once, to cosign the newest checkpoint; return
    {name: size it has cosigned}. Never raises: a witness that fails, answers nonsense or
    dawdles past LOTTERY_WITNESS_TIMEOUT_SECONDS is logged and asked again next time."""
    try:
        configured = witnesses()
    except (OSError, ValueError) as exc:
        logger.error("LOTTERY_WITNESS_KEYS cannot be read: %s", exc)
        return {}
    latest = Checkpoint.objects.order_by("-size").first()
    if latest is None or not configured:
        return {}
    asked = {}
    for witness in configured:
        progress, _ = WitnessProgress.objects.get_or_create(witness=witness.key.name)
        if progress.size < latest.size:
            asked[witness.key.name] = (witness, progress.size)
    cosigned = dict.fromkeys({w.key.name for w in configured} - set(asked), latest.size)
    for _ in range(2):  # a 409 names the size a witness holds: one more round from there
        if not asked:
            break
        answers = _post_all(
            {name: (w, _request_body(old, latest)) for name, (w, old) in asked.items()}
        )
        retry = {}
        for name, (witness, old) in asked.items():
            status, answer = answers[name]
            held = _size(answer) if status == 409 else None
            try:
                if held is not None and held != old:
                    retry[name] = (witness, _held_size(held, latest))
                    continue
                cosigned[name] = _keep(witness, latest, status, answer)
            except WitnessRefused as exc:
                logger.warning(
                    "Witness %s did not cosign size %d: %s", witness.url, latest.size, exc
                )
        asked = retry
    return cosigned


def witnesses_behind() -> bool:
    """Whether some witness has not cosigned the newest checkpoint yet (one small query)."""
    try:
        configured = witnesses()
    except (OSError, ValueError):
        return False  # witnesses_ask logs it
    if not configured:
        return False
    latest = Checkpoint.objects.order_by("-size").values_list("size", flat=True).first()
    if latest is None:
        return False
    done = WitnessProgress.objects.filter(
        witness__in=[w.key.name for w in configured], size__gte=latest
    ).count()
    return done < len(configured)


def _size(answer: str) -> int | None:
    text = answer.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _held_size(size: int, latest: Checkpoint) -> int:
    """The size a witness says it holds, if this log has it; a larger one is a fork."""
    if size > latest.size and size > (Head.objects.values_list("size", flat=True).first() or 0):
        raise WitnessRefused(
            f"it holds size {size}, beyond this log's {latest.size}: the log was restored "
            "below a size it cosigned, a fork no witness will accept"
        )
    return min(size, latest.size)


def _keep(witness: Witness, checkpoint: Checkpoint, status: int, answer: str) -> int:
    """Check the witness's answer and keep its cosignature beside the checkpoint."""
    if status != 200:
        raise WitnessRefused(f"HTTP {status}: {answer.strip()[:200]}")
    body = checkpoint.note.split("\n\n", 1)[0] + "\n"
    for line in (line + "\n" for line in answer.splitlines() if line):
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
        WitnessProgress.objects.filter(witness=witness.key.name, size__lt=checkpoint.size).update(
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


def _post_all(requests: dict[str, tuple[Witness, bytes]]) -> dict[str, tuple[int, str]]:
    """POST each body to its witness at once; {name: (status, answer)} by one deadline.

    ``urlopen``'s timeout bounds each read, not the answer: a witness that sends a byte now
    and then could hold a request for hours. Each request runs on a daemon thread that touches
    no database, and whatever has not answered by the deadline counts as down.
    """
    answers: dict[str, tuple[int, str]] = {}
    threads = []
    for name, (witness, body) in requests.items():

        def ask(name: str = name, witness: Witness = witness, body: bytes = body) -> None:
            try:
                answers[name] = _post(witness, body)
            except Exception as exc:
                answers[name] = (0, f"{type(exc).__name__}: {exc}")

        thread = threading.Thread(target=ask, daemon=True, name=f"witness {name}")
        thread.start()
        threads.append(thread)
    deadline = monotonic() + settings.LOTTERY_WITNESS_TIMEOUT_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - monotonic()))
    timeout = settings.LOTTERY_WITNESS_TIMEOUT_SECONDS
    return {name: answers.get(name, (0, f"no answer within {timeout} s")) for name in requests}


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
