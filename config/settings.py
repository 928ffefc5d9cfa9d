"""Settings for the lottery project.

Configuration comes only from environment variables (read through ``common.env``).
The defaults run the embedded mode: a SQLite file and a file-system Celery broker under
``var/``, nothing to install. Production sets ``DEBUG=false`` and real URLs; it then
refuses to start without a real ``SECRET_KEY`` and turns on the secure-cookie/HTTPS settings.
"""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

from common.env import (
    database_url_parse,
    email_url_parse,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    installation_secret,
)

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
    "record",  # the public log: below the apps that log their events (ballots, draws)
    "pages",  # the human side: templates, forms, the stylesheet and the in-browser verifier
]

MIDDLEWARE = [
    # First, so every later middleware's log lines carry the request id and the latency
    # histogram covers the whole stack.
    "common.logs.RequestIdMiddleware",
    "common.metrics.RequestMetricsMiddleware",
    # Around everything that may answer a public read, so its errors and 429s carry CORS too.
    "common.middleware.public_read_cors_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.http_cache.conditional_get_middleware",
    # Django's session, auth and messages middleware, on /admin/ and the pages only: the API
    # uses Bearer tokens and no session (common.middleware says why and what it saves).
    "common.middleware.CookieSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Inside CommonMiddleware, which still turns a 404 for /admin into a redirect to /admin/.
    "config.views.debug_not_found_middleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "common.middleware.CookieAuthenticationMiddleware",
    "common.middleware.CookieMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A page's database or cache down is an HTML 503 with Retry-After, DEBUG or not.
    "config.views.PageErrorsMiddleware",
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"  # a page for browsers, else JSON
# Error reports (DEBUG's page, any report handler) mask *_URL settings too: they hold passwords.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.wsgi_edge.ExceptionReporterFilter"
WSGI_APPLICATION = "config.wsgi.application"

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
                "pages.context.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# Persistent connections: opening one per request caps throughput (docs/scaling.md, "Costs
# the code relies on").
# (PostgreSQL uses psycopg's pool instead; see below.)
DATABASES = {"default": database_url_parse("DATABASE_URL", DATABASE_URL, conn_max_age=600)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite_folder = Path(DATABASES["default"]["NAME"]).parent
    # Only the embedded mode's own folder is made here: any other missing folder is a typo
    # in DATABASE_URL, and creating it would hide the database in a surprising place.
    if _sqlite_folder.resolve() == VAR_DIR.resolve():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    elif not _sqlite_folder.is_dir():
        raise ImproperlyConfigured(
            f"DATABASE_URL={DATABASE_URL!r}: the folder {str(_sqlite_folder)!r} does not exist; "
            "create it, or use sqlite:////absolute/path/db.sqlite3 (four slashes)."
        )
    DATABASES["default"]["OPTIONS"] = {
        # Web, worker and beat processes share one file: WAL lets readers run beside the
        # writer, IMMEDIATE takes the write lock at BEGIN (no lock-upgrade deadlocks) and
        # the timeout makes a writer wait for the lock instead of failing "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server fails the attempt in seconds instead of hanging: a request then
    # answers 503 and the draw task's retry clock keeps running (see draws.tasks).
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1),
        # Parameters bound by the server (unnamed statements: Django passes psycopg
        # prepare_threshold=None, so nothing is prepared and PgBouncer in transaction mode,
        # even < 1.21, needs no max_prepared_statements; .ci/run passes through 1.18).
        # bench-api: POST /ballots 0.29 -> 0.33 of the /docs floor. false: client-side.
        "server_side_binding": env_bool("DATABASE_SERVER_SIDE_BINDING", default=True),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # pooled, or a fresh connection per task
    # Django's backend, but for how the pool checks a connection (see below).
    DATABASES["default"]["ENGINE"] = "common.postgresql"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    if env_bool("DATABASE_POOL", default=True):
        # psycopg's pool keeps connections open across requests and checks each one as it
        # leaves the pool, so one that broke while idle (a PostgreSQL restart) is replaced
        # instead of failing a request. The check polls the socket and makes a round trip
        # only when the server has said something (common.postgresql; cost: docs/scaling.md).
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 2,
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 8, minimum=1),
            # Seconds to wait for a free connection before failing (then 503).
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1),
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits) ----------------------------------------------------------------

