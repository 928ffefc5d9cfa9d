"""A lottery day's policy entry: every value that decides its winner, or how to read it,
logged when the day's row is made (docs/draw-rules.md, 6)."""

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from ballots.calendar import closes_at
from ballots.models import Lottery
from record.entries import entry_text
from record.models import Entry
from record.services import record_append, record_start_date

POLICY = "lottery-policy/v1"


def policy_text(lottery: Lottery) -> str:
    """The day's policy. ``demo yes`` for a day made with DEBUG on or after its close (make
    demo's past days): a verifier accepts its short delay and late record only when told to."""
    ends = closes_at(lottery.date)
    demo = settings.DEBUG or ends <= timezone.now()
    beacon = (
        "none"
        if lottery.beacon_delay_seconds is None
        else f"{lottery.beacon_delay_seconds} {settings.LOTTERY_BEACON_URL}"
    )
    hmac = lottery.rule == Lottery.Rule.HMAC
    return entry_text(
        POLICY,
        [
            ("date", lottery.date.isoformat()),
            ("rule", lottery.rule),
            ("vdf_delay_log2", None if hmac else lottery.vdf_delay_log2),
            ("beacon", beacon),
            ("opens_at", closes_at(lottery.date - timedelta(days=1))),
            ("closes_at", ends),
            ("close_witness_seconds", settings.LOTTERY_CLOSE_WITNESS_SECONDS),
            ("seed_commitment", lottery.seed_commitment if hmac else None),
            ("demo", "yes" if demo else "no"),
        ],
    )


def policies_log(*, lottery_dates: list[date]) -> None:
    """Log the policy of each of these days that has a row and no policy entry yet.

    Days before the log's first entry predate the record and get none: a policy logged after
    its day was drawn would vouch for nothing.
    """
    start = record_start_date()
    wanted = sorted(day for day in set(lottery_dates) if start is None or day >= start)
    if not wanted:
        return
    logged = set(
        Entry.objects.filter(kind=Entry.Kind.POLICY, date__in=wanted).values_list("date", flat=True)
    )
    # Open days only: a day already closed before the record began predates it (its close was
    # never logged, so a policy logged now could never be followed by its close).
    for lottery in Lottery.objects.filter(date__in=wanted, state=Lottery.State.OPEN).order_by(
        "date"
    ):
        if lottery.date not in logged:
            record_append(
                kind=Entry.Kind.POLICY, lottery_date=lottery.date, text=policy_text(lottery)
            )
