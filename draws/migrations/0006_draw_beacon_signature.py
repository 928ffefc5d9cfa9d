from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("draws", "0005_draw_two_steps_and_chain")]

    operations = [
        migrations.AddField(
            model_name="draw",
            name="beacon_signature",
            field=models.CharField(blank=True, default="", max_length=192),
        ),
    ]
