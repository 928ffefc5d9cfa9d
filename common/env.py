"""Strict readers for configuration taken from the environment.

Every setting the project reads from the environment goes through these helpers, so a typo
such as ``DEBUG=flase`` stops the process with a clear message instead of silently meaning
"false".
"""

import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import dj_database_url
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


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False  # STARTTLS on a plain connection
    use_ssl: bool = False  # TLS from the first byte (port 465)


_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}
# scheme -> (default port, STARTTLS, implicit TLS)
_SMTP_SCHEMES = {
    "smtp": (25, False, False),
    "smtp+tls": (587, True, False),
    "smtps": (465, False, True),
}


def email_url_parse(name: str, url: str) -> EmailConfig:
    """Read an EMAIL_URL: ``console://``, ``locmem://``, ``smtp://``, ``smtp+tls://`` or ``smtps://``.

    SMTP URLs are ``scheme://user:password@host:port`` (user and password percent-encoded).
    Anything else, including a query string, stops the process rather than mailing nowhere.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("console", "locmem") and url.rstrip("/") == f"{parts.scheme}:":
        return EmailConfig(backend=_EMAIL_BACKENDS[scheme])
    if scheme not in _SMTP_SCHEMES:
        raise ImproperlyConfigured(
            f"{name}={url!r}: expected console://, locmem://, smtp://, smtp+tls:// or smtps://."
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name}: the port is not a number.") from None
    if not parts.hostname or parts.query or parts.path.strip("/") or parts.fragment:
        raise ImproperlyConfigured(f"{name}: expected {scheme}://user:password@host:port only.")
    default_port, use_tls, use_ssl = _SMTP_SCHEMES[scheme]
    return EmailConfig(
        backend=_EMAIL_BACKENDS["smtp"],
        host=parts.hostname,
        port=port or default_port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
    )


def url_without_password(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``: for error messages."""
    try:
        parts = urlsplit(url)
        if not parts.password:
            return url
    except ValueError:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


_DATABASE_EXAMPLES = "sqlite:///path/to/db.sqlite3 or postgres://user:password@host:5432/name"


def database_url_parse(name: str, url: str, *, conn_max_age: int) -> dict[str, Any]:
    """Read a DATABASE_URL: SQLite or PostgreSQL, the two databases the project runs on.

    Anything else stops the process with the URL (password hidden) and what was expected,
    not dj_database_url's "Scheme '://' is unknown".
    """
    shown = url_without_password(url)
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme not in {"sqlite", "postgres", "postgresql"}:
        raise ImproperlyConfigured(f"{name}={shown!r}: expected {_DATABASE_EXAMPLES}.")
    try:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
        )
    except ValueError as exc:  # e.g. a port that is not a number
        raise ImproperlyConfigured(f"{name}={shown!r}: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(
            f"{name}={shown!r} names no database; expected {_DATABASE_EXAMPLES}."
        )
    return config


def env_choice(
    name: str, default: str, choices: set[str], *, environ: Mapping[str, str] = os.environ
) -> str:
    value = env_str(name, default, environ=environ).lower()
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name}={value!r}: expected one of {', '.join(sorted(choices))}."
        )
    return value


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
