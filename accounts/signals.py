"""The accounts app's signal receivers, connected when the app is ready (AccountsConfig).

Here, at the edge, because they read the request that Django's signals carry; the services
never see one.
"""

import logging
from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.services import login_name_key
from common.ratelimit import client_address

logger = logging.getLogger(__name__)


@receiver(user_login_failed, dispatch_uid="accounts.login_failed_log")
def login_failed_log(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    """One line per wrong password, from every path (authenticate() sends the signal for
    /token/pair, /login and the admin's login alike): the account, the address, the path."""
    name = str(credentials.get("username") or "")
    logger.warning(
        "Failed login for %r from %s on %s",
        login_name_key(name)[:150],  # repr: no newline in the name can forge a log line
        client_address(request) if request is not None else "-",
        request.path if request is not None else "-",
    )
