"""Strict readers for configuration taken from the environment.

Every setting the project reads from the environment goes through these helpers, so a typo
such as ``DEBUG=flase`` stops the process with a clear message instead of silently meaning
"false".
"""

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str, *, environ: Mapping[str, str] = os.environ) -> str:
    value = environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] = os.environ) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={environ[name]!r} is not a boolean; use one of: true, false, 1, 0."
    )


def env_int(
    name: str, default: int, *, minimum: int = 0, environ: Mapping[str, str] = os.environ
) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(
    name: str, default: list[str], *, environ: Mapping[str, str] = os.environ
) -> list[str]:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def installation_secret(path: Path) -> str:
    """The secret kept in ``path``, made (random, readable by the owner only) on first use.

    O_EXCL: when web, worker and beat start at once, one of them writes the file and the
    others read that one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the writer may not have finished
            secret = path.read_text().strip()
            if secret:
                return secret
            time.sleep(0.01)
        raise ImproperlyConfigured(f"{path} is empty; delete it to make a new key.") from None
    secret = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as file:
        file.write(secret)
    return secret
