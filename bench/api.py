"""Benchmark the API served the production way (`make bench-api`).

The Docker image's server command line (Granian), DEBUG off, PostgreSQL, Redis cache; a fresh
database each run. Registers a user, then drives POST /ballots with wrk (32 connections,
20 s) and GET /lotteries, and prints requests/s, p50/p99 latency and non-2xx responses.

One row per 201: wrk stops with up to one request per connection still in flight, which the
server completes but wrk never counts, so its tally can only bound the rows. An exact check
follows: 32 threads send exactly 3,200 POSTs, and the new rows must equal their 201s.

    BENCH_PG=postgres://postgres@127.0.0.1:5432   BENCH_DURATION=20   BENCH_CONNECTIONS=32
    BENCH_DB=lottery_bench_api   BENCH_PORT=8123   BENCH_CACHE_URL=redis://127.0.0.1:6379/13
"""

import http.client
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.production import post_json, recreate_database, server_command, wait_until_up  # noqa: E402

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB", "lottery_bench_api")
PORT = int(os.environ.get("BENCH_PORT", "8123"))
BASE = f"http://127.0.0.1:{PORT}"
DURATION = int(os.environ.get("BENCH_DURATION", "20"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
ENV = {
    **os.environ,
    "DEBUG": "false",
    "SECRET_KEY": "bench-" + "k" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; nothing terminates TLS here
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13"),
    "AUTH_RATE_LIMIT_PER_MINUTE": "1000",
    # One user sends every ballot: the per-user limit (one Redis round trip a ballot) is
    # still charged, but must not refuse.
    "BALLOT_RATE_LIMIT_PER_MINUTE": "1000000000",
    "LOG_LEVEL": "WARNING",
    "LOTTERY_VAR_DIR": str(ROOT / "bench" / "out" / "var"),
}


def wrk(script: str, path: str, token: str = "") -> dict[str, float]:
    cmd = [
        "wrk",
        f"-t{os.environ.get('BENCH_WRK_THREADS', '2')}",
        f"-c{CONNECTIONS}",
        f"-d{DURATION}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / script),
        BASE + path,
    ]
    out = subprocess.run(
        cmd, env={**os.environ, "BENCH_TOKEN": token}, capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
    figures["non_2xx"] = float(non_2xx.group(1)) if non_2xx else 0.0
    return figures


def exact_check(token: str, threads: int = 32, each: int = 100) -> tuple[int, int, int]:
    """Send threads x each POSTs; return (201s, other answers, new rows in the database)."""
    counts = {"created": 0, "other": 0}
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        for _ in range(each):
            conn.request("POST", "/ballots", "{}", headers)
            response = conn.getresponse()
            response.read()
            with lock:
                counts["created" if response.status == 201 else "other"] += 1
        conn.close()

    before = count_ballots()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counts["created"], counts["other"], count_ballots() - before


def count_ballots() -> int:
    with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
        (stored,) = conn.execute("SELECT count(*) FROM ballots_ballot").fetchone() or (0,)
    return int(stored)


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    recreate_database(PG, DB_NAME, ENV)
    cmd = server_command(PORT)
    print("serving:", shlex.join(cmd), flush=True)
    server = subprocess.Popen(cmd, cwd=ROOT, env=ENV)
    try:
        wait_until_up(BASE)
        post_json(
            BASE + "/accounts/register", {"username": "bench", "password": "bench-pass-phrase-1"}
        )
        token = post_json(
            BASE + "/token/pair", {"username": "bench", "password": "bench-pass-phrase-1"}
        )
        ballots = wrk("post_ballot.lua", "/ballots", token["access"])
        stored = count_ballots()
        lotteries = wrk("get.lua", "/lotteries")
        created, other, new_rows = exact_check(token["access"])
    finally:
        server.terminate()
        server.wait(timeout=30)

    in_flight = stored - ballots["created"]
    print(
        f"POST /ballots  {ballots['rps']:8.0f} req/s  p50 {ballots['p50_ms']:.1f} ms  "
        f"p99 {ballots['p99_ms']:.1f} ms  non-2xx {ballots['non_2xx']:.0f}"
    )
    print(
        f"  wrk counted {ballots['created']:.0f} 201s; the database has {stored} ballots "
        f"({in_flight:+.0f}: requests in flight when wrk stopped, at most {CONNECTIONS})"
    )
    print(
        f"GET /lotteries {lotteries['rps']:8.0f} req/s  p50 {lotteries['p50_ms']:.1f} ms  "
        f"p99 {lotteries['p99_ms']:.1f} ms  non-2xx {lotteries['non_2xx']:.0f}"
    )
    verdict = "exactly one row per 201" if new_rows == created and other == 0 else "MISMATCH"
    print(f"exact check: {created} x 201, {other} other, {new_rows} new rows: {verdict}")
    if verdict == "MISMATCH" or not 0 <= in_flight <= CONNECTIONS:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
