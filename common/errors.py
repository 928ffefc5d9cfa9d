"""The domain error hierarchy.

Services raise these; the one handler on the NinjaAPI (``config.api``) turns them into
``{"detail": ...}`` answers with ``status_code``, so API handlers never build error bodies.
"""

# Retry-After of the 503 answered when no working database connection can be had.
DATABASE_RETRY_AFTER_SECONDS = 5
# ... and when another dependency on the request's path (the cache) does not answer.
DEPENDENCY_RETRY_AFTER_SECONDS = 5


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # The input the error is about, when there is one: the pages show the message next
        # to that form field (the API's answer is the detail alone).
        self.field = field


class NotFound(ApplicationError):
    status_code = 404


class Conflict(ApplicationError):
    status_code = 409


class InvalidInput(ApplicationError):
    status_code = 422


class Unauthorized(ApplicationError):
    status_code = 401


class TooManyRequests(ApplicationError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class DependencyUnavailable(ApplicationError):
    """A dependency on the request's path (the cache's Redis) failed or did not answer."""

    status_code = 503

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class UnsupportedMediaType(ApplicationError):
    status_code = 415