CACHE_URL = env_str("CACHE_URL", "locmem://")
# Seconds a cache operation may take (connect, or an answer) before the request gets a 503:
# a Redis that accepts connections and never answers hung requests for good; redis-py's
# default retries (3, with up to 10 s of back-off) made a refusing one a 500 after 6.4 s.
CACHE_TIMEOUT = env_int("CACHE_TIMEOUT", 1, minimum=1)
# Passed to redis-py's connection pool. One retry, at once: a pooled connection that broke
# while idle (a Redis restart) is replaced rather than failing the request.
CACHE_REDIS_OPTIONS = {
    "socket_connect_timeout": CACHE_TIMEOUT,
    "socket_timeout": CACHE_TIMEOUT,
    "retry": Retry(NoBackoff(), 1),
}
if CACHE_URL.startswith(("redis://", "rediss://")):
    # Shared by every process, so a rate limit holds across web server processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": CACHE_REDIS_OPTIONS,
        }
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
# Requests per minute per client address on the public reads that cost real CPU: a day's
# ballot-id pages and inclusion proofs. 120 walks 1.2 million ballots a minute.
PUBLIC_READ_RATE_LIMIT_PER_MINUTE = env_int("PUBLIC_READ_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
# Reverse proxies in front of the app that append to X-Forwarded-For (0: clients connect
# directly). The rate limit keys on the address that many hops back.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# The pages' sign-in (pages.urls): Django's session auth, beside the API's Bearer tokens.
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/my/ballots"
LOGOUT_REDIRECT_URL = "/"

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
# Where collectstatic has not run (`make run`, the tests), serve the apps' own static files
# (Swagger UI). Where it has (the image), serve only what it wrote: WhiteNoise's finders
# would shadow the compressed copies, and Swagger UI's 1.5 MB bundle would go out unzipped.
WHITENOISE_USE_FINDERS = not any(STATIC_ROOT.iterdir())

# --- API ----------------------------------------------------------------------------------

NINJA_PAGINATION_PER_PAGE = 20
NINJA_PAGINATION_MAX_LIMIT = 100  # a larger ?limit= is refused with 422
# Caps ?offset= too: past a database's bigint it was a 500.
NINJA_PAGINATION_CLASS = "common.pagination.LimitOffsetPagination"
# Past these Django refuses a request (413 / 400, as JSON: config.api); Django's defaults.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- The lottery ------------------------------------------------------------------------

# How many lottery days are open for ballots: today and the following days.
LOTTERY_OPEN_DAYS = env_int("LOTTERY_OPEN_DAYS", 7, minimum=1)
# Most ballots one POST /ballots/batch may submit (one INSERT statement carries them all).
LOTTERY_MAX_BATCH = env_int("LOTTERY_MAX_BATCH", 100, minimum=1)
LOTTERY_DRAW_EVERY_MINUTE = env_bool("LOTTERY_DRAW_EVERY_MINUTE", default=False)
# Ballots per minute one user may submit: far above what a person does by hand, it stops a
# script from filling a day's pool. `make bench-api` raises it.
BALLOT_RATE_LIMIT_PER_MINUTE = env_int("BALLOT_RATE_LIMIT_PER_MINUTE", 600, minimum=1)
# Besides midnight, beat sweeps for closed, undrawn days this often: every closed day is
# drawn within minutes of whatever fault kept it from being drawn.
LOTTERY_SWEEP_MINUTES = env_int("LOTTERY_SWEEP_MINUTES", 5, minimum=1)
# The draw task's retries: every LOTTERY_RETRY_DELAY_SECONDS, at most LOTTERY_MAX_RETRIES.
# The fault tests shrink these (and the sweep, through LOTTERY_SWEEP_SECONDS) to seconds.
LOTTERY_SWEEP_SECONDS = env_int("LOTTERY_SWEEP_SECONDS", LOTTERY_SWEEP_MINUTES * 60, minimum=1)
LOTTERY_RETRY_DELAY_SECONDS = env_int("LOTTERY_RETRY_DELAY_SECONDS", 60, minimum=1)
LOTTERY_MAX_RETRIES = env_int("LOTTERY_MAX_RETRIES", 10)
# GET /health/draws answers 503 once a closed day is still undrawn this long after midnight.
LOTTERY_DRAW_GRACE_MINUTES = env_int("LOTTERY_DRAW_GRACE_MINUTES", 10, minimum=1)
# A healthchecks.io-style check-in URL: pinged at each close and draw, and at "<url>/fail"
# by a sweep that finds a day overdue, so the operator is told rather than has to poll.
LOTTERY_CHECKIN_URL = env_str("LOTTERY_CHECKIN_URL", "")
LOTTERY_CHECKIN_TIMEOUT_SECONDS = env_int("LOTTERY_CHECKIN_TIMEOUT_SECONDS", 5, minimum=1)
# The delay of each new day's draw (docs/draw-rules.md): 2**t sequential squarings over the
# day's Merkle root, fixed in the day's policy when its row is created. 2**27 is about 7
# minutes with GMP here, 42 without (make bench-draw); the embedded mode's days publish 2**16
# (a second) so `make run` and `make draw` stay quick, and the verifier says such a delay is
# below its floor.
LOTTERY_VDF_DELAY_LOG2 = env_int("LOTTERY_VDF_DELAY_LOG2", 16 if DEBUG else 27, minimum=1)
if LOTTERY_VDF_DELAY_LOG2 > 40:
    raise ImproperlyConfigured("LOTTERY_VDF_DELAY_LOG2 above 40 would take years to draw.")
# Optional public randomness mixed into each draw (draws.beacon): a drand HTTP endpoint such
# as https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971
# (quicknet). Off when empty. The day's round is the first one at least the delay after
# its midnight, so no ballot of the day can be sent once that value is known.
LOTTERY_BEACON_URL = env_str("LOTTERY_BEACON_URL", "")
LOTTERY_BEACON_DELAY_SECONDS = env_int("LOTTERY_BEACON_DELAY_SECONDS", 60)

# --- The public record (record/, docs/draw-rules.md section 6) --------------------------

# The lottery's Ed25519 log key: it signs the log's checkpoints. Production refuses to start
# without one; the embedded mode makes one once under var/. Back it up WITH the database: a
# log restored below a size that witnesses cosigned is a fork they refuse for good.
LOTTERY_LOG_KEY_FILE = Path(
    env_str("LOTTERY_LOG_KEY_FILE", str(VAR_DIR / "log_key") if DEBUG else "")
)
# The log's name (its origin line, and its key's name): fixed when the key is made and stored
# with it, never derived from a URL or port. The embedded mode names its own.
LOTTERY_LOG_ORIGIN = env_str("LOTTERY_LOG_ORIGIN", "")
LOTTERY_LOG_KEY_MAKE = DEBUG  # the embedded mode makes its key on first use
if not DEBUG and not (str(LOTTERY_LOG_KEY_FILE) and LOTTERY_LOG_KEY_FILE.is_file()):
    raise ImproperlyConfigured(
        "LOTTERY_LOG_KEY_FILE must name the lottery's log key when DEBUG is off "
        "(make one with: python scripts/log_key.py --origin NAME --out FILE)."
    )
# Witnesses (scripts/witness.py or any C2SP tlog-witness): each new checkpoint is sent to
# every URL (the witness's prefix for /add-checkpoint), checked with the key in the same
# place of LOTTERY_WITNESS_KEYS (vkeys), and its cosignature published.
LOTTERY_WITNESS_URLS = env_list("LOTTERY_WITNESS_URLS", [])
LOTTERY_WITNESS_KEYS = env_list("LOTTERY_WITNESS_KEYS", [])
if len(LOTTERY_WITNESS_URLS) != len(LOTTERY_WITNESS_KEYS):
    raise ImproperlyConfigured(
        "LOTTERY_WITNESS_URLS and LOTTERY_WITNESS_KEYS must list the same witnesses, in order."
    )
LOTTERY_WITNESS_TIMEOUT_SECONDS = env_int("LOTTERY_WITNESS_TIMEOUT_SECONDS", 5, minimum=1)
# How long after midnight a day's close must be cosigned, written into each day's policy. It
# must stay far below the time an attacker needs for the day's 2**t squarings (docs/scaling.md,
# "Costs the code relies on"), or a root held back could be ground; witnessing is
# retried every LOTTERY_WITNESS_RETRY_SECONDS, several times within it. `manage.py check`
# warns when it is not (record.apps).
LOTTERY_CLOSE_WITNESS_SECONDS = env_int("LOTTERY_CLOSE_WITNESS_SECONDS", 60, minimum=1)
LOTTERY_WITNESS_RETRY_SECONDS = env_int("LOTTERY_WITNESS_RETRY_SECONDS", 10, minimum=1)

# --- Email (winner notifications) -------------------------------------------------------

# console:// prints mail in the worker's terminal (embedded mode); production sets
# smtp+tls://user:password@host:587 (or smtps://, smtp://). See common.env.email_url_parse.
EMAIL_URL = env_str("EMAIL_URL", "console://")
_email = email_url_parse("EMAIL_URL", EMAIL_URL)
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)  # seconds; a hung server is a failure
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "Lottery <lottery@localhost>")
# Where the API is reachable for people reading the email (links to results and proofs).
# By default the port `make run` serves (PORT), so the links work on a second instance too.
PORT = env_int("PORT", 8000, minimum=1)
LOTTERY_PUBLIC_URL = env_str("LOTTERY_PUBLIC_URL", f"http://localhost:{PORT}").rstrip("/")
if not LOTTERY_PUBLIC_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"LOTTERY_PUBLIC_URL={LOTTERY_PUBLIC_URL!r}: expected http(s)://...")

