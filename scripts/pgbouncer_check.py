"""The production server through PgBouncer: the same queries, many times, on shared backends.

Part of .ci/pgbouncer-pass. The test suite rarely runs one query five times on one
connection, which is when psycopg prepares it (named prepared statements, the thing
PgBouncer < 1.21 in transaction mode cannot keep). This serves the app as the image does
(Granian, 2 processes x 2 threads, psycopg's pool) with DATABASE_URL through PgBouncer and
sends REQUESTS requests from 4 threads, then prints every status it got. Exits 1 on any 5xx.

    PGBOUNCER_URL=postgres://postgres@127.0.0.1:6432  PG_DIRECT=postgres://postgres@127.0.0.1:5432
    CHECK_DB=pgbouncer_check  CACHE_URL=redis://...  REQUESTS=600
"""

import collections
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.production import post_json, recreate_database, server_command, wait_until_up  # noqa: E402

DB = os.environ.get("CHECK_DB", "pgbouncer_check")
REQUESTS = int(os.environ.get("REQUESTS", "600"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT = free_port()
BASE = f"http://127.0.0.1:{PORT}"
ENV = {
    **os.environ,
    "DEBUG": "false",
    "SECRET_KEY": "pgbouncer-" + "k" * 60,
    "LOTTERY_LOG_KEY_FILE": str(ROOT / "tests" / "log_key.test"),
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": f"{os.environ['PGBOUNCER_URL']}/{DB}",
    "BALLOT_RATE_LIMIT_PER_MINUTE": "1000000",
    "AUTH_RATE_LIMIT_PER_MINUTE": "1000000",
    "LOG_LEVEL": "ERROR",
    "LOTTERY_VAR_DIR": str(ROOT / "var" / "pgbouncer"),
}


def request(path: str, token: str, body: dict[str, str] | None = None) -> int:
    req = urllib.request.Request(BASE + path, method="POST" if body is not None else "GET")
    req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=15) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def main() -> int:
    # Created directly: DROP ... WITH (FORCE) would fight PgBouncer's idle server connections.
    direct = {**ENV, "DATABASE_URL": f"{os.environ['PG_DIRECT']}/{DB}"}
    recreate_database(os.environ["PG_DIRECT"], DB, direct)
    log_path = Path(ENV["LOTTERY_VAR_DIR"]) / "server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        server = subprocess.Popen(server_command(PORT), cwd=ROOT, env=ENV, stdout=log, stderr=log)
        try:
            wait_until_up(BASE)
            user = {"username": "bouncer", "password": "bouncer-pass-phrase-3"}
            post_json(BASE + "/accounts/register", user)
            token = post_json(BASE + "/token/pair", user)["access"]
            calls: list[tuple[str, dict[str, str] | None]] = [
                ("/ballots", {}),
                ("/ballots?limit=5", None),
                ("/accounts/me", None),
                ("/draws", None),
            ] * (REQUESTS // 4)
            started = time.monotonic()
            with ThreadPoolExecutor(4) as pool:
                statuses = list(pool.map(lambda call: request(call[0], token, call[1]), calls))
            took = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    counts = collections.Counter(statuses)
    binding = ENV.get("DATABASE_SERVER_SIDE_BINDING", "true (default)")
    print(
        f"[pgbouncer] {len(statuses)} requests in {took:.1f} s through PgBouncer with "
        f"DATABASE_SERVER_SIDE_BINDING={binding}: statuses {dict(sorted(counts.items()))}"
    )
    errors = [line for line in log_path.read_text().splitlines() if "prepared statement" in line]
    for line in errors[:3]:
        print("    " + line[:240])
    bad = sum(n for status, n in counts.items() if status >= 500 or status == 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
