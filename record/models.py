from django.db import models


class Entry(models.Model):
    """One event of the lottery, appended to its log for good (docs/draw-rules.md, 6).

    ``index`` is the entry's position in the RFC 6962 tree; the text is exactly the bytes
    hashed into it. At most one entry of each kind per date: the unique constraint makes a
    second policy, close or draw of a day impossible, not just unlikely.
    """

    class Kind(models.TextChoices):
        POLICY = "policy"
        CLOSE = "close"
        DRAW = "draw"

    index = models.PositiveBigIntegerField(primary_key=True)
    kind = models.CharField(max_length=6, choices=Kind.choices)
    date = models.DateField()
    text = models.TextField()
    leaf_hash = models.BinaryField(max_length=32)
    logged_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(fields=["kind", "date"], name="record_entry_one_per_day")
        ]

    def __str__(self) -> str:
        return f"Entry {self.index}: {self.kind} of {self.date.isoformat()}"


class Head(models.Model):
    """The log's size: one row, updated by every append, which serialises appends.

    An ``UPDATE`` of this row is the first statement of an append: on PostgreSQL it holds the
    row lock until the commit, on SQLite it takes the database's write lock, so two appends
    can never both claim the same index.
    """

    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Log head at size {self.size}"


class Checkpoint(models.Model):
    """The log's signed checkpoint at ``size``: made in the transaction of that size's entry."""

    size = models.PositiveBigIntegerField(primary_key=True)
    root = models.BinaryField(max_length=32)
    # The C2SP signed note: body, blank line, the lottery's signature line.
    note = models.TextField()
    signed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Checkpoint {self.size}"


class Cosignature(models.Model):
    """A witness's cosignature of one checkpoint: its note signature line, as it sent it."""

    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="cosignatures"
    )
    witness = models.CharField(max_length=255)  # the witness key's name
    timestamp = models.PositiveBigIntegerField()  # the witness's clock, POSIX seconds
    line = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "witness"], name="record_cosignature_one_per_witness"
            )
        ]

    def __str__(self) -> str:
        return f"{self.witness} cosigned {self.checkpoint_id}"


class WitnessProgress(models.Model):
    """The size each witness last cosigned: the ``old`` size of the next request to it."""

    witness = models.CharField(max_length=255, unique=True)
    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.witness} at {self.size}"
