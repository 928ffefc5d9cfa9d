from ninja import Field, Schema

from record.selectors import CHECKPOINT_PAGE_MAX, ENTRY_PAGE_MAX

# Far past any log; below the bigint that a larger number would overflow in the database.
SIZE_MAX = 2**62


class EntryFilters(Schema):
    start: int = Field(0, ge=0, le=SIZE_MAX)
    limit: int = Field(ENTRY_PAGE_MAX, ge=1, le=ENTRY_PAGE_MAX)


class EntryPage(Schema):
    start: int
    entries: list[str] = Field(description="Each entry's exact text (docs/draw-rules.md, 6).")
    next_start: int | None = Field(description="The next page's start; null at the log's end.")


class CheckpointFilters(Schema):
    after: int = Field(0, ge=0, le=SIZE_MAX, description="Only checkpoints of a larger size.")
    limit: int = Field(CHECKPOINT_PAGE_MAX, ge=1, le=CHECKPOINT_PAGE_MAX)


class CheckpointPage(Schema):
    items: list[str] = Field(
        description="Signed notes (C2SP tlog-checkpoint): the lottery's signature, then every "
        "witness's cosignature held for it."
    )
    next_after: int | None = Field(description="Pass as ?after= for more; null at the end.")


class InclusionFilters(Schema):
    index: int = Field(ge=0, le=SIZE_MAX)
    size: int = Field(ge=1, le=SIZE_MAX)


class ConsistencyFilters(Schema):
    old: int = Field(ge=0, le=SIZE_MAX)
    new: int = Field(ge=0, le=SIZE_MAX)


class ProofOut(Schema):
    path: list[str] = Field(description="Base64 hashes (RFC 6962 2.1.1 / 2.1.2 proofs).")


class WitnessOut(Schema):
    name: str
    vkey: str


class WitnessList(Schema):
    witnesses: list[WitnessOut]
