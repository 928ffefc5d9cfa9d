# Production image: Python 3.12 slim, dependencies from uv.lock, a non-root user, Granian.
# No "# syntax=docker/dockerfile:1" line: that frontend is pulled from a registry at build
# time, and dockerd's built-in one already supports `RUN --mount=type=cache`; without it the
# image builds where no registry answers (the compose test in .ci/run) and is the same image.

# --- build: uv resolves the lock into /opt/venv (uv itself stays in this stage) -----------
FROM python:3.12-slim AS build

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never

COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv

WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-project

# --- runtime: the interpreter, the virtualenv and the code; no uv, no build cache ---------
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:$PATH"

# The same base image and path, so the virtualenv's interpreter links stay valid.
COPY --from=build /opt/venv /opt/venv

WORKDIR /app
COPY . .

# collectstatic writes each file and its .gz beside it; WhiteNoise serves those (it serves
# from the apps' folders only where collectstatic has not run, as in `make run`).
# Its settings must import; these build-time values are never used at run time.
RUN python scripts/log_key.py --origin build.invalid/only --out /tmp/build_log_key >/dev/null \
 && DEBUG=false SECRET_KEY=build-only-not-secret DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    LOTTERY_VAR_DIR=/tmp/var LOTTERY_LOG_KEY_FILE=/tmp/build_log_key \
    python manage.py collectstatic --no-input -v0 \
 && rm -rf /tmp/var /tmp/build.sqlite3 /tmp/build_log_key \
 && useradd --system --uid 10001 --home-dir /app lottery \
 && mkdir -p /app/var && chown lottery /app/var

USER lottery
EXPOSE 8000

# Granian (a Rust HTTP server with keep-alive) running the WSGI app: two processes (one per
# core) of two threads each, so one thread's database wait overlaps the other's Python; more
# threads only queue on the GIL (docs/scaling.md, "Threads per Granian process").
# In compose it sits behind nginx (deploy/nginx.conf), which buffers request bodies.
CMD ["granian", "--interface", "wsgi", "config.wsgi:application", \
     "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--blocking-threads", "2"]
