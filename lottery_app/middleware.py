"""Middleware that only the admin needs, applied to the admin's paths only.

Sessions, ``request.user`` and messages serve the cookie-based admin. The API authenticates
with Bearer tokens and keeps no session, so for every other path these layers only cost
time: each class below is Django's own, skipped unless the path is under ADMIN_PREFIX.
Security headers, host validation, CSRF and X-Frame-Options stay on every answer
(settings.MIDDLEWARE).
"""

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponseBase

ADMIN_PREFIX = "/admin/"  # lottery_app.urls mounts the admin here


class AdminOnlyMixin:
    get_response: Any

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(ADMIN_PREFIX):
            return super().__call__(request)  # type: ignore[misc]
        return self.get_response(request)


class AdminSessionMiddleware(AdminOnlyMixin, SessionMiddleware):
    pass


class AdminAuthenticationMiddleware(AdminOnlyMixin, AuthenticationMiddleware):
    pass


class AdminMessageMiddleware(AdminOnlyMixin, MessageMiddleware):
    pass
