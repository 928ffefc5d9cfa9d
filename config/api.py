"""The one NinjaAPI: routers of every app, and the handlers that turn errors into answers."""

import logging
from collections.abc import Callable
from functools import cached_property
from typing import Any

import orjson
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.types import DictStrAny
from ninja_extra.exceptions import APIException

from accounts.api import router as accounts_router
from accounts.api import token_router
from ballots.api import lottery_router
from ballots.api import router as ballots_router
from common.errors import DATABASE_RETRY_AFTER_SECONDS, ApplicationError
from common.http import (
    UnsupportedMediaType,
    error_headers,
    error_status,
    json_error,
    safe_methods_only,
)
from common.metrics import MetricsAuth, metrics_exposition
from common.openapi import openapi_tidy
from common.renderers import ORJSONRenderer
from common.schemas import errors
from config.health import router as health_router
from draws.api import router as draws_router
from record.api import router as record_router

logger = logging.getLogger(__name__)


class JSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> DictStrAny:
        # A form or text/plain POST is a "simple" request that any web page can make a
        # browser send without asking (login CSRF); application/json is not.
        if request.content_type != "application/json":
            raise UnsupportedMediaType("Send the body as application/json.")
        return orjson.loads(request.body)


class LotteryAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: DictStrAny | None = None
    ) -> OpenAPISchema:
        """The schema, made once per process: the routes never change while it runs, and
        making it costs tens of milliseconds of CPU that any anonymous client could ask for
        again and again (GET /openapi.json)."""
        key = (path_prefix, tuple(sorted((path_params or {}).items())))
        schema = self._openapi_schemas.get(key)
        if schema is None:
            schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
            openapi_tidy(schema)
            self._openapi_schemas[key] = schema
        return schema

    @cached_property
    def _openapi_schemas(self) -> dict[tuple[object, ...], OpenAPISchema]:
        return {}

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for url in urls:
            if isinstance(url, URLPattern) and hasattr(url.callback, "csrf_exempt"):
                url.callback = _json_method_errors(url.callback)  # the operations' views
        return urls


def _json_method_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """HEAD answers like GET without the body; a method the path lacks is a JSON 405."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "HEAD":
            request.method = "GET"
            response = view(request, *args, **kwargs)
            request.method = "HEAD"
            response["Content-Length"] = str(len(response.content))
            response.content = b""
            return response
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            return json_error(405, "Method not allowed.", Allow=response["Allow"])
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # as Ninja's views are
    return wrapper


API_DESCRIPTION = """\
A daily lottery. Submit as many ballots as you like for any open day (today and the next
six); at midnight (in the server's `TIME_ZONE`) the day closes and one winning ballot is
drawn. Anyone can read every result and check that the draw was fair.

**Signing in, in three steps**

1. `POST /accounts/register` with a username and a password (at least 8 characters, not a
   common one).
2. `POST /token/pair` with the same username and password. Copy `access` from the answer.
3. Click **Authorize** and paste the access token *without* "Bearer " (it is added for you).
   Every operation with a lock now sends it. It lasts 15 minutes; `POST /token/refresh` with
   the `refresh` token gives a new one.

Then `POST /ballots` submits a ballot for today, `GET /ballots?status=won` lists your winning
ballots and `GET /draws` the results.

Every error is JSON, `{"detail": ...}`, with one of the statuses listed under each operation;
401 says whether the token is missing, invalid, a refresh token, or pasted with "Bearer ".
Dates are `YYYY-MM-DD`.
"""

TAGS = [
    {"name": "accounts", "description": "Create an account, read your profile, set your email."},
    {"name": "tokens", "description": "Sign in (a JWT pair), refresh, check, log out."},
    {"name": "lotteries", "description": "The open lottery days and when each one closes."},
    {"name": "ballots", "description": "Submit ballots and read your own."},
    {"name": "draws", "description": "Results of past lotteries and what is needed to check them."},
    {
        "name": "record",
        "description": "The public record: the signed, witnessed log of every day's policy, "
        "close and draw (docs/draw-rules.md, 6).",
    },
    {
        "name": "operations",
        "description": "For operators and monitoring, not participants: liveness, readiness, "
        "overdue draws. Prometheus' `GET /metrics` is left out of these docs (it has its own "
        "token, `METRICS_TOKEN`; see docs/operating.md).",
    },
]

api = LotteryAPI(
    renderer=ORJSONRenderer(),
    parser=JSONParser(),
    docs_decorator=safe_methods_only,
    title="Lottery API",
    version="1.0.0",
    description=API_DESCRIPTION,
    openapi_extra={"tags": TAGS},
)
api.add_router("/accounts", accounts_router)
api.add_router("/token", token_router)
api.add_router("/lotteries", lottery_router)
api.add_router("/ballots", ballots_router)
api.add_router("/draws", draws_router)
api.add_router("/log", record_router)
# For operators, apart from the participants' operations (health.py keeps its own tag).
api.add_router("/health", health_router, tags=["operations"])


# Kept out of /docs: it is Prometheus' endpoint, not the participants', and its own Bearer
# scheme would put a second Authorize form in Swagger UI, where a participant's token pasted
# into the wrong one fails every call (docs/operating.md, "Metrics", documents it and its 401).
@api.get(
    "/metrics",
    auth=MetricsAuth(),
    response={200: None, **errors(401)},
    include_in_schema=False,
)
def metrics(request: HttpRequest) -> HttpResponse:
    return metrics_exposition()


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.detail}, status=error_status(exc))
    for name, value in error_headers(exc).items():
        response[name] = value
    return response


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    # No working connection (the server is down or restarting, the pool is exhausted):
    # transient, so the client is told to come back rather than shown a crash. Django wraps
    # psycopg's errors, psycopg_pool's PoolTimeout included, in these two.
    logger.warning("Database unavailable on %s %s: %r", request.method, request.path, exc)
    response = api.create_response(
        request, {"detail": "The database is unavailable; try again shortly."}, status=503
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja wraps whatever the parser raises in a 400; ours keeps its own status.
    if isinstance(exc.__cause__, ApplicationError):
        return application_error(request, exc.__cause__)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def body_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, checked against Content-Length before reading.
    # Django's request logger writes the one line; no traceback.
    return api.create_response(request, {"detail": "Request body too large."}, status=413)


@api.exception_handler(SuspiciousOperation)
def suspicious_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    # e.g. TooManyFieldsSent: more than DATA_UPLOAD_MAX_NUMBER_FIELDS query parameters.
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(Exception)
def unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Replaces Ninja's default, which hands the error to Django's HTML 500 page.
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return api.create_response(request, {"detail": "Internal server error."}, status=500)


@api.exception_handler(APIException)
def jwt_error(request: HttpRequest, exc: APIException) -> HttpResponse:
    # django-ninja-jwt's authentication raises these (e.g. an invalid Bearer token).
    detail = exc.detail
    if isinstance(detail, dict):  # {"detail": ..., "code": ...}
        detail = detail.get("detail", "Authentication failed.")
    return api.create_response(request, {"detail": str(detail)}, status=exc.status_code)
