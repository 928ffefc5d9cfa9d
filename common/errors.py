"""The domain's errors: what went wrong, in words and data, and nothing about HTTP.

Services and selectors raise these. The API's one handler (config.api) and the pages turn
them into answers through ``common.http.error_status``, the only place that knows which
status each kind of error gets.
"""

# How long a client is told to wait when no working database connection can be had.
DATABASE_RETRY_AFTER_SECONDS = 5
# ... and when another dependency on the request's path (the cache) does not answer.
DEPENDENCY_RETRY_AFTER_SECONDS = 5


class ApplicationError(Exception):
    """The request cannot be carried out as asked."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # The input the error is about, when there is one: the pages show the message next
        # to that form field (the API's answer is the detail alone).
        self.field = field


class NotFound(ApplicationError):
    pass


class Conflict(ApplicationError):
    """The request clashes with the current state (a duplicate, a draw under way)."""


class InvalidInput(ApplicationError):
    """The input is well formed but its values are refused."""


class NotAuthenticated(ApplicationError):
    """No valid credentials came with the request."""


class PermissionDenied(ApplicationError):
    """The caller is known but may not do this."""


class RateLimited(ApplicationError):
    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class DependencyUnavailable(ApplicationError):
    """Something the request needs (the cache, the mail server, the beacon) did not answer."""

    def __init__(self, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
