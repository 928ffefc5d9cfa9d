from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import pre_delete


class DrawsConfig(AppConfig):
    name = "draws"

    def ready(self) -> None:
        # Accounts sit below draws: a deleted account cannot reach up to its notifications.
        pre_delete.connect(_forget_winner_addresses, sender=settings.AUTH_USER_MODEL)


def _forget_winner_addresses(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A deleted account's address leaves the record of the winner emails sent to it: its
    ballots stay in their draws, with no link to the person (issue 24)."""
    from draws.models import WinnerNotification

    WinnerNotification.objects.filter(draw__winning_ballot__user_id=instance.pk).update(email="")
