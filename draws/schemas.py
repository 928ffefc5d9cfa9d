import datetime as dt
from uuid import UUID

from ninja import Schema
from pydantic import Field

from ballots.models import Lottery
from draws import vdf
from draws.models import Draw

HEX_SHA256 = "64 hex digits (SHA-256)"
RULES = "docs/draw-rules.md"


class DrawOut(Schema):
    """A day's draw; every field's exact rule and canonical form is in docs/draw-rules.md."""

    date: dt.date = Field(validation_alias="lottery.date")
    rule: str = Field(description=f"The day's draw rule, fixed before it opened ({RULES}).")
    state: str = Field(
        description="'drawing' from the close (count and root fixed and published, the delay "
        "function running) until the winner is known, then 'drawn'."
    )
    winning_ballot_id: UUID | None = Field(description="Null when the day had no ballots.")
    ballot_count: int
    closes_at: dt.datetime = Field(
        validation_alias="lottery.closes_at", description="The midnight that ended the day."
    )
    closed_at: dt.datetime | None = Field(description="When the count and root were fixed.")
    drawn_at: dt.datetime | None = Field(description="When the winner was committed.")
    merkle_root: str = Field(
        description="Root of the Merkle tree over the day's ballot ids in canonical order; "
        "empty for draws made before draws were verifiable."
    )
    winning_index: int | None = Field(description="The winner's position in canonical order.")
    seed: str | None = Field(
        description="hmac-sha256 days: the secret seed, revealed once drawn (hex)."
    )
    seed_commitment: str | None = Field(
        description=f"hmac-sha256 days: SHA-256 of the seed, published before it: {HEX_SHA256}."
    )
    vdf_delay_log2: int | None = Field(
        description="The delay function's published delay: 2**vdf_delay_log2 squarings."
    )
    vdf_output: str | None = Field(description="y, 512 hex digits, once drawn.")
    vdf_proof: list[str] = Field(description="Pietrzak's proof of y: vdf_delay_log2 elements.")
    beacon_delay_seconds: int | None = Field(
        validation_alias="lottery.beacon_delay_seconds",
        description="The day's policy: the beacon round is the first one published this long "
        "after closes_at; null when the day has no beacon.",
    )
    beacon_round: int | None = Field(description="The public-randomness round mixed in, if any.")
    beacon_randomness: str | None = Field(description="That round's randomness (hex), if any.")
    beacon_signature: str | None = Field(
        description="That round's BLS signature (hex); its randomness is SHA-256 of it."
    )
    height: int | None = Field(description="The draw's place in the chain of draws (0 first).")
    previous_date: dt.date | None = Field(description="The day of the draw this one follows.")
    previous_record_hash: str | None = Field(description="That draw's record_hash.")
    record_hash: str | None = Field(description=f"SHA-256 of this draw's record: {HEX_SHA256}.")

    @staticmethod
    def resolve_seed(draw: Draw) -> str | None:
        if draw.rule != Lottery.Rule.HMAC or draw.state != Draw.State.DRAWN:
            return None
        return bytes(draw.lottery.seed).hex()

    @staticmethod
    def resolve_seed_commitment(draw: Draw) -> str | None:
        return draw.lottery.seed_commitment if draw.rule == Lottery.Rule.HMAC else None

    @staticmethod
    def resolve_vdf_output(draw: Draw) -> str | None:
        return draw.vdf_output or None

    @staticmethod
    def resolve_vdf_proof(draw: Draw) -> list[str]:
        proof = bytes(draw.vdf_proof)
        size = vdf.ELEMENT_BYTES
        return [proof[i : i + size].hex() for i in range(0, len(proof), size)]

    @staticmethod
    def resolve_beacon_randomness(draw: Draw) -> str | None:
        return draw.beacon_randomness or None

    @staticmethod
    def resolve_beacon_signature(draw: Draw) -> str | None:
        return draw.beacon_signature or None

    @staticmethod
    def resolve_previous_date(draw: Draw) -> dt.date | None:
        return draw.previous.lottery.date if draw.previous else None

    @staticmethod
    def resolve_previous_record_hash(draw: Draw) -> str | None:
        return draw.previous.record_hash if draw.previous else None

    @staticmethod
    def resolve_record_hash(draw: Draw) -> str | None:
        return draw.record_hash or None


class DrawPage(Schema):
    items: list[DrawOut]
    count: int = Field(description="How many days have been drawn or are being drawn.")


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
