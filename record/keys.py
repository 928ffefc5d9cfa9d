"""The lottery's log key and the witnesses it asks, as configured (settings, section "public
record"). Loaded once per process: every checkpoint is signed with the same key."""

import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

from record.notes import COSIGNATURE_V1, Signer, Verifier, signer_load, vkey_parse


@cache
def _signer(path: str, origin: str, make: bool) -> Signer:
    # The embedded mode names its own log when none is set: a name no other install shares.
    create_as = (origin or f"lottery.invalid/demo-{secrets.token_hex(4)}") if make else None
    return signer_load(Path(path), origin=origin, create_as=create_as)


def log_signer() -> Signer:
    return _signer(
        str(settings.LOTTERY_LOG_KEY_FILE),
        settings.LOTTERY_LOG_ORIGIN,
        settings.LOTTERY_LOG_KEY_MAKE,
    )


@dataclass(frozen=True)
class Witness:
    url: str  # its prefix for /add-checkpoint
    key: Verifier


def witnesses() -> list[Witness]:
    return [
        Witness(url=url.rstrip("/"), key=vkey_parse(_vkey(vkey), key_type=COSIGNATURE_V1))
        for url, vkey in zip(
            settings.LOTTERY_WITNESS_URLS, settings.LOTTERY_WITNESS_KEYS, strict=True
        )
    ]


def _vkey(configured: str) -> str:
    """A vkey, or "@FILE": the vkey a witness wrote to FILE (compose's witness service)."""
    if configured.startswith("@"):
        return Path(configured[1:]).read_text().strip()
    return configured
