"""Whether a user's address is confirmed (accounts.services.email_confirm).

Existing addresses count as confirmed: their owners typed them, winner emails have gone to
them, and marking them unconfirmed would stop those emails without a word until each person
asked for a link.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_username_canonical_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_confirmed",
            field=models.BooleanField(default=True),
        ),
    ]
