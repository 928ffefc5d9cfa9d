"""JSON answers for what Django itself refuses outside the API's views (handler400 etc.)."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.services import login_attempt_charge
from lottery_app.errors import DependencyUnavailable, TooManyRequests
from lottery_app.http import json_error
from lottery_app.ratelimit import address_limit_charge


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    # e.g. DisallowedHost: a Host header not in ALLOWED_HOSTS.
    return json_error(400, "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception) -> JsonResponse:
    return json_error(403, "Forbidden.")


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return json_error(404, "Not found.")


def debug_not_found_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """With DEBUG on, a path that matches no route answers the JSON 404 of production.

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


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    # settings.CSRF_FAILURE_VIEW: Django's own is an HTML page (only the admin's forms and
    # their cookie are subject to CSRF; the API's views are exempt).
    return json_error(403, f"CSRF verification failed: {reason or 'refused'}")


def server_error(request: HttpRequest) -> JsonResponse:
    return json_error(500, "Internal server error.")


def admin_login(request: HttpRequest) -> HttpResponse:
    """Django admin's login, with /token/pair's limits on password attempts."""
    if request.method == "POST":
        try:
            address_limit_charge(request=request)  # the budget of register and /token/pair
            login_attempt_charge(username=request.POST.get("username", ""))
        except (TooManyRequests, DependencyUnavailable) as exc:
            return json_error(exc.status_code, exc.detail, Retry_After=str(exc.retry_after))
    return admin.site.login(request)
