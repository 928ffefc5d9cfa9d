"""The public record's reads (docs/draw-rules.md, 6): the key, checkpoints, entries, proofs."""

import base64

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from common.schemas import errors
from record import selectors
from record.schemas import (
    CheckpointFilters,
    CheckpointPage,
    ConsistencyFilters,
    EntryFilters,
    EntryPage,
    InclusionFilters,
    ProofOut,
    WitnessList,
)

router = Router(tags=["record"])

_TEXT = {200: {"content": {"text/plain": {"schema": {"type": "string"}}}}}


def _text(body: str, cache: str = "no-cache") -> HttpResponse:
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = cache
    return response


@router.get(
    "/key",
    response={200: str},
    summary="The lottery's log key",
    openapi_extra={"responses": _TEXT},
)
def log_key(request: HttpRequest) -> HttpResponse:
    """The verifier key (C2SP signed-note vkey) that signs every checkpoint, one line of text.
    Pin it once, from a source other than this server, and give it to the verifier."""
    return _text(selectors.log_vkey() + "\n", "public, max-age=3600")


@router.get(
    "/checkpoint",
    response={200: str, **errors(404, 503)},
    summary="The newest checkpoint",
    openapi_extra={"responses": _TEXT},
)
def log_checkpoint(request: HttpRequest) -> HttpResponse:
    """The newest signed checkpoint (C2SP tlog-checkpoint) with every cosignature held for it.

    Errors: 404 while the log is empty; 503 (with `Retry-After`) while the database is down.
    """
    return _text(selectors.checkpoint_latest())


@router.get(
    "/checkpoints/{size}",
    response={200: str, **errors(404, 422, 503)},
    summary="The checkpoint of one size",
    openapi_extra={"responses": _TEXT},
)
def log_checkpoint_at(request: HttpRequest, size: int) -> HttpResponse:
    """The checkpoint signed when the log reached `size`, with its cosignatures so far.

    Errors: 404 for a size the log never had; 422 for a size that is not a number; 503 (with
    `Retry-After`) while the database is down.
    """
    return _text(selectors.checkpoint_at(size=size))


@router.get(
    "/checkpoints",
    response={200: CheckpointPage, **errors(422, 503)},
    summary="Cosigned checkpoints",
)
def log_checkpoints(request: HttpRequest, filters: Query[CheckpointFilters]) -> object:
    """Every checkpoint a witness cosigned, smallest first: a verifier finds the first one
    cosigned after an entry, and its witness's time.

    Errors: 422 for an `after` or `limit` out of range; 503 (with `Retry-After`) while the
    database is down.
    """
    items, next_after = selectors.checkpoints_cosigned(after=filters.after, limit=filters.limit)
    return {"items": items, "next_after": next_after}


@router.get("/entries", response={200: EntryPage, **errors(422, 503)}, summary="The log's entries")
def log_entries(request: HttpRequest, filters: Query[EntryFilters]) -> object:
    """Entries from `start`, in order: a verifier reads them all up to a checkpoint's size and
    recomputes its root.

    Errors: 422 for a `start` or `limit` out of range; 503 (with `Retry-After`) while the
    database is down.
    """
    entries, next_start = selectors.entries_page(start=filters.start, limit=filters.limit)
    return {"start": filters.start, "entries": entries, "next_start": next_start}


def _b64(path: list[bytes]) -> dict[str, list[str]]:
    return {"path": [base64.b64encode(h).decode() for h in path]}


@router.get(
    "/proof/inclusion",
    response={200: ProofOut, **errors(404, 422, 503)},
    summary="An entry's inclusion proof",
)
def log_inclusion(request: HttpRequest, filters: Query[InclusionFilters]) -> object:
    """The RFC 6962 audit path of entry `index` in the tree of `size` entries.

    Errors: 404 unless 0 <= index < size <= the log's size; 422 for a value that is not a
    number; 503 (with `Retry-After`) while the database is down.
    """
    return _b64(selectors.inclusion_proof(index=filters.index, size=filters.size))


@router.get(
    "/proof/consistency",
    response={200: ProofOut, **errors(404, 422, 503)},
    summary="A consistency proof",
)
def log_consistency(request: HttpRequest, filters: Query[ConsistencyFilters]) -> object:
    """The RFC 6962 proof that the tree of `old` entries is a prefix of the tree of `new`.

    Errors: 404 unless 0 <= old <= new <= the log's size; 422 for a value that is not a
    number; 503 (with `Retry-After`) while the database is down.
    """
    return _b64(selectors.consistency_proof(old=filters.old, new=filters.new))


@router.get("/witnesses", response={200: WitnessList, **errors(503)}, summary="The witnesses")
def log_witnesses(request: HttpRequest) -> object:
    """The keys of the witnesses this lottery asks to cosign. For information only: a verifier
    trusts the witness keys a person pinned, not this list.

    Errors: 503 (with `Retry-After`) while the database is down.
    """
    return {"witnesses": selectors.log_witness_keys()}
