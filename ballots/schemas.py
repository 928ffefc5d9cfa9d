import datetime as dt
from uuid import UUID

from django.conf import settings
from ninja import Schema
from pydantic import ConfigDict, Field

from ballots.models import BallotStatus, Lottery
from common.schemas import IsoDate


class BallotIn(Schema):
    model_config = ConfigDict(extra="forbid")

    date: str | None = Field(
        default=None,
        description="The lottery day, YYYY-MM-DD; today (in TIME_ZONE) when omitted.",
        json_schema_extra={"format": "date"},
        max_length=32,
    )


class BallotBatchIn(BallotIn):
    count: int = Field(
        description="How many ballots to submit; all are accepted or none.",
        ge=1,
        le=settings.LOTTERY_MAX_BATCH,
        strict=True,
    )


RECEIPT_DESCRIPTION = (
    "The lottery's signed receipt (a C2SP signed note of its log key, first line "
    "`<origin> receipt/v1`): keep it. With it, `scripts/verify_draw.py --receipt` shows the "
    "ballot in the day's witnessed close, or proves it was left out (docs/draw-rules.md, 7)."
)


class BallotBatchOut(Schema):
    date: dt.date
    count: int
    ids: list[UUID]
    receipt: str = Field(description=RECEIPT_DESCRIPTION + " One receipt names every id.")


class BallotOut(Schema):
    id: UUID
    date: dt.date = Field(validation_alias="lottery_date")
    created_at: dt.datetime
    status: BallotStatus


class BallotAccepted(BallotOut):
    receipt: str = Field(description=RECEIPT_DESCRIPTION)


class ReceiptOut(Schema):
    receipt: str = Field(description=RECEIPT_DESCRIPTION + " A batched ballot's is its batch's.")


class BallotFilters(Schema):
    date: IsoDate | None = None
    status: BallotStatus | None = None


class LotteryOut(Schema):
    date: dt.date
    closes_at: dt.datetime
    status: str = Field(validation_alias="state")
    rule: str = Field(
        description="The day's draw rule, fixed when the day was created (docs/draw-rules.md)."
    )
    vdf_delay_log2: int | None = Field(
        description="The delay function's delay, 2**vdf_delay_log2 squarings over the day's "
        "closing Merkle root; part of the day's policy, never chosen at draw time."
    )
    beacon_delay_seconds: int | None = Field(
        description="With a beacon: its round is the first published this long after the close."
    )
    seed_commitment: str | None = Field(
        description="hmac-sha256 days only: SHA-256 (hex) of the day's secret seed."
    )

    @staticmethod
    def resolve_seed_commitment(lottery: Lottery) -> str | None:
        return lottery.seed_commitment if lottery.rule == Lottery.Rule.HMAC else None
