#!/usr/bin/env bash
# Embedded mode: the web server, one Celery worker and beat, in the foreground.
# Ctrl-C (or any one of them exiting) stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

pids=()

stop() {
  trap - INT TERM EXIT
  # runserver's autoreloader serves from a child process: stop that one too. Celery's
  # workers and beat shut their own children down.
  pkill -TERM -P "${pids[0]}" 2>/dev/null || true
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

export DEBUG="${DEBUG:-true}"
# One metrics folder for the web server and the worker's processes, so /metrics shows the
# draws and emails the worker counts too. Emptied here: every process starts now.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${LOTTERY_VAR_DIR:-var}/metrics}"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
python manage.py runserver "${PORT:-8000}" & pids+=($!)
DATABASE_POOL=false celery -A lottery_app worker --loglevel=INFO --concurrency=1 --hostname=worker@%h & pids+=($!)
celery -A lottery_app beat --loglevel=INFO & pids+=($!)

wait -n
