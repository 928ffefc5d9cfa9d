# syntax=docker/dockerfile:1
# Production image: Python 3.12 slim, dependencies from uv.lock, a non-root user, Granian.
FROM python:3.12-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH"

COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock .python-version ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-project

COPY . .

# collectstatic needs settings that import; these build-time values are never used at run time.
RUN DEBUG=false SECRET_KEY=build-only-not-secret DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    LOTTERY_VAR_DIR=/tmp/var python manage.py collectstatic --no-input \
 && useradd --system --uid 10001 --home-dir /app lottery \
 && mkdir -p /app/var && chown lottery /app/var

USER lottery
EXPOSE 8000

# Granian (a Rust HTTP server with keep-alive) running the WSGI app: two processes (one per
# core) of eight threads each, as many as a process's connection pool (DATABASE_POOL_MAX_SIZE):
# a ballot mostly waits for PostgreSQL's commit, and more commits in flight share each WAL
# flush. `make bench-api`: 2 threads -> 8 took POST /ballots 0.23 -> 0.29 of the /docs floor.
CMD ["granian", "--interface", "wsgi", "lottery_app.wsgi:application", \
     "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--blocking-threads", "8"]
