"""Benchmark the API served the production way (`make bench-api`).

The Docker image's server command line (Granian), DEBUG off, PostgreSQL, Redis cache; a fresh
database each run. Every endpoint is loaded with wrk (32 connections, 20 s each) on the SAME
server in the SAME run as `GET /docs`, the framework floor: a page Django and Ninja serve
without touching the database. Each endpoint's requests/s is printed as a fraction of that
floor, which is what stays comparable on a shared, noisy machine. The floor is measured first
and last; the ratios use the mean of the two, and both are printed so drift shows.

One row per 201: wrk stops with up to one request per connection still in flight, which the
server completes but wrk never counts, so its tally can only bound the rows. Exact checks
follow: 32 threads send exactly 3,200 POST /ballots, and 8 threads 200 batches of 100; the
new rows must equal the ballots acknowledged (the 201s, and the ids in the batch answers).

    BENCH_PG=postgres://postgres@127.0.0.1:5432   BENCH_DB=lottery_bench_api
    BENCH_PORT=8123   BENCH_DURATION=20   BENCH_CONNECTIONS=32   BENCH_CACHE_URL=redis://.../13
    BENCH_ONLY=docs,ballot,...  (a subset of the phases below; the floor is always measured)
    BENCH_PROFILE=out.txt  (py-spy samples the server during POST /ballots; collapsed stacks)

Where the CPU goes: for each endpoint, the CPU time the server's processes and PostgreSQL's
processes used during its load, per request (Linux /proc). With both cores busy, these say
which tier saturates first and what a request costs in each.
"""

import http.client
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable
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
PROFILE = os.environ.get("BENCH_PROFILE", "")
DRAWN_DAY = "2000-01-01"  # a past day the benchmark fills and draws before it starts
DRAWN_DAY_BALLOTS = 1_000
BATCH = 100
ENV = {
    **os.environ,
    "DEBUG": "false",
    "SECRET_KEY": "bench-" + "k" * 60,
    "LOTTERY_LOG_KEY_FILE": str(ROOT / "tests" / "log_key.test"),
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


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True)


def draw_a_past_day(username: str) -> None:
    """Give DRAWN_DAY some ballots and draw it, so GET /draws/{date} has a result to serve."""
    with psycopg.connect(f"{PG}/{DB_NAME}", autocommit=True) as conn:
        conn.execute(
            # A bench day's seed from random(), with its commitment as the model makes it; the
            # old rule, whose draw needs no delay function.
            "INSERT INTO ballots_lottery (date, state, created_at, seed, seed_commitment, rule) "
            "SELECT %s, 'open', now(), seed, encode(sha256(seed), 'hex'), 'hmac-sha256' "
            "FROM (SELECT decode(md5(random()::text) || md5(random()::text), 'hex') AS seed) s",
            [DRAWN_DAY],
        )
        conn.execute(
            "INSERT INTO ballots_ballot (id, user_id, lottery_id, created_at) "
            "SELECT gen_random_uuid(), u.id, l.id, now() "
            "FROM accounts_user u, ballots_lottery l, generate_series(1, %s) "
            "WHERE u.username = %s AND l.date = %s",
            [DRAWN_DAY_BALLOTS, username, DRAWN_DAY],
        )
    manage("draw", "--date", DRAWN_DAY)


def wrk(script: str, path: str, token: str = "", body: str = "") -> dict[str, float]:
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
    env = {**os.environ, "BENCH_TOKEN": token, "BENCH_BODY": body}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
    figures["non_2xx"] = float(non_2xx.group(1)) if non_2xx else 0.0
    return figures


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server (its process and workers) and by PostgreSQL."""
    used = {"server": 0.0, "postgres": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process just ended
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        pid, ppid = int(entry.name), int(fields[1])
        tier = "server" if server_pid in (pid, ppid) else "postgres" if name == "postgres" else ""
        if tier:
            used[tier] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def with_cpu(server_pid: int, run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run one load; add each tier's CPU microseconds per request to its figures."""
    before = cpu_seconds(server_pid)
    figures = run()
    after = cpu_seconds(server_pid)
    requests = figures["rps"] * DURATION
    for tier in before:
        figures[f"{tier}_us"] = (after[tier] - before[tier]) / requests * 1e6 if requests else 0
    return figures


