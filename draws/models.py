from django.db import models

from ballots.models import Ballot, Lottery


class Draw(models.Model):
    """The result of one lottery day: at most one per day (the one-to-one is unique).

    Everything needed to check it is public: the day's seed (revealed once drawn), the
    Merkle root of its ballot ids, and the index the winner rule derives from them.
    """

    lottery = models.OneToOneField(Lottery, on_delete=models.PROTECT, related_name="draw")
    # Null when the day closed with no ballots.
    winning_ballot = models.OneToOneField(
        Ballot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ballot_count = models.PositiveIntegerField()
    drawn_at = models.DateTimeField()
    merkle_root = models.CharField(max_length=64, help_text="hex SHA-256 (draws.merkle)")
    winning_index = models.PositiveIntegerField(null=True, blank=True)
    # (first ballot id, root) of each CHUNK_SIZE-leaf chunk, 16 + 32 bytes each, in order:
    # a proof recomputes one chunk instead of the day.
    chunks = models.BinaryField(default=b"", editable=False)
    # The public-randomness value mixed into the winner rule, when a beacon is configured.
    beacon_round = models.PositiveBigIntegerField(null=True, blank=True)
    beacon_randomness = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["-lottery__date"]

    def __str__(self) -> str:
        return f"Draw of {self.lottery.date.isoformat()}"
