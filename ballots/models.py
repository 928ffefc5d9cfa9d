import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from ballots.calendar import closes_at


class Lottery(models.Model):
    """One lottery day. Its state moves open -> closed -> drawn and never back."""

    class State(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"
        DRAWN = "drawn"

    date = models.DateField(unique=True)
    state = models.CharField(max_length=6, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "lotteries"
        ordering = ["-date"]

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
    # PROTECT: an accepted ballot is never lost, not even by deleting its owner.
    # db_index=False: the composite indexes below lead with these columns.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
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
