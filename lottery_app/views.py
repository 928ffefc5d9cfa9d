"""JSON answers for what Django itself refuses outside the API's views (handler400 etc.)."""

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
