"""The one NinjaAPI: routers of every app, and the handlers that turn errors into answers."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja_extra.exceptions import APIException

from accounts.api import router as accounts_router
from accounts.api import token_router
from ballots.api import lottery_router
from ballots.api import router as ballots_router
from draws.api import router as draws_router
from lottery_app.errors import DATABASE_RETRY_AFTER_SECONDS, ApplicationError, TooManyRequests
from lottery_app.health import router as health_router
from lottery_app.metrics import MetricsAuth, metrics_exposition
from lottery_app.renderers import ORJSONRenderer
from lottery_app.schemas import errors

logger = logging.getLogger(__name__)

api = NinjaAPI(
    renderer=ORJSONRenderer(),
    title="Lottery API",
    version="1.0.0",
    description="Register, obtain a JWT pair, submit ballots for the coming week's daily "
    "lotteries, and read the results of past draws.",
)
api.add_router("/accounts", accounts_router)
api.add_router("/token", token_router)
api.add_router("/lotteries", lottery_router)
api.add_router("/ballots", ballots_router)
api.add_router("/draws", draws_router)
api.add_router("/health", health_router)


@api.get(
    "/metrics",
    auth=MetricsAuth(),
    response={200: None, **errors(401)},
    tags=["operations"],
    summary="Prometheus metrics (text exposition format)",
    openapi_extra={"responses": {"200": {"content": {"text/plain": {}}}}},
)
def metrics(request: HttpRequest) -> HttpResponse:
    return metrics_exposition()


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.detail}, status=exc.status_code)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
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
