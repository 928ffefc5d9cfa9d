from django.db import models

from ballots.models import Ballot, Lottery


class Draw(models.Model):
    """The result of one lottery day: at most one per day (the one-to-one is unique)."""

    lottery = models.OneToOneField(Lottery, on_delete=models.PROTECT, related_name="draw")
    # Null when the day closed with no ballots.
    winning_ballot = models.OneToOneField(
        Ballot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ballot_count = models.PositiveIntegerField()
    drawn_at = models.DateTimeField()

    class Meta:
        ordering = ["-lottery__date"]

    def __str__(self) -> str:
        return f"Draw of {self.lottery.date.isoformat()}"
