"""Settings for the lottery project.

Configuration comes only from environment variables (read through ``lottery_app.env``).
The defaults run the embedded mode: a SQLite file and a file-system Celery broker under
``var/``, nothing to install. Production sets ``DEBUG=false`` and real URLs; it then
refuses to start without a real ``SECRET_KEY`` and turns on the secure-cookie/HTTPS settings.
"""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from lottery_app.env import env_bool, env_int, env_list, env_str, installation_secret

# Lets ModelAdmin[Model] and QuerySet[Model] be subscripted at run time, as mypy wants.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything the embedded mode writes (database, broker queue, beat state) lives here.
VAR_DIR = Path(env_str("LOTTERY_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=True)

# The embedded mode makes a random key once per installation (VAR_DIR/secret_key): a key
# written in the source would let anyone forge tokens for every dev instance.
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set to a real secret when DEBUG is off.")
    SECRET_KEY = installation_secret(VAR_DIR / "secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI's assets from the app, so /docs needs no CDN
    "ninja_jwt",
    "ninja_jwt.token_blacklist",
    "accounts",
    "ballots",
    "draws",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "lottery_app.urls"
WSGI_APPLICATION = "lottery_app.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# Persistent connections: opening one per request costs ~4 ms and caps throughput.
# (PostgreSQL uses psycopg's pool instead; see below.)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # Web, worker and beat processes share one file: WAL lets readers run beside the
        # writer, IMMEDIATE takes the write lock at BEGIN (no lock-upgrade deadlocks) and
        # the timeout makes a writer wait for the lock instead of failing "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg's pool keeps connections open across requests without the `SELECT 1` that
    # CONN_HEALTH_CHECKS sends before each request's first query: POST /ballots then costs
    # one round trip, and bench-api measured ~1,800 -> ~2,000 requests/s. A connection that
    # broke while idle (a database restart) fails the one request that picks it up, and the
    # pool replaces it.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django's rule: pooling replaces CONN_MAX_AGE
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": 2,
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 8, minimum=1),
            "timeout": 10,  # seconds to wait for a free connection before failing
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits) ----------------------------------------------------------------

CACHE_URL = env_str("CACHE_URL", "locmem://")
if CACHE_URL.startswith(("redis://", "rediss://")):
    # Shared by every process, so a rate limit holds across web server processes.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r}: expected locmem:// or redis://...")

# --- Accounts and tokens ----------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

NINJA_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 1, minimum=1)),
    "UPDATE_LAST_LOGIN": False,
}

# Requests per minute per client address on /accounts/register, /token/pair, admin login.
AUTH_RATE_LIMIT_PER_MINUTE = env_int("AUTH_RATE_LIMIT_PER_MINUTE", 30, minimum=1)
# Password attempts per minute on one account (/token/pair and admin login together).
AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE = env_int("AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE", 10, minimum=1)
# Reverse proxies in front of the app that append to X-Forwarded-For (0: clients connect
# directly). The rate limit keys on the address that many hops back.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# --- Internationalisation and time ------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not an IANA time zone.") from None
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve app static files (Swagger UI) even where collectstatic has not run, e.g. `make run`.
WHITENOISE_USE_FINDERS = True

# --- API ----------------------------------------------------------------------------------

NINJA_PAGINATION_PER_PAGE = 20
NINJA_PAGINATION_MAX_LIMIT = 100  # a larger ?limit= is refused with 422
# Caps ?offset= too: past a database's bigint it was a 500.
NINJA_PAGINATION_CLASS = "lottery_app.pagination.LimitOffsetPagination"
# Past these Django refuses a request (413 / 400, as JSON: lottery_app.api); Django's defaults.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- The lottery ------------------------------------------------------------------------

# How many lottery days are open for ballots: today and the following days.
LOTTERY_OPEN_DAYS = env_int("LOTTERY_OPEN_DAYS", 7, minimum=1)
LOTTERY_DRAW_EVERY_MINUTE = env_bool("LOTTERY_DRAW_EVERY_MINUTE", default=False)
# Ballots per minute one user may submit: far above what a person does by hand, it stops a
# script from filling a day's pool. `make bench-api` raises it.
BALLOT_RATE_LIMIT_PER_MINUTE = env_int("BALLOT_RATE_LIMIT_PER_MINUTE", 600, minimum=1)

# --- Celery -----------------------------------------------------------------------------

_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Producer and consumer share one folder; that is the whole "broker".
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),  # broadcast (remote control) state
        "store_processed": False,
    }
CELERY_TIMEZONE = TIME_ZONE  # beat's crontab is read in the lottery's zone
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The one place the draw is scheduled: 00:00 in TIME_ZONE, or every minute for local testing.
CELERY_BEAT_SCHEDULE = {
    "lottery-draw": {
        "task": "draws.tasks.lottery_draw_closed_days",
        "schedule": crontab(minute="*")
        if LOTTERY_DRAW_EVERY_MINUTE
        else crontab(minute="0", hour="0"),
    },
}

# --- Production hardening (only tightens) -----------------------------------------------

if not DEBUG:
    # TLS ends at the proxy in front of the web server, which sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "one_line": {
            "()": "lottery_app.logging.NoTracebackFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "console_one_line": {"class": "logging.StreamHandler", "formatter": "one_line"},
    },
    "loggers": {
        # Django logs each refused Host header with a traceback: one line is enough, since
        # anyone on the internet can send as many as they like.
        "django.security": {"handlers": ["console_one_line"], "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