def profiled(server_pid: int, run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run ``run`` while py-spy samples every process of the server (BENCH_PROFILE)."""
    spy = subprocess.Popen(
        [
            *("py-spy", "record", "--pid", str(server_pid), "--subprocesses", "--format", "raw"),
            *("--rate", "200", "--duration", str(DURATION), "--nonblocking", "-o", PROFILE),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return run()
    finally:
        spy.wait(timeout=DURATION + 30)


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
    run_threads(client, threads)
    return counts["created"], counts["other"], count_ballots() - before


def exact_batch_check(token: str, threads: int = 8, each: int = 25) -> tuple[int, int, int]:
    """Send threads x each batches of BATCH; return (ballots acknowledged, other, new rows).

    A ballot counts as acknowledged when its id is in a 201 answer, and only if the answer's
    "count" agrees with its ids.
    """
    counts = {"acknowledged": 0, "other": 0}
    lock = threading.Lock()
    body = json.dumps({"count": BATCH})

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        for _ in range(each):
            conn.request("POST", "/ballots/batch", body, headers)
            response = conn.getresponse()
            answer = json.loads(response.read())
            ok = response.status == 201 and answer["count"] == len(set(answer["ids"])) == BATCH
            with lock:
                if ok:
                    counts["acknowledged"] += len(answer["ids"])
                else:
                    counts["other"] += 1
        conn.close()

    before = count_ballots()
    run_threads(client, threads)
    return counts["acknowledged"], counts["other"], count_ballots() - before


def run_threads(target: Callable[[], None], threads: int) -> None:
    workers = [threading.Thread(target=target) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def count_ballots() -> int:
    with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
        (stored,) = conn.execute("SELECT count(*) FROM ballots_ballot").fetchone() or (0,)
    return int(stored)


def has_path(path: str) -> bool:
    with urllib.request.urlopen(BASE + "/openapi.json", timeout=10) as response:
        return path in json.load(response)["paths"]


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    only = {p for p in os.environ.get("BENCH_ONLY", "").split(",") if p}
    recreate_database(PG, DB_NAME, ENV)
    cmd = server_command(PORT)
    print("serving:", shlex.join(cmd), flush=True)
    server = subprocess.Popen(cmd, cwd=ROOT, env=ENV)
    results: dict[str, dict[str, float]] = {}
    checks: list[tuple[str, int, int, int]] = []
    stored = 0

    def load(*args: str) -> dict[str, float]:
        return with_cpu(server.pid, lambda: wrk(*args))

    def phase(name: str) -> bool:
        wanted = not only or name in only
        if wanted:
            print(f"  loading {name} ...", flush=True)
        return wanted

    try:
        wait_until_up(BASE)
        post_json(
            BASE + "/accounts/register", {"username": "bench", "password": "bench-pass-phrase-1"}
        )
        token = post_json(
            BASE + "/token/pair", {"username": "bench", "password": "bench-pass-phrase-1"}
        )
        access = token["access"]
        draw_a_past_day("bench")
        batch = has_path("/ballots/batch")

        results["GET /docs (floor, first)"] = load("get.lua", "/docs")
        if phase("ballot"):
            before = count_ballots()
            ballots = lambda: load("post.lua", "/ballots", access, "{}")  # noqa: E731
            results["POST /ballots"] = profiled(server.pid, ballots) if PROFILE else ballots()
            stored = count_ballots() - before
        if phase("draw"):
            results[f"GET /draws/{DRAWN_DAY}"] = load("get.lua", f"/draws/{DRAWN_DAY}")
        if phase("draws"):
            results["GET /draws"] = load("get.lua", "/draws")
        if phase("lotteries"):
            results["GET /lotteries"] = load("get.lua", "/lotteries")
        if batch and phase("batch"):
            body = json.dumps({"count": BATCH})
            results[f"POST /ballots/batch x{BATCH}"] = load(
                "post.lua", "/ballots/batch", access, body
            )
        results["GET /docs (floor, last)"] = load("get.lua", "/docs")
        if phase("check"):
            checks.append(("POST /ballots, 32 x 100", *exact_check(access)))
            if batch:
                checks.append(
                    (f"POST /ballots/batch, 8 x 25 x {BATCH}", *exact_batch_check(access))
                )
    finally:
        server.terminate()
        server.wait(timeout=30)

    report(results, checks, stored)


def report(
    results: dict[str, dict[str, float]], checks: list[tuple[str, int, int, int]], stored: int
) -> None:
    floors = [r["rps"] for name, r in results.items() if name.startswith("GET /docs")]
    floor = sum(floors) / len(floors)
    print(f"\nfloor: GET /docs {' -> '.join(f'{f:.0f}' for f in floors)} req/s, mean {floor:.0f}")
    print(
        f"{'endpoint':<30} {'req/s':>8} {'x floor':>8} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>8}"
        f" {'server CPU':>11} {'PG CPU':>8}"
    )
    for name, r in results.items():
        print(
            f"{name:<30} {r['rps']:>8.0f} {r['rps'] / floor:>8.2f} {r['p50_ms']:>7.1f} "
            f"{r['p99_ms']:>7.1f} {r['non_2xx']:>8.0f} "
            f"{r['server_us']:>8.0f} us {r['postgres_us']:>5.0f} us"
        )
    failed = False
    ballots = results.get("POST /ballots")
    if ballots:
        in_flight = stored - ballots["created"]
        print(
            f"POST /ballots: wrk counted {ballots['created']:.0f} 201s, {stored} rows were "
            f"added ({in_flight:+.0f}: requests in flight when wrk stopped, at most {CONNECTIONS})"
        )
        failed |= not 0 <= in_flight <= CONNECTIONS
    batch = results.get(f"POST /ballots/batch x{BATCH}")
    if batch:
        per_second = batch["created"] * BATCH / batch["seconds"]
        print(f"POST /ballots/batch x{BATCH}: {per_second:,.0f} ballots/s acknowledged")
    for name, acknowledged, other, new_rows in checks:
        ok = new_rows == acknowledged and other == 0
        verdict = "rows added = ballots acknowledged" if ok else "MISMATCH"
        print(
            f"exact check {name}: {acknowledged} acknowledged, {other} other, "
            f"{new_rows} rows added: {verdict}"
        )
        failed |= not ok
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
