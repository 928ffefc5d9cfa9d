"""What makes a draw verifiable. Draws made before this have an empty root: not verifiable."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ballots", "0004_lottery_seed_commitment"),
        ("draws", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="draw",
            name="merkle_root",
            field=models.CharField(default="", help_text="hex SHA-256 (draws.merkle)", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="draw",
            name="winning_index",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="draw",
            name="chunks",
            field=models.BinaryField(default=b"", editable=False),
        ),
        migrations.AddField(
            model_name="draw",
            name="beacon_round",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="draw",
            name="beacon_randomness",
            field=models.CharField(blank=True, default="", max_length=128),
        ),
    ]