# --- Metrics ------------------------------------------------------------------------------

# Bearer token for GET /metrics. Unset: open while DEBUG is on, refused to everyone when off.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# Set when several processes serve one app (Granian workers, Celery's pool): each writes its
# counters to files here and /metrics adds them up. prometheus_client reads the variable
# itself; the folder must exist first.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "")
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)

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
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A message a worker has taken but not acknowledged (acks_late) goes back to the queue
    # this long after delivery, if the worker died. It must exceed the retry countdown: a
    # retry waits in the worker, unacknowledged, until its ETA, and a shorter timeout would
    # deliver it twice. 5 minutes (kombu's default is an hour) brings a killed worker's task
    # back within minutes; the draw is idempotent, so an early redelivery is harmless.
    CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 300, minimum=1)
    if CELERY_VISIBILITY_TIMEOUT <= LOTTERY_RETRY_DELAY_SECONDS:
        raise ImproperlyConfigured(
            "CELERY_VISIBILITY_TIMEOUT must exceed LOTTERY_RETRY_DELAY_SECONDS, or every "
            "retry waiting for its countdown would be delivered twice."
        )
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # Look for expired messages every 10 s (kombu's default scans every 100 s).
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
CELERY_TIMEZONE = TIME_ZONE  # beat's crontab is read in the lottery's zone
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker keeps LOGGING below (request/task ids, JSON) instead of installing its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Leave print() output (the console email backend's mails) as it is, not one log line each.
CELERY_WORKER_REDIRECT_STDOUTS = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Touched every 10 s while a worker consumes (config.celery.Heartbeat), for a container
# healthcheck that costs a stat instead of a second Celery process. Empty: not written.
LOTTERY_WORKER_HEARTBEAT_FILE = env_str("LOTTERY_WORKER_HEARTBEAT_FILE", "")
# Beat writes its state here whatever the broker and database are (a fresh clone has no var/).
VAR_DIR.mkdir(parents=True, exist_ok=True)
_DRAW_TASK = "draws.tasks.lottery_draw_closed_days"
# The one place the draw is scheduled: 00:00 in TIME_ZONE (or every minute for local
# testing), plus the sweep. Workers also run it once when they start (draws.tasks).
CELERY_BEAT_SCHEDULE = {
    "lottery-draw": {
        "task": _DRAW_TASK,
        "schedule": crontab(minute="*")
        if LOTTERY_DRAW_EVERY_MINUTE
        else crontab(minute="0", hour="0"),
    },
    "lottery-draw-sweep": {
        "task": _DRAW_TASK,
        "schedule": timedelta(seconds=LOTTERY_SWEEP_SECONDS),
        # The next sweep is a failed sweep's retry; retrying too would only pile up attempts.
        "kwargs": {"retry": False},
    },
    # Until every witness has cosigned the newest checkpoint (a no-op once they have).
    "record-witness": {
        "task": "record.tasks.record_witness",
        "schedule": timedelta(seconds=LOTTERY_WITNESS_RETRY_SECONDS),
        "options": {"expires": LOTTERY_WITNESS_RETRY_SECONDS},
    },
}

# --- Production hardening (only tightens) -----------------------------------------------

if not DEBUG:
    # TLS ends at the proxy in front of the web server, which sets X-Forwarded-Proto. With
    # no proxy (NUM_PROXIES=0) the header comes from the client itself, and believing it
    # would let anyone skip the HTTPS redirect by sending "X-Forwarded-Proto: https".
    if NUM_PROXIES > 0:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Orchestrators probe the container over plain HTTP, and Prometheus scrapes it directly
    # over the internal network (the bearer token still guards /metrics).
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# plain for people at a terminal; json (one object per line) for a log collector.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", {"plain", "json"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Adds the id of the request (X-Request-ID) or Celery task the line was written in.
    "filters": {"context": {"()": "common.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(context)s]: %(message)s"},
        "json": {"()": "common.logs.JsonFormatter"},
        "one_line": {
            "()": "common.logs.NoTracebackFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(context)s]: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        },
        "console_one_line": {
            "class": "logging.StreamHandler",
            "formatter": "one_line",
            "filters": ["context"],
        },
    },
    "loggers": {
        # Django logs each refused Host header with a traceback: one line is enough, since
        # anyone on the internet can send as many as they like.
        "django.security": {"handlers": ["console_one_line"], "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
