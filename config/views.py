"""What Django itself refuses outside the API's views (handler400 etc.): an HTML page in the
site's layout on a browser's path, the API's JSON ``{"detail": ...}`` everywhere else.

A browser's path is a page's or the admin's (``uses_cookies``), or a path that matches no
route outside the API's own prefixes asked for by a browser (``Accept: text/html``): a
mistyped page address. The API's paths answer exactly as before.
"""

import logging
import sys
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.contrib import admin
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.urls import URLResolver, get_resolver
from django.utils.html import escape
from redis.exceptions import RedisError

from accounts.services import login_attempt_charge
from common.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    DEPENDENCY_RETRY_AFTER_SECONDS,
    DependencyUnavailable,
    RateLimited,
)
from common.http import json_error
from common.middleware import uses_cookies
from common.ratelimit import address_limit_charge

logger = logging.getLogger(__name__)

ERROR_TEMPLATE = "pages/error.html"
NOT_FOUND_TEMPLATE = "pages/not_found.html"
# The pages' own security policy (pages.views.CONTENT_SECURITY_POLICY): the error pages
# load only the stylesheet and the icon.
ERROR_PAGE_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


@cache
def _api_segments() -> frozenset[str]:
    """The first path segments the API answers under (accounts, docs, draws, ...)."""
    from config.api import api  # the urlconf's own API; imported late, as urls.py is

    segments = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == api.urls_namespace:
            for pattern in entry.url_patterns:
                segments.add(str(pattern.pattern).split("/", 1)[0])
    return frozenset(segments - {""})


def browser_path(request: HttpRequest) -> bool:
    """Whether an error on this request is a person's to read: an HTML page, not JSON."""
    path = request.path_info
    if uses_cookies(path):
        return True
    if path.lstrip("/").split("/", 1)[0] in _api_segments():
        return False
    # Django 5.2: the client's most preferred of the two; no Accept header prefers JSON.
    return request.get_preferred_type(["application/json", "text/html"]) == "text/html"


