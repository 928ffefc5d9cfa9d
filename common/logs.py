"""Log lines an operator can follow: the request or task id on each, and JSON on demand.

``RequestIdMiddleware`` keeps a client's (or proxy's) ``X-Request-ID`` when it looks like an
id, makes one otherwise, and returns it. Celery's task signals set the task id. The
``ContextFilter`` on the console handler copies whichever is current onto every record.
"""

import json
import logging
import os
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from celery.signals import task_postrun, task_prerun
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from outside end up in log lines: accept only short, plain tokens (no spaces, quotes,
# newlines that could forge a line).
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
current_task_id: ContextVar[str | None] = ContextVar("task_id", default=None)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # META, not request.headers: that builds a dict of every header on each request.
        given = request.META.get("HTTP_X_REQUEST_ID")
        current = given if given and _VALID_REQUEST_ID.fullmatch(given) else _new_request_id()
        # Cleared on request_finished, not here: Django logs "Internal Server Error" and
        # "Not Found" after the middleware has returned.
        current_request_id.set(current)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = current
        return response


def _new_request_id() -> str:
    return os.urandom(16).hex()  # as unique as a uuid4, a quarter of its cost


@request_finished.connect
def _request_done(**kwargs: Any) -> None:
    current_request_id.set(None)


@task_prerun.connect
def _task_started(task_id: str, **kwargs: Any) -> None:
    current_task_id.set(task_id)


@task_postrun.connect
def _task_finished(**kwargs: Any) -> None:
    current_task_id.set(None)


class ContextFilter(logging.Filter):
    """Puts ``request_id``, ``task_id`` and a short ``context`` on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id, task_id = current_request_id.get(), current_task_id.get()
        record.request_id, record.task_id = request_id, task_id
        if request_id:
            record.context = f"request={request_id}"
        elif task_id:
            record.context = f"task={task_id}"
        else:
            record.context = "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for a log collector (LOG_FORMAT=json)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "task_id"):
            if getattr(record, key, None):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class NoTracebackFormatter(logging.Formatter):
    """One line per record: for refusals whose traceback says nothing (a bad Host header)."""

    def format(self, record: logging.LogRecord) -> str:
        # A copy: other handlers (and their cached exc_text) still see the traceback.
        bare = logging.makeLogRecord(
            {**record.__dict__, "exc_info": None, "exc_text": None, "stack_info": None}
        )
        return super().format(bare)
