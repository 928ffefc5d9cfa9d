import logging
import threading
from datetime import date, timedelta
from time import monotonic, perf_counter

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from ballots.calendar import lottery_dates_ahead, lottery_today
from ballots.models import Lottery
from ballots.services import lottery_ensure
from common.metrics import DRAW_DURATION, DRAWS
from draws import chain, merkle, record, vdf
from draws.beacon import BeaconValue, beacon_fetch
from draws.checkin import checkin
from draws.errors import DrawInProgress, LotteryStillOpen
from draws.models import Draw
from draws.notification_tasks import draw_winner_notify
from draws.selectors import (
    ballot_at,
    ballot_set_digest,
    draw_ids_unnotified,
    lottery_dates_overdue,
    lottery_sweep_due,
)
from record.witnessing import witnesses_ask, witnesses_behind

logger = logging.getLogger(__name__)

# A worker computing a day's delay function renews its claim this often; a claim not renewed
# for CLAIM_SECONDS has lapsed (its worker died) and the next sweep takes the day over.
CLAIM_SECONDS = 60
CLAIM_RENEW_SECONDS = 10

# The sweep re-queues the email of draws made this recently: longer than a broker outage
# over a long weekend, short enough that a deployment on old data mails no old winners.
REQUEUE_WINDOW = timedelta(days=3)


def lottery_draw(*, lottery_date: date) -> Draw:
    """Draw a closed lottery day, or return its existing result. Three steps:

    1. the close, under the lottery's row lock: count and Merkle root, published at once;
    2. the delay function over them, outside every lock (minutes, by design), by at most one
       worker at a time (a claim in the draw row, renewed while it runs);
    3. the winner and the chain link, committed together.

    Safe to run twice at once (two beats, a retry, a redelivered task): step 1 happens once
    (the second caller waits on the lock and finds the draw), step 2 refuses a second worker
    (DrawInProgress), step 3 re-reads the row under its lock and keeps the first result.
    The call that commits the result times it (DRAW_DURATION), counts it and queues the
    winner's email.
    """
    if lottery_date >= lottery_today():
        raise LotteryStillOpen(
            f"The lottery of {lottery_date} is still open; it can be drawn after its midnight."
        )
    started = perf_counter()
    lottery_ensure(lottery_dates=[lottery_date])
    draw = _lottery_close(lottery_date=lottery_date)
    if draw.state == Draw.State.DRAWN:
        return draw
    # The close must be cosigned within the policy's bound, and this worker is about to spend
    # minutes on the delay function: ask the witnesses now, not from the queue behind it.
    if witnesses_behind():
        witnesses_ask()
    _delay_evaluate(draw)
    drawn, committed = _draw_finish(draw=draw, beacon=_beacon_for(draw))
    if not committed:  # another worker finished the day first
        return drawn
    seconds = perf_counter() - started
    # At once, as the draw has committed; later only under a caller's own transaction.
    transaction.on_commit(lambda: DRAW_DURATION.observe(seconds))
    _log_drawn(drawn)
    checkin(f"drew {drawn.lottery.date}: winning ballot {drawn.winning_ballot_id or 'none'}")
    return drawn


