from django.db import models

from ballots.models import Ballot, Lottery


class Draw(models.Model):
    """The result of one lottery day: at most one per day (the one-to-one is unique).

    Made in two steps (draws.services.lottery_draw): at the close the day's ballot count and
    Merkle root are fixed and published (``drawing``); then the delay function runs and the
    winner is committed with the chain link (``drawn``). Everything needed to check it is
    public (docs/draw-rules.md).
    """

    class State(models.TextChoices):
        DRAWING = "drawing"  # closed: count and root published, the delay function running
        DRAWN = "drawn"

    lottery = models.OneToOneField(Lottery, on_delete=models.PROTECT, related_name="draw")
    rule = models.CharField(max_length=32, choices=Lottery.Rule.choices)
    state = models.CharField(max_length=7, choices=State.choices, default=State.DRAWN)
    # Null when the day closed with no ballots.
    winning_ballot = models.OneToOneField(
        Ballot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ballot_count = models.PositiveIntegerField()
    closed_at = models.DateTimeField(null=True)  # null for draws made before the two steps
    drawn_at = models.DateTimeField(null=True)
    merkle_root = models.CharField(max_length=64, help_text="hex SHA-256 (draws.merkle)")
    winning_index = models.PositiveIntegerField(null=True, blank=True)
    # (first ballot id, root) of each CHUNK_SIZE-leaf chunk, 16 + 32 bytes each, in order:
    # a proof recomputes one chunk instead of the day.
    chunks = models.BinaryField(default=b"", editable=False)
    # The public-randomness value mixed into the winner rule, when a beacon is configured.
    beacon_round = models.PositiveBigIntegerField(null=True, blank=True)
    beacon_randomness = models.CharField(max_length=128, blank=True, default="")
    beacon_signature = models.CharField(max_length=192, blank=True, default="")  # hex, BLS
    # The delay function (rule unicorn-pietrzak-rsa2048): the day's published delay, y, and
    # Pietrzak's proof (delay_log2 group elements of 256 bytes each).
    vdf_delay_log2 = models.PositiveSmallIntegerField(null=True, blank=True)
    vdf_output = models.CharField(max_length=512, blank=True, default="")
    vdf_proof = models.BinaryField(default=b"", editable=False)
    # Until when a worker holds the right to compute the delay function (renewed while it
    # runs): a second worker waits, a dead one's claim lapses and the sweep takes over.
    computing_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The chain: each drawn day links to the draw before it, in the order they were drawn.
    height = models.PositiveIntegerField(null=True, blank=True, unique=True)
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next"
    )
    record_hash = models.CharField(max_length=64, blank=True, default="")

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
