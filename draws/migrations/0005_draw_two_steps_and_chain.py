from django.db import migrations, models
from django.db.models.deletion import PROTECT

from draws.chain import record_hash

RULES = [("unicorn-pietrzak-rsa2048", "Unicorn"), ("hmac-sha256", "Hmac")]


def link_existing_draws(apps, schema_editor):
    """Chain the draws made so far (all hmac-sha256), in the order of their days."""
    Draw = apps.get_model("draws", "Draw")
    previous = None
    for height, draw in enumerate(Draw.objects.select_related("lottery").order_by("lottery__date")):
        draw.height = height
        draw.previous = previous
        draw.record_hash = record_hash(
            rule=draw.rule,
            lottery_date=draw.lottery.date,
            ballot_count=draw.ballot_count,
            merkle_root=draw.merkle_root,
            winning_index=draw.winning_index,
            winning_ballot_id=draw.winning_ballot_id,
            seed=bytes(draw.lottery.seed).hex(),
            vdf_delay_log2=None,
            vdf_output="",
            beacon_round=draw.beacon_round,
            beacon_randomness=draw.beacon_randomness,
            previous_record_hash=previous.record_hash if previous else "",
        )
        draw.save(update_fields=["height", "previous", "record_hash"])
        previous = draw


class Migration(migrations.Migration):
    dependencies = [("draws", "0004_draw_drawn_at_index"), ("ballots", "0005_lottery_rule")]

    operations = [
        migrations.AddField(
            model_name="draw",
            name="rule",
            field=models.CharField(choices=RULES, default="hmac-sha256", max_length=32),
        ),
        migrations.AlterField(
            model_name="draw",
            name="rule",
            field=models.CharField(choices=RULES, max_length=32),
        ),
        migrations.AddField(
            model_name="draw",
            name="state",
            field=models.CharField(
                choices=[("drawing", "Drawing"), ("drawn", "Drawn")], default="drawn", max_length=7
            ),
        ),
        migrations.AddField(
            model_name="draw", name="closed_at", field=models.DateTimeField(null=True)
        ),
        migrations.AlterField(
            model_name="draw", name="drawn_at", field=models.DateTimeField(null=True)
        ),
        migrations.AddField(
            model_name="draw",
            name="vdf_delay_log2",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="draw",
            name="vdf_output",
            field=models.CharField(blank=True, default="", max_length=512),
        ),
        migrations.AddField(
            model_name="draw",
            name="vdf_proof",
            field=models.BinaryField(default=b"", editable=False),
        ),
        migrations.AddField(
            model_name="draw",
            name="computing_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="draw",
            name="height",
            field=models.PositiveIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="draw",
            name="previous",
            field=models.OneToOneField(
                blank=True, null=True, on_delete=PROTECT, related_name="next", to="draws.draw"
            ),
        ),
        migrations.AddField(
            model_name="draw",
            name="record_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(link_existing_draws, migrations.RunPython.noop),
    ]