def lottery_draw_closed() -> list[Draw]:
    """Draw every closed, undrawn day, oldest first: a scheduler that was down catches up.

    First, queue again any recent winner's email that was never queued. The midnight run,
    every sweep and every worker start call this; with nothing pending it costs two indexed
    queries (draw_ids_unnotified, lottery_sweep_due). A day whose delay function another
    worker is computing is left to it.
    """
    # Before drawing: a draw made by this run has its email queued on commit already.
    winner_notifications_requeue()
    today = lottery_today()
    if settings.LOTTERY_CHECKIN_URL:
        # Told before this run tries (and maybe fails) to catch up.
        overdue = lottery_dates_overdue(now=timezone.now(), today=today)
        if overdue:
            checkin(f"overdue: {', '.join(day.isoformat() for day in overdue)}", failed=True)
    ahead = lottery_dates_ahead(today)
    pending, ahead_missing = lottery_sweep_due(today=today, ahead=ahead[-1])
    # The open window's days and the one after it are made here, a day before they open, so
    # their policies are in the public record before their first ballot (a fresh install's
    # first worker start makes them too).
    if ahead_missing:
        lottery_ensure(lottery_dates=ahead)
    if not pending:
        return []
    # Every pending day gets a result, even one nobody submitted for.
    lottery_ensure(lottery_dates=pending)
    # Close every past day at once; a submission racing this waits on the row and then
    # finds it closed.
    Lottery.objects.filter(date__lt=today, state=Lottery.State.OPEN).update(
        state=Lottery.State.CLOSED
    )
    draws = []
    for lottery_date in pending:
        try:
            draws.append(lottery_draw(lottery_date=lottery_date))
        except DrawInProgress as exc:
            logger.info("%s", exc.detail)
    return draws


def winner_notifications_requeue() -> list[int]:
    """Queue again the email of each recent draw whose winner has no notification record.

    Their enqueue on commit failed (the broker was down), or their task is still queued:
    queued twice, the record lets one delivery send and the other sends nothing. Returns
    the draw ids queued; stops at the first broker failure, the next sweep tries again.
    """
    draw_ids = draw_ids_unnotified(since=timezone.now() - REQUEUE_WINDOW)
    if draw_ids:
        # Not a deleted account's ballot, nor an address not confirmed: winner_notify
        # records nothing for those, and they would be queued again at every sweep.
        draw_ids = list(
            Draw.objects.filter(pk__in=draw_ids, winning_ballot__user__email_confirmed=True)
            .order_by("drawn_at")
            .values_list("pk", flat=True)
        )
    for queued, draw_id in enumerate(draw_ids):
        try:
            draw_winner_notify.delay(draw_id)
        except BrokerUnreachable as exc:
            logger.warning(
                "Could not queue the winner email of draw %s (%r); the next sweep tries again",
                draw_id,
                exc,
            )
            return draw_ids[:queued]
        logger.warning(
            "Queued the winner email of draw %s again: no delivery has claimed it", draw_id
        )
    return draw_ids


def _lottery_close(*, lottery_date: date) -> Draw:
    """Step 1: fix the day's ballot set and publish its count and root (state ``drawing``)."""
    with transaction.atomic():
        # FOR UPDATE waits for every in-flight submission (they hold the row FOR SHARE) and
        # keeps new ones out until we commit, when they find the day no longer open.
        lottery = Lottery.objects.select_for_update().get(date=lottery_date)
        existing = Draw.objects.select_related("lottery").filter(lottery=lottery).first()
        if existing is not None:
            return existing
        ballots = ballot_set_digest(lottery=lottery)
        delay_rule = lottery.rule == Lottery.Rule.DELAY_FUNCTION
        draw = Draw.objects.create(
            lottery=lottery,
            rule=lottery.rule,
            state=Draw.State.DRAWING,
            ballot_count=ballots.ballot_count,
            merkle_root=ballots.merkle_root.hex(),
            chunks=ballots.chunks,
            closed_at=timezone.now(),
            vdf_delay_log2=lottery.vdf_delay_log2 if delay_rule else None,
        )
        lottery.state = Lottery.State.CLOSED
        lottery.save(update_fields=["state"])
        record.close_log(draw)
    logger.info(
        "Closed the lottery of %s: %d ballots, Merkle root %s (rule %s)",
        lottery_date,
        draw.ballot_count,
        draw.merkle_root,
        draw.rule,
    )
    checkin(f"closed {lottery_date}: {draw.ballot_count} ballots, root {draw.merkle_root}")
    return draw


