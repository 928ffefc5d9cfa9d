from typing import Any

from django.http import HttpRequest


class AuthenticatedRequest(HttpRequest):
    """What Ninja hands an endpoint with ``auth=``: the request plus what auth returned."""

    auth: Any
