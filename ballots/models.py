import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from ballots.calendar import closes_at


def seed_new() -> bytes:
    return secrets.token_bytes(32)


def seed_commit(seed: bytes) -> str:
    """The public commitment to a day's secret seed: SHA-256 of its 32 bytes, in hex."""
    return hashlib.sha256(seed).hexdigest()


class SeedCommitmentField(models.CharField):
    """The commitment of the row's ``seed``, filled when the row is inserted.

    Like ``auto_now``, it is computed in ``pre_save``, which Django calls for ``save()`` and
    ``bulk_create()`` alike, so no code path can create a day without its commitment.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        if add and not getattr(model_instance, self.attname):
            seed = bytes(model_instance.seed)  # type: ignore[attr-defined]
            setattr(model_instance, self.attname, seed_commit(seed))
        return str(getattr(model_instance, self.attname))


def vdf_delay_default() -> int:
    return settings.LOTTERY_VDF_DELAY_LOG2


def beacon_delay_default() -> int | None:
    """The beacon is part of a day's policy only when one is configured as the day is made."""
    return settings.LOTTERY_BEACON_DELAY_SECONDS if settings.LOTTERY_BEACON_URL else None


class Lottery(models.Model):
    """One lottery day. Its state moves open -> closed -> drawn and never back.

    Its draw ``rule`` and the rule's parameters (the delay) are its published policy, fixed
    when the row is created, a week before the day opens (docs/draw-rules.md). Days of the
    older ``hmac-sha256`` rule draw with their secret ``seed``, of which only
    ``seed_commitment`` is shown until the day is drawn.
    """

    class State(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"
        DRAWN = "drawn"

    class Rule(models.TextChoices):
        # draws.vdf: a delay function over the root. The label is the one migrations recorded.
        DELAY_FUNCTION = "unicorn-pietrzak-rsa2048", "Unicorn"
        HMAC = "hmac-sha256"  # days created before migration 0005 brought the rule above

    date = models.DateField(unique=True)
    state = models.CharField(max_length=6, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    seed = models.BinaryField(max_length=32, default=seed_new, editable=False)
    seed_commitment = SeedCommitmentField()
    rule = models.CharField(max_length=32, choices=Rule.choices, default=Rule.DELAY_FUNCTION)
    # log2 of the delay function's squarings; null for the hmac-sha256 rule.
    vdf_delay_log2 = models.PositiveSmallIntegerField(null=True, default=vdf_delay_default)
    # The beacon round mixed into the winner: the first one published this many seconds
    # after the close (draws.beacon); null when the day's policy has no beacon.
    beacon_delay_seconds = models.PositiveIntegerField(null=True, default=beacon_delay_default)

    class Meta:
        verbose_name_plural = "lotteries"
        ordering = ["-date"]
        indexes = [
            # The sweep's "anything undrawn?" (draws.selectors.lottery_dates_undrawn): only
            # undrawn days are in it, so it stays a few rows however many years are drawn.
            models.Index(
                fields=["date"], condition=~models.Q(state="drawn"), name="lottery_undrawn_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Lottery {self.date.isoformat()}"

    @property
    def closes_at(self) -> datetime:
        return closes_at(self.date)


class BallotStatus(models.TextChoices):
    PENDING = "pending"  # its day has not been drawn yet
    WON = "won"
    LOST = "lost"


class Ballot(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # An accepted ballot is never lost: deleting its owner's account only unlinks it (null),
    # and it stays in its day's draw, a deleted account's ballot that may still win.
    # db_index=False: the composite indexes below lead with these columns.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="ballots",
        db_index=False,
    )
    lottery = models.ForeignKey(
        Lottery, on_delete=models.PROTECT, related_name="ballots", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            # The draw counts a day's ballots and picks the k-th in id order: index-only scans.
            models.Index(fields=["lottery", "id"], name="ballot_lottery_id_idx"),
            # "My ballots, newest first".
            models.Index(fields=["user", "-created_at", "-id"], name="ballot_user_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"Ballot {self.id}"


class BallotIdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` on POST /ballots: repeating it returns the same ballot.

    The unique (user, key) constraint makes a repeat race-safe: of two requests with the
    same key, the second's insert waits for the first and then fails, and it answers with
    the first one's ballot.
    """

    # CASCADE: a deleted account's keys go with it (its ballots stay, unlinked).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    key = models.CharField(max_length=255)
    # What the request asked for (its date, "" for today): a repeat must ask for the same.
    request = models.CharField(max_length=32)
    ballot = models.OneToOneField(Ballot, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="ballot_idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"Idempotency-Key {self.key!r}"