def _delay_evaluate(draw: Draw) -> None:
    """Step 2: the delay function over the closed day, by the one worker that claims it.

    Its output and proof are kept in the row as soon as they exist, so a step 3 that fails
    (a beacon round not out yet, a lost connection) is retried without computing again.
    """
    delay_log2 = draw.vdf_delay_log2  # the close copied the day's policy
    if draw.rule != Lottery.Rule.DELAY_FUNCTION or draw.ballot_count == 0 or delay_log2 is None:
        return
    if draw.vdf_output:
        return
    now = timezone.now()
    # A conditional UPDATE: of two workers, the second finds the claim taken (PostgreSQL
    # re-reads the row after the first one's commit).
    claimed = (
        Draw.objects.filter(pk=draw.pk, state=Draw.State.DRAWING, vdf_output="")
        .filter(Q(computing_until__isnull=True) | Q(computing_until__lt=now))
        .update(computing_until=now + timedelta(seconds=CLAIM_SECONDS))
    )
    if not claimed:
        draw.refresh_from_db(fields=["vdf_output"])
        if draw.vdf_output:  # another worker finished it meanwhile
            return
        raise DrawInProgress(
            f"The lottery of {draw.lottery.date} is being drawn by another worker (its delay "
            "function is running); its result follows within minutes."
        )
    text = vdf.statement(
        lottery_date=draw.lottery.date,
        count=draw.ballot_count,
        root=draw.merkle_root,
        delay_log2=delay_log2,
    )
    began = monotonic()
    try:
        evaluation = vdf.evaluate(vdf.input_element(text), delay_log2, progress=_ClaimRenewal(draw))
    except BaseException:
        # Interrupted (a warm shutdown, an error): let the next sweep start at once.
        Draw.objects.filter(pk=draw.pk).update(computing_until=None)
        raise
    Draw.objects.filter(pk=draw.pk, state=Draw.State.DRAWING).update(
        vdf_output=vdf.element_hex(evaluation.output),
        vdf_proof=b"".join(vdf.encode(mu) for mu in evaluation.proof),
        computing_until=None,
    )
    logger.info(
        "Computed the delay function of %s: 2^%d squarings in %.1f s",
        draw.lottery.date,
        delay_log2,
        monotonic() - began,
    )


class _ClaimRenewal:
    """Called by the delay function as it runs: keeps this worker's claim alive."""

    def __init__(self, draw: Draw) -> None:
        self.draw_id = draw.pk
        self.renewed = monotonic()
        self.asking: threading.Thread | None = None

    def __call__(self, fraction: float) -> None:
        if monotonic() - self.renewed < CLAIM_RENEW_SECONDS:
            return
        Draw.objects.filter(pk=self.draw_id, state=Draw.State.DRAWING).update(
            computing_until=timezone.now() + timedelta(seconds=CLAIM_SECONDS)
        )
        # A witness that was down at the close is asked again while the delay runs (the
        # queued retries wait behind this task when the worker has one process), on a
        # thread of its own so that a slow witness never holds up the squarings.
        if witnesses_behind() and not (self.asking and self.asking.is_alive()):
            self.asking = threading.Thread(target=_witnesses_ask_apart, daemon=True)
            self.asking.start()
        self.renewed = monotonic()


def _witnesses_ask_apart() -> None:
    try:
        witnesses_ask()
    finally:
        connection.close()  # this thread's own connection, not the pool's for good


