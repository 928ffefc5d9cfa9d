#!/usr/bin/env bash
# Embedded mode: the web server, one Celery worker and beat, in the foreground.
# Ctrl-C (or any one of them exiting) stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${PORT:-8000}"
if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
  echo "PORT=$port is not a port number (1-65535)." >&2
  exit 2
fi
# Before the worker and beat start: a second `make run` would otherwise start a second
# worker and beat (sharing one schedule file) and only then see runserver fail on the port.
# The same bind runserver makes (127.0.0.1, SO_REUSEADDR).
if ! python - "$port" <<'PY' 2>/dev/null; then
import socket, sys
with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
PY
  echo "Port $port is in use (another make run?): stop that server, or choose another port: PORT=$((port + 1)) make run" >&2
  exit 1
fi

# Migrations first: they are also the database check, failing in one line that names the
# cause (common.cli) before anything else starts.
python manage.py migrate --no-input

pids=()

stop() {
  trap - INT TERM EXIT
  # runserver's autoreloader serves from a child process: stop that one too. Celery's
  # workers and beat shut their own children down.
  [[ -n "${server_pid:-}" ]] && { pkill -TERM -P "$server_pid" 2>/dev/null || true; }
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

export DEBUG="${DEBUG:-true}"

# A local witness (scripts/witness.py) that cosigns the log's checkpoints, so the embedded
# mode shows the whole path; real assurance needs witnesses run by others (docs/verifying.md).
# It keeps its key and memory under var/witness/; on a free port, told to the app below.
if [[ -z "${LOTTERY_WITNESS_URLS:-}" ]]; then
  witness_dir="${LOTTERY_VAR_DIR:-var}/witness"
  mkdir -p "$witness_dir" && : >"$witness_dir/stdout"
  python scripts/witness.py --port 0 --key-file "$witness_dir/key" --vkey-file "$witness_dir/vkey" \
    --log-key "$(python manage.py logkey)" >"$witness_dir/stdout" 2>"$witness_dir/log" &
  pids+=($!)
  for _ in $(seq 100); do
    [[ $(wc -l <"$witness_dir/stdout") -ge 2 ]] && break
    sleep 0.1
  done
  if [[ $(wc -l <"$witness_dir/stdout") -lt 2 ]]; then
    echo "The local witness did not start (its log: $witness_dir/log)." >&2
    exit 1
  fi
  LOTTERY_WITNESS_KEYS=$(sed -n 1p "$witness_dir/stdout")
  LOTTERY_WITNESS_URLS=$(sed -n 2p "$witness_dir/stdout" | sed 's/^witness listening on //')
  export LOTTERY_WITNESS_KEYS LOTTERY_WITNESS_URLS
  echo "Local witness at $LOTTERY_WITNESS_URLS, key $LOTTERY_WITNESS_KEYS"
fi
# One metrics folder for the web server and the worker's processes, so /metrics shows the
# draws and emails the worker counts too. Emptied here: every process starts now.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${LOTTERY_VAR_DIR:-var}/metrics}"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
python manage.py runserver "$port" & server_pid=$! && pids+=($!)
DATABASE_POOL=false celery -A config worker --loglevel=INFO --concurrency=1 --hostname=worker@%h & pids+=($!)
celery -A config beat --loglevel=INFO & pids+=($!)

wait -n
