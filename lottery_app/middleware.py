"""Session, authentication and messages middleware, applied only where cookies are used.

Sessions, ``request.user`` and messages serve the cookie-based admin and the human pages
(``pages``: log in, play, my ballots). The API authenticates with Bearer tokens and keeps no
session, so for every other path these layers only cost time: each class below is Django's
own, skipped unless the path is one of those. Security headers, host validation, CSRF and
X-Frame-Options stay on every answer (settings.MIDDLEWARE).
"""

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponseBase

ADMIN_PREFIX = "/admin/"  # lottery_app.urls mounts the admin here
# The pages' paths (pages.urls): "/" itself, and these prefixes. None of them is an API path,
# so the API keeps answering without a session; a test holds pages.urls to this list.
PAGE_PREFIXES = ("/results", "/register", "/login", "/logout", "/play", "/my/")


def uses_cookies(path: str) -> bool:
    """True for the admin's and the pages' paths: the ones with a session and a user."""
    return path == "/" or path.startswith((ADMIN_PREFIX, *PAGE_PREFIXES))


class CookiePathsOnlyMixin:
    get_response: Any

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if uses_cookies(request.path_info):
            return super().__call__(request)  # type: ignore[misc]
        return self.get_response(request)


class CookieSessionMiddleware(CookiePathsOnlyMixin, SessionMiddleware):
    pass


class CookieAuthenticationMiddleware(CookiePathsOnlyMixin, AuthenticationMiddleware):
    pass


class CookieMessageMiddleware(CookiePathsOnlyMixin, MessageMiddleware):
    pass
