import datetime as dt
from uuid import UUID

from ninja import Schema
from pydantic import Field


class DrawOut(Schema):
    date: dt.date = Field(validation_alias="lottery.date")
    winning_ballot_id: UUID | None = Field(description="Null when the day had no ballots.")
    ballot_count: int
    drawn_at: dt.datetime
