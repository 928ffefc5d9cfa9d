"""Give every lottery day a secret seed and its public SHA-256 commitment.

Days that already exist get a seed of their own each (a column default would give them all
the same one). Their commitment is published only from now on, after their first ballots.
"""

from django.db import migrations, models

import ballots.models


def seed_existing_days(apps, schema_editor):
    Lottery = apps.get_model("ballots", "Lottery")
    for lottery in Lottery.objects.all():
        lottery.seed = ballots.models.seed_new()
        lottery.seed_commitment = ballots.models.seed_commit(lottery.seed)
        lottery.save(update_fields=["seed", "seed_commitment"])


class Migration(migrations.Migration):

    dependencies = [
        ("ballots", "0003_ballot_idempotency_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="lottery",
            name="seed",
            field=models.BinaryField(default=ballots.models.seed_new, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="lottery",
            name="seed_commitment",
            field=ballots.models.SeedCommitmentField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(seed_existing_days, migrations.RunPython.noop),
    ]
