from typing import Any

from django.core.management.base import BaseCommand

from record.keys import log_signer


class Command(BaseCommand):
    help = "Print the lottery's log key (its public verifier key), making it first in DEBUG."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(log_signer().verifier.vkey)
