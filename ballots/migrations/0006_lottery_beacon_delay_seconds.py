from django.db import migrations, models

import ballots.models


class Migration(migrations.Migration):
    """Existing days published no beacon in their policy; new ones do when one is set."""

    dependencies = [("ballots", "0005_lottery_rule")]

    operations = [
        migrations.AddField(
            model_name="lottery",
            name="beacon_delay_seconds",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.AlterField(
            model_name="lottery",
            name="beacon_delay_seconds",
            field=models.PositiveIntegerField(
                default=ballots.models.beacon_delay_default, null=True
            ),
        ),
    ]
