"""Deleting an account unlinks its ballots instead of being refused (accounts.services.user_delete).

A ballot's user becomes nullable (SET_NULL): the ballot stays in its day's draw, its count and
Merkle root unchanged, with no link to the person. The account's Idempotency-Keys go with it
(CASCADE). Both on_delete rules are Django's, so the database's constraints do not change;
dropping NOT NULL is a catalogue change on PostgreSQL, no table rewrite.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ballots", "0006_lottery_beacon_delay_seconds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="ballot",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="ballots",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="ballotidempotencykey",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
