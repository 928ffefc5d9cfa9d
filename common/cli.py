"""manage.py's entry point: start-up errors as one line that names the cause.

A bad setting (``ImproperlyConfigured``) or a database that cannot be reached would
otherwise end in a long traceback, with the cause buried in pool warnings above it.
``--traceback`` keeps Django's full output, as it does for a command's own errors.
"""

import os
import re
import sys

# A command makes one connection, or a few in a row: the pool's retries until
# DATABASE_POOL_TIMEOUT would only delay the error and hide its cause behind "couldn't get a
# connection". runserver serves requests, like Granian, so it keeps the pool.
POOLED_COMMANDS = {"runserver"}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    command = argv[1] if len(argv) > 1 else ""
    if command not in POOLED_COMMANDS:
        os.environ.setdefault("DATABASE_POOL", "false")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import OperationalError, connections

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        if "--traceback" in argv:
            raise
        sys.exit(f"Configuration error: {exc}")
    except OperationalError as exc:
        # Only a connection that never opened: an error in the middle of a command's work
        # keeps its traceback.
        if "--traceback" in argv or connections["default"].connection is not None:
            raise
        url = database_url_shown(os.environ.get("DATABASE_URL", ""))
        sys.exit(f"Cannot connect to the database ({url}): {one_line(exc)}")


def database_url_shown(url: str) -> str:
    """DATABASE_URL without its password, for an error message; the default's name if unset."""
    from common.env import url_without_password

    if not url:
        return "the embedded SQLite file, DATABASE_URL unset"
    return "DATABASE_URL=" + url_without_password(url)


def one_line(exc: BaseException) -> str:
    """The driver's message on one line: libpq spreads a refused connection over three."""
    return re.sub(r"\s+", " ", str(exc)).strip() or type(exc).__name__
