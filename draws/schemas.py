import datetime as dt
from uuid import UUID

from ninja import Schema
from pydantic import Field

from draws.models import Draw

HEX_SHA256 = "64 hex digits (SHA-256)"


class DrawOut(Schema):
    date: dt.date = Field(validation_alias="lottery.date")
    winning_ballot_id: UUID | None = Field(description="Null when the day had no ballots.")
    ballot_count: int
    drawn_at: dt.datetime
    closes_at: dt.datetime = Field(
        validation_alias="lottery.closes_at",
        description="The midnight that ended the day; a beacon round must come after it.",
    )
    seed: str = Field(description="The day's secret seed, revealed now that it is drawn (hex).")
    seed_commitment: str = Field(
        validation_alias="lottery.seed_commitment",
        description=f"SHA-256 of the seed, published before the day's first ballot: {HEX_SHA256}.",
    )
    merkle_root: str = Field(
        description="Root of the Merkle tree over the day's ballot ids in canonical order "
        "(docs/verifying.md); empty for draws made before draws were verifiable."
    )
    winning_index: int | None = Field(
        description="The winner's position in canonical order: HMAC-SHA256(seed, "
        "'date|ballot_count|merkle_root[|beacon_randomness]') mod ballot_count."
    )
    beacon_round: int | None = Field(description="The public-randomness round mixed in, if any.")
    beacon_randomness: str | None = Field(description="That round's randomness (hex), if any.")

    @staticmethod
    def resolve_seed(draw: Draw) -> str:
        return bytes(draw.lottery.seed).hex()

    @staticmethod
    def resolve_beacon_randomness(draw: Draw) -> str | None:
        return draw.beacon_randomness or None


class DrawPage(Schema):
    items: list[DrawOut]
    count: int = Field(description="How many days have been drawn.")


class ProofOut(Schema):
    ballot_id: UUID
    date: dt.date = Field(validation_alias="lottery_date")
    ballot_count: int
    leaf_index: int = Field(description="The ballot's position in canonical order.")
    path: list[str] = Field(
        description="Sibling hashes (hex) from the leaf up to the root; a level where the "
        "node is the last, unpartnered one has none (RFC 9162, 2.1.3.2)."
    )
    merkle_root: str


class BallotIdPage(Schema):
    items: list[UUID] = Field(description="Ballot ids in canonical (ascending) order.")
    next_after: UUID | None = Field(
        description="Pass as ?after= for the next page; null on the last page."
    )


class BallotIdFilters(Schema):
    after: UUID | None = Field(default=None, description="Start after this ballot id.")
    limit: int = Field(default=1000, ge=1, le=10_000)
