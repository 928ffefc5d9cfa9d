"""Session, authentication and messages middleware, applied only where cookies are used.

Sessions, ``request.user`` and messages serve the cookie-based admin and the human pages
(``pages``: log in, play, my ballots). The API authenticates with Bearer tokens and keeps no
session, so for every other path these layers only cost time: each class below is Django's
own, skipped unless the path is one of those. Security headers, host validation, CSRF and
X-Frame-Options stay on every answer (settings.MIDDLEWARE).
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase

ADMIN_PREFIX = "/admin/"  # config.urls mounts the admin here
# The pages' paths (pages.urls): "/" itself, and these prefixes. None of them is an API path,
# so the API keeps answering without a session; a test holds pages.urls to this list.
PAGE_PREFIXES = (
    "/results", "/register", "/login", "/logout", "/play", "/my/", "/how-it-works",
    "/password-reset", "/account/",
)  # fmt: skip
# Pages matched whole: "/account" as a prefix would take in the API's "/accounts/...".
PAGE_PATHS = ("/", "/account")


def uses_cookies(path: str) -> bool:
    """True for the admin's and the pages' paths: the ones with a session and a user."""
    return path in PAGE_PATHS or path.startswith((ADMIN_PREFIX, *PAGE_PREFIXES))


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


# The public reads a verifier makes: the draws, their ballot lists and proofs, the open days
# and the public record. Any origin may read them (docs/verifying.md: a verifier page that the
# lottery does not serve, opened from disk or hosted elsewhere, reads them from its own origin).
PUBLIC_READ_PREFIXES = ("/draws", "/log/", "/lotteries")
_CORS = {
    "Access-Control-Allow-Origin": "*",
    # What a verifier waits by (429), revalidates by, and reads a range by.
    "Access-Control-Expose-Headers": "Retry-After, ETag, Content-Range",
}
_PREFLIGHT = {
    **_CORS,
    "Access-Control-Allow-Methods": "GET, HEAD",
    "Access-Control-Allow-Headers": "Accept, If-None-Match, Range",
    "Access-Control-Max-Age": "86400",
}


def public_read_cors_middleware(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    """CORS for the public reads, on every answer (errors and 429s too): nothing they return
    depends on a cookie or a token, so ``*`` gives no site more than anyone already has."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        if not request.path_info.startswith(PUBLIC_READ_PREFIXES):
            return get_response(request)
        if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            response: HttpResponseBase = HttpResponse(status=204)
            headers = _PREFLIGHT
        else:
            response, headers = get_response(request), _CORS
        for name, value in headers.items():
            response[name] = value
        return response

    return middleware
