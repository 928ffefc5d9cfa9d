"""One account per canonical username (NFKC + case folding), replacing lower(username).

Existing users get their key from their name. lower() let two names that only case folding
joins ("qσ" / "qς") both exist; the older account keeps the name and a later one gets the
key "<name> duplicate of id N" (its owner logs in with that, password unchanged), printed
here so an operator can rename it.
"""

import unicodedata

from django.db import migrations, models


def canonical(username):
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def fill_username_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set()
    for user in User.objects.order_by("id").only("id", "username").iterator():
        key = canonical(user.username)
        if key in taken:
            # Distinct from any registrable name (they have no spaces); printed for renaming.
            print(f"\n  user {user.id} {user.username!r} clashes with an older account: rename it")
            key = f"{key} duplicate of id {user.id}"
        taken.add(key)
        User.objects.filter(pk=user.pk).update(username_key=key)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.RunPython(fill_username_keys, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.TextField(editable=False, unique=True),
        ),
        migrations.RemoveConstraint(
            model_name="user",
            name="accounts_user_username_ci_unique",
        ),
            migrations.AlterModelOptions(
            name="user",
            options={"verbose_name": "user", "verbose_name_plural": "users"},
        ),
    ]
