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
