#!/usr/bin/env bash
# Embedded mode: the web server, one Celery worker and beat in the foreground.
# Ctrl-C (or any one of them exiting) stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

pids=()
stop() {
  trap - INT TERM EXIT
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

export DEBUG="${DEBUG:-true}"
python manage.py runserver "${PORT:-8000}" & pids+=($!)
celery -A lottery_app worker --loglevel=INFO --concurrency=1 --hostname=worker@%h & pids+=($!)
celery -A lottery_app beat --loglevel=INFO & pids+=($!)

wait -n
