from typing import Any

from django.core.management.base import BaseCommand

from accounts.services import user_create_unvalidated

USERNAME = "test_user"
PASSWORD = "pass"  # noqa: S105 - the seed README's documented demo credentials


class Command(BaseCommand):
    help = 'Create (or reset) the demo user "test_user" with password "pass".'

    def handle(self, *args: Any, **options: Any) -> None:
        # The only path that skips the password validators: "pass" is the seed's demo password.
        _, created = user_create_unvalidated(username=USERNAME, password=PASSWORD)
        verb = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(f'{verb} user "{USERNAME}" with password "{PASSWORD}".')
        )
