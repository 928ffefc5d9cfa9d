"""The HTTP side of the domain's errors (their statuses), JSON answers for what Django itself
refuses, and small view helpers."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from common.errors import (
    ApplicationError,
    Conflict,
    DependencyUnavailable,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)


class UnsupportedMediaType(ApplicationError):
    """A body in a format the API does not read (it reads application/json)."""


# The one table from the domain's errors to statuses; an error of none of these kinds is a
# plain 400. The most specific kind comes first where one derives from another.
_STATUS_OF_ERROR: tuple[tuple[type[ApplicationError], int], ...] = (
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (UnsupportedMediaType, 415),
    (InvalidInput, 422),
    (RateLimited, 429),
    (DependencyUnavailable, 503),
)


def error_status(error: ApplicationError) -> int:
    for kind, status in _STATUS_OF_ERROR:
        if isinstance(error, kind):
            return status
    return 400


def error_headers(error: ApplicationError) -> dict[str, str]:
    """Retry-After for the errors that say when to come back."""
    if isinstance(error, RateLimited | DependencyUnavailable) and error.retry_after is not None:
        return {"Retry-After": str(error.retry_after)}
    return {}


def json_error(status: int, detail: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def safe_methods_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only, anything else a JSON 405 (for /docs and /openapi.json)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return json_error(405, "Method not allowed.", Allow="GET, HEAD")
        return view(request, *args, **kwargs)

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # a POST gets a 405, not a 403
    return wrapper


def no_store(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Tell browsers and proxies not to keep the answer (tokens, a user's own data)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    return wrapper
