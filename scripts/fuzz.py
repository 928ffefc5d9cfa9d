"""Fuzz the API with schemathesis (`make fuzz`), on the production shape.

Serves the app as the Docker image does (Granian, DEBUG off) on a fresh PostgreSQL database
with a Redis cache, registers a user, obtains an access token and runs every schemathesis
check and phase (examples, coverage, fuzzing, stateful) against every operation that
/openapi.json lists, with that Bearer token. The run is bounded by FUZZ_MAX_TIME seconds
(default 150) and exits non-zero on any failure. Relaxed checks, each with its reason, live
in schemathesis.toml; nothing else is relaxed.

    FUZZ_PG=postgres://postgres@127.0.0.1:5432  FUZZ_DB=lottery_fuzz  FUZZ_PORT=8124
    FUZZ_CACHE_URL=redis://127.0.0.1:6379/12     FUZZ_MAX_TIME=150     FUZZ_SEED=(random)
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.production import post_json, recreate_database, server_command, wait_until_up  # noqa: E402

PG = os.environ.get("FUZZ_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("FUZZ_DB", "lottery_fuzz")
PORT = int(os.environ.get("FUZZ_PORT", "8124"))
BASE = f"http://127.0.0.1:{PORT}"
MAX_TIME = os.environ.get("FUZZ_MAX_TIME", "150")
ENV = {
    **os.environ,
    "DEBUG": "false",
    "SECRET_KEY": "fuzz-" + "k" * 60,
    "LOTTERY_LOG_KEY_FILE": str(ROOT / "tests" / "log_key.test"),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "CACHE_URL": os.environ.get("FUZZ_CACHE_URL", "redis://127.0.0.1:6379/12"),
    # The limits are tested by the suite; here they would only turn answers into 429s.
    "AUTH_RATE_LIMIT_PER_MINUTE": "1000000",
    "AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE": "1000000",
    "BALLOT_RATE_LIMIT_PER_MINUTE": "1000000",
    "PUBLIC_READ_RATE_LIMIT_PER_MINUTE": "1000000",
    "JWT_ACCESS_MINUTES": "60",  # outlives the run
    "LOG_LEVEL": "ERROR",
    "LOTTERY_VAR_DIR": str(ROOT / "var" / "fuzz"),
}


def main() -> int:
    recreate_database(PG, DB_NAME, ENV)
    # What the worker would have done: past days get their result, so /health/draws is well
    # (no worker or beat runs here) and /draws/{date} has a drawn day to read.
    subprocess.run([sys.executable, "manage.py", "draw"], cwd=ROOT, env=ENV, check=True)
    # The server's log (a warning per 4xx) would drown schemathesis' report.
    log_path = Path(ENV["LOTTERY_VAR_DIR"]) / "server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    server = subprocess.Popen(server_command(PORT), cwd=ROOT, env=ENV, stdout=log, stderr=log)
    try:
        wait_until_up(BASE)
        credentials = {"username": "fuzzer", "password": "fuzz-pass-phrase-1"}
        post_json(BASE + "/accounts/register", credentials)
        access = post_json(BASE + "/token/pair", credentials)["access"]
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{BASE}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-time",
            MAX_TIME,
            "--header",
            f"Authorization: Bearer {access}",
            "--workers",
            "2",
            *(["--seed", os.environ["FUZZ_SEED"]] if os.environ.get("FUZZ_SEED") else []),
        ]
        print("fuzzing:", " ".join(command[:8]), "...", flush=True)
        started = time.monotonic()
        result = subprocess.run(command, cwd=ROOT, env=ENV, check=False)
        print(f"schemathesis took {time.monotonic() - started:.0f} s; server log: {log_path}")
        return result.returncode
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


if __name__ == "__main__":
    sys.exit(main())
