from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

# An attacker's squaring with GMP (docs/scaling.md: 2**27 in 2.7 min).
ATTACKER_SECONDS_PER_SQUARING = 1.2e-6


class RecordConfig(AppConfig):
    name = "record"
    verbose_name = "public record"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register(close_witness_bound_check, checks.Tags.security)
        checks.register(witness_keys_check)


def witness_keys_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """A witness key that cannot be read would leave every checkpoint uncosigned."""
    from record.keys import witnesses

    try:
        witnesses()
    except (OSError, ValueError) as exc:
        return [checks.Error(f"LOTTERY_WITNESS_KEYS: {exc}", id="record.E001")]
    return []


def close_witness_bound_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """A close cosigned later than half the delay's time at an attacker's speed could be ground."""
    bound = settings.LOTTERY_CLOSE_WITNESS_SECONDS
    delay = (1 << settings.LOTTERY_VDF_DELAY_LOG2) * ATTACKER_SECONDS_PER_SQUARING
    if settings.DEBUG or bound * 2 <= delay:
        return []
    return [
        checks.Warning(
            f"LOTTERY_CLOSE_WITNESS_SECONDS={bound} is not well below the {delay:.0f} s that "
            f"2**{settings.LOTTERY_VDF_DELAY_LOG2} squarings take an attacker: a close held back "
            "that long could be ground.",
            hint="Lower LOTTERY_CLOSE_WITNESS_SECONDS or raise LOTTERY_VDF_DELAY_LOG2.",
            id="record.W001",
        )
    ]