def _draw_finish(*, draw: Draw, beacon: BeaconValue | None) -> tuple[Draw, bool]:
    """Step 3: the winner and the link to the chain's head, committed with the draw.

    Returns the drawn day, and whether this call committed it (not another worker). Once
    it commits, the draw is counted and the winner's email queued.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                locked = Draw.objects.select_for_update().select_related("lottery").get(pk=draw.pk)
                if locked.state == Draw.State.DRAWN:
                    return locked, False
                _draw_decide(locked, beacon=beacon)
                # Heights are unique: two days finishing at once cannot both follow one head;
                # the second's insert fails and it links to the new head.
                head = Draw.objects.filter(state=Draw.State.DRAWN).order_by("-height").first()
                locked.previous = head
                locked.height = 0 if head is None else head.height + 1  # type: ignore[operator]
                locked.record_hash = record.draw_log(locked) or _record_hash(locked)
                locked.save()
                Lottery.objects.filter(pk=locked.lottery_id).update(state=Lottery.State.DRAWN)
                locked.lottery.state = Lottery.State.DRAWN
                _draw_committed(locked)
        except IntegrityError:
            if attempt == 2:
                raise
            continue
        break
    return locked, True


def _draw_committed(draw: Draw) -> None:
    """Once the draw commits (a rolled-back one counts nothing and emails nobody): count it,
    and queue the winner's email."""
    won = draw.winning_ballot_id is not None
    transaction.on_commit(lambda: DRAWS.labels(winner=str(won).lower()).inc())
    if won:
        draw_id = draw.pk
        # robust: a broker that is down must not turn a committed draw into an error (and a
        # retried draw task); Django logs the failure with its traceback, and the next sweep
        # queues the email again (winner_notifications_requeue).
        transaction.on_commit(lambda: draw_winner_notify.delay(draw_id), robust=True)


def _draw_decide(draw: Draw, *, beacon: BeaconValue | None) -> None:
    """Set the draw's winner under its rule, from the output step 2 kept in the row."""
    draw.state = Draw.State.DRAWN
    draw.drawn_at = timezone.now()
    draw.computing_until = None
    draw.beacon_round = beacon.round if beacon else None
    draw.beacon_randomness = beacon.randomness if beacon else ""
    draw.beacon_signature = beacon.signature if beacon else ""
    if draw.ballot_count == 0:
        return
    if draw.rule == Lottery.Rule.DELAY_FUNCTION:
        index = vdf.winner_index(
            output=int(draw.vdf_output, 16), count=draw.ballot_count, beacon=draw.beacon_randomness
        )
    else:
        index = merkle.winning_index(
            seed=bytes(draw.lottery.seed),
            lottery_date=draw.lottery.date,
            count=draw.ballot_count,
            root=bytes.fromhex(draw.merkle_root),
            beacon=draw.beacon_randomness,
        )
    draw.winning_index = index
    draw.winning_ballot_id = ballot_at(draw=draw, index=index)


def _record_hash(draw: Draw) -> str:
    return chain.record_hash(
        rule=draw.rule,
        lottery_date=draw.lottery.date,
        ballot_count=draw.ballot_count,
        merkle_root=draw.merkle_root,
        winning_index=draw.winning_index,
        winning_ballot_id=draw.winning_ballot_id,
        seed=bytes(draw.lottery.seed).hex() if draw.rule == Lottery.Rule.HMAC else "",
        vdf_delay_log2=draw.vdf_delay_log2,
        vdf_output=draw.vdf_output,
        beacon_round=draw.beacon_round,
        beacon_randomness=draw.beacon_randomness,
        previous_record_hash=draw.previous.record_hash if draw.previous else "",
    )


def _log_drawn(draw: Draw) -> None:
    if draw.winning_ballot_id is None:
        logger.info("Drew the lottery of %s: no ballots, no winner", draw.lottery.date)
        return
    logger.info(
        "Drew the lottery of %s: %d ballots, Merkle root %s, winning ballot %s (index %d)",
        draw.lottery.date,
        draw.ballot_count,
        draw.merkle_root,
        draw.winning_ballot_id,
        draw.winning_index,
    )


def _beacon_for(draw: Draw) -> BeaconValue | None:
    """The day's public randomness, when its policy has a beacon; asked outside every lock."""
    delay_seconds = draw.lottery.beacon_delay_seconds
    if delay_seconds is None:
        return None
    return beacon_fetch(lottery_date=draw.lottery.date, delay_seconds=delay_seconds)
