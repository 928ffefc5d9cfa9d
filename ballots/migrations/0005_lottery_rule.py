from django.db import migrations, models

import ballots.models


class Migration(migrations.Migration):
    """Days that exist already published the hmac-sha256 rule (their seed commitment): they
    keep it. Days created from now on publish the delay-function rule and its delay."""

    dependencies = [("ballots", "0004_lottery_seed_commitment")]

    operations = [
        migrations.AddField(
            model_name="lottery",
            name="rule",
            field=models.CharField(
                choices=[
                    ("unicorn-pietrzak-rsa2048", "Unicorn"),
                    ("hmac-sha256", "Hmac"),
                ],
                default="hmac-sha256",
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="lottery",
            name="rule",
            field=models.CharField(
                choices=[
                    ("unicorn-pietrzak-rsa2048", "Unicorn"),
                    ("hmac-sha256", "Hmac"),
                ],
                default="unicorn-pietrzak-rsa2048",
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="lottery",
            name="vdf_delay_log2",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AlterField(
            model_name="lottery",
            name="vdf_delay_log2",
            field=models.PositiveSmallIntegerField(
                default=ballots.models.vdf_delay_default, null=True
            ),
        ),
    ]