def error_page(
    request: HttpRequest,
    status: int,
    title: str,
    message: str,
    *,
    retry_after: int | None = None,
    template: str = ERROR_TEMPLATE,
    with_request: bool = True,
) -> HttpResponse:
    """The error in the site's layout (pages/base.html).

    ``with_request=False`` renders without the context processors, whose user and messages
    read the session and the database: the page for a database that is down or a server
    error needs neither. If even that fails, a static page says the same.
    """
    context = {
        "title": title,
        "detail": message,
        "status": status,
        "retry_after": retry_after,
        "lottery_zone": settings.TIME_ZONE,
    }
    content: str
    try:
        content = render_to_string(template, context, request=request if with_request else None)
    except Exception:  # the last answer there is: it must not fail in turn
        logger.exception("Could not render the %s page", status)
        content = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
            f" · Daily Lottery</title></head><body><main><h1>{escape(title)}</h1>"
            f'<p>{escape(message)}</p><p><a href="/">Daily Lottery</a></p></main></body></html>'
        )
    response = HttpResponse(content, status=status, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = ERROR_PAGE_POLICY
    response["Cache-Control"] = "no-store"
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    if not uses_cookies(request.path_info):
        response["Vary"] = "Accept"  # the same path answers JSON to a client
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # e.g. DisallowedHost (a Host header not in ALLOWED_HOSTS), or too many form fields.
    if browser_path(request):
        return error_page(
            request,
            400,
            "Bad request",
            "The browser sent something this site cannot read. Go back and try again.",
            with_request=False,  # the request itself may be what is wrong (its Host)
        )
    return json_error(400, "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if browser_path(request):
        return error_page(request, 403, "Forbidden", "This page is not yours to see.")
    return json_error(403, "Forbidden.")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if browser_path(request):
        detail = "There is no page at this address. Check it, or start again from below."
        return error_page(
            request, 404, "Not found", detail, template=NOT_FOUND_TEMPLATE, with_request=True
        )
    return json_error(404, "Not found.")


def debug_not_found_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """With DEBUG on, a path that matches no route answers the 404 of production.

    Django serves its HTML debug page instead of handler404 while DEBUG is on, so a client
    developed against `make run` saw a different error than in production. Answered here:
    a request that resolved to no view, and the API's root (Ninja's view for ``/`` raises
    Http404 outside the API's handlers). A view's own 404 (the admin's, a human page's)
    stays as that view made it.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if settings.DEBUG and response.status_code == 404:
            match = request.resolver_match
            if match is None or match.url_name == "api-root":
                return not_found(request, Exception())
        return response

    return middleware


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # settings.CSRF_FAILURE_VIEW. Only the pages' and the admin's forms are subject to CSRF
    # (the API's views are exempt): a person, who needs to know what to do next.
    if browser_path(request):
        return error_page(
            request,
            403,
            "This form could not be sent",
            "The form came without the security token this site gave it: its page was "
            "open for a long time, was opened before you logged in or out, or your browser "
            "blocks this site's cookies. Go back, reload the page and send the form again.",
        )
    return json_error(403, f"CSRF verification failed: {reason or 'refused'}")


def _unavailable_page(request: HttpRequest, retry_after: int) -> HttpResponse:
    return error_page(
        request,
        503,
        "Briefly unavailable",
        "A service the lottery needs is not answering for a moment. Try again in "
        f"{retry_after} seconds; if you had sent a form, look afterwards whether it went "
        "through before sending it again.",
        retry_after=retry_after,
        with_request=False,  # the session and the user live in the database that failed
    )


def too_many_page(request: HttpRequest, retry_after: int) -> HttpResponse:
    return error_page(
        request,
        429,
        "Too many attempts",
        f"Too many attempts; try again in {retry_after} seconds.",
        retry_after=retry_after,
        with_request=False,
    )


def page_exception_response(request: HttpRequest, exc: BaseException | None) -> HttpResponse | None:
    """The HTML answer to a transient failure on a browser's path, else None.

    The API answers the same failures with a JSON 503 and Retry-After (config.api).
    """
    if not browser_path(request):
        return None
    if isinstance(exc, RateLimited):
        return too_many_page(request, exc.retry_after)
    if isinstance(exc, DependencyUnavailable):
        return _unavailable_page(request, exc.retry_after or DEPENDENCY_RETRY_AFTER_SECONDS)
    if isinstance(exc, OperationalError | InterfaceError | RedisError):
        logger.warning("Unavailable on %s %s: %r", request.method, request.path, exc)
        return _unavailable_page(request, DATABASE_RETRY_AFTER_SECONDS)
    return None


class PageErrorsMiddleware:
    """A view's transient failure on a browser's path is an HTML 503 or 429, DEBUG or not.

    Without DEBUG, handler500 answers the same; with it, Django would show its debug page
    for a database that is merely down.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return page_exception_response(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while the exception is being handled: a dependency that is down is a 503.
    answer = page_exception_response(request, sys.exception())
    if answer is not None:
        return answer
    if browser_path(request):
        return error_page(
            request,
            500,
            "Something went wrong",
            "The lottery failed to answer this page; the error has been logged for the "
            "people who run it. Try again, or come back later.",
            with_request=False,
        )
    return json_error(500, "Internal server error.")


def admin_login(request: HttpRequest) -> HttpResponse:
    """Django admin's login, with /token/pair's limits on password attempts."""
    if request.method == "POST":
        try:
            address_limit_charge(request=request)  # the budget of register and /token/pair
            login_attempt_charge(username=request.POST.get("username", ""))
        except RateLimited as exc:
            return too_many_page(request, exc.retry_after)
        except DependencyUnavailable as exc:
            return _unavailable_page(request, exc.retry_after or DEPENDENCY_RETRY_AFTER_SECONDS)
    return admin.site.login(request)
