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
        # The sweep's look-up of recent draws whose winner was never emailed.
        indexes = [models.Index(fields=["drawn_at"], name="draw_drawn_at_idx")]

    def __str__(self) -> str:
        return f"Draw of {self.lottery.date.isoformat()}"


class WinnerNotification(models.Model):
    """The record of emailing a draw's winner: one per draw, written BEFORE the mail is sent.

    At most once: a delivery of the task first claims the row (creates it, or moves it from
    ``failed`` to ``sending`` with a conditional UPDATE); only the claimant sends. A refused
    or failed SMTP conversation means the server did not take the mail, so the row goes to
    ``failed`` and a retry claims it again. A worker that dies mid-send leaves ``sending``:
    that mail is never sent twice, and the row shows an operator which one to check.
    """

    class State(models.TextChoices):
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"  # the last attempt failed; a retry may claim it

    draw = models.OneToOneField(Draw, on_delete=models.PROTECT, related_name="notification")
    email = models.EmailField()
    state = models.CharField(max_length=7, choices=State.choices)
    attempts = models.PositiveSmallIntegerField(default=1)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Winner notification for {self.draw_id}: {self.state}"
