import unicodedata
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


def username_key(username: str) -> str:
    """The canonical form of a username: NFKC, then full case folding, then NFKC again.

    "ALICE", full-width "alice" and "alice" are one key, as are "q" + sigma and "q" + final
    sigma (lower() keeps the two sigmas apart; casefold() does not). Unicode's canonical
    caseless match.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


class CaseInsensitiveUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        # Registering and every login (the API's, the pages', the admin's, through
        # ModelBackend) look up this key.
        key = username_key(username or "")
        if "\x00" in key:  # PostgreSQL refuses NUL in text: no user can have it
            raise self.model.DoesNotExist
        return self.get(username_key=key)


class User(AbstractUser):
    # Derived from username in save(); unique, so one account per canonical name even when
    # two registrations race. Text: case folding can make a 150-character name longer.
    username_key = models.TextField(unique=True, editable=False)
    # Whether ``email`` is proven to be the person's: only then do winner emails and password
    # reset links go to it. True by default: an address an operator set (admin, the demo's
    # and the seed's users) needs no link; where a person types one (registering, changing
    # it) it is stored unconfirmed, or only once its link is opened.
    email_confirmed = models.BooleanField(default=True)

    objects: ClassVar[CaseInsensitiveUserManager] = CaseInsensitiveUserManager()

    def __str__(self) -> str:
        return self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Here rather than in a service: every path that writes a user (register, admin,
        # createsuperuser, create_test_user) must keep the key in step with the name.
        self.username_key = username_key(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(*args, **kwargs)

    @property
    def email_for_mail(self) -> str:
        """The address mail about the account may go to: the confirmed one, else ""."""
        return self.email if self.email_confirmed else ""

    def natural_key(self) -> tuple[Any, ...]:
        return (self.username,)
