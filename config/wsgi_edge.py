"""What the WSGI server hands over, made safe before Django sees it.

Two habits of Granian (the production server) that Django does not expect:

- It copies the whole process environment into every request's environ, so ``SECRET_KEY``,
  ``DATABASE_URL`` (with its password), ``EMAIL_URL`` and ``METRICS_TOKEN`` would sit in
  every ``request.META``, where any error report that prints it would leak them (Django's
  filter masks ``*KEY*``/``*TOKEN*``-like names, not ``*_URL``). They are removed here.
- It decodes a chunked body but sets no ``CONTENT_LENGTH``, and Django then reads an empty
  body: a chunked ``{"date": ...}`` ballot landed on today. A body the server has ended
  (``wsgi.input_terminated``, as Granian and gunicorn set) is read here, up to the body
  limit; from a server that hands over the raw stream (wsgiref, ``runserver``) there is no
  telling where it ends, so the request is refused with a JSON 411.
"""

import io
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.views.debug import SafeExceptionReporterFilter

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# The variables a server sets for each request (PEP 3333, CGI): kept even if the process
# environment happens to have one of the same name.
_REQUEST_VARIABLES = frozenset(
    {
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SERVER_SOFTWARE",
        "REMOTE_ADDR",
        "REMOTE_PORT",
        "HTTPS",
    }
)

_LENGTH_REQUIRED = (
    b'{"detail": "Send the body with a Content-Length header; this server cannot read a '
    b'chunked body."}'
)


def environment_kept_out(app: WSGIApp) -> WSGIApp:
    """Wrap the Django application: drop the process environment, read chunked bodies."""

    # The variables the server copies into each request, read once: walking os.environ
    # decodes every name and value on every request (docs/scaling.md, "Costs the code relies
    # on"). Read again if a variable is added or removed while the process runs.
    process: list[tuple[tuple[str, str], ...]] = [()]
    process_size = [-1]

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if len(os.environ) != process_size[0]:
            process[0] = tuple(
                (name, value)
                for name, value in os.environ.items()
                if name not in _REQUEST_VARIABLES
            )
            process_size[0] = len(os.environ)
        for name, value in process[0]:
            # Equal values only: a request header that the server put under the same name
            # (HTTP_*) is the client's, not the environment's.
            if environ.get(name) == value:
                del environ[name]
        if "HTTP_TRANSFER_ENCODING" in environ and not environ.get("CONTENT_LENGTH"):
            if not environ.get("wsgi.input_terminated"):
                start_response(
                    "411 Length Required",
                    [
                        ("Content-Type", "application/json"),
                        ("Content-Length", str(len(_LENGTH_REQUIRED))),
                    ],
                )
                return [_LENGTH_REQUIRED]
            # One byte past the limit is enough for Django to refuse it with a JSON 413
            # (DATA_UPLOAD_MAX_MEMORY_SIZE is checked against CONTENT_LENGTH).
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = environ["wsgi.input"].read(-1 if limit is None else limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return application


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's report filter, also masking ``*URL*``/``*DSN*`` names (settings.py's
    DEFAULT_EXCEPTION_REPORTER_FILTER): DATABASE_URL, EMAIL_URL and CELERY_BROKER_URL carry
    passwords, and Django masks only API, TOKEN, KEY, SECRET, PASS and SIGNATURE."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|DSN", flags=re.IGNORECASE
    )
