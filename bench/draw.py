"""Benchmark the draw of one lottery day on PostgreSQL (`make bench-draw`).

Fills one day with 100,000 and another with 1,000,000 ballots (BENCH_DRAW_SIZES, default
100000,1000000, chooses the sizes, e.g. add 10000000), then for each prints the wall time
of `SELECT count(*)` of that day's ballots, the wall time of the draw (count, Merkle root,
winner), the draw's peak memory (Python allocations and the process's max RSS, measured in
a fresh process), and the p50/p99 of GET /draws/{date}/ballots/{id}/proof over PROOFS
random ballots, served through the whole Django stack in-process (Django's test client:
routing, Ninja, JSON; no socket).
Targets: a 1M draw under 5 s with memory flat in the ballot count; proof p99 under 50 ms.
The draw/count ratio is printed too (the Merkle root hashes every id in Python, so it is
far above the 3x that a count-and-pick-one draw reached). These days publish a delay of
2^1, so the "draw" column is the close (count and Merkle root) and the winner's look-up.

Then the delay function on its own: 2^BENCH_VDF_LOG2 squarings (default 22; 27 is the
production default and takes minutes) with GMP and with CPython's integers, the time per
squaring and what that makes 2^27, the proof's size and the verifier's time to check it.
Last, scripts/verify_draw.py against a real server (runserver on the bench database) on
the largest day: the whole day and --ballot.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/lottery_bench (default)
"""

import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.production import create_database, setup_bench_django  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lottery_bench"
)
# BENCH_DRAW_SIZES=100000,1000000,10000000 chooses the day sizes. Each size fills a day of
# its own (1000-01-01 plus size // 1000 days), so a later run reuses a filled day.
SIZES = {
    date(1000, 1, 1) + timedelta(days=size // 1000): size
    for size in map(int, os.environ.get("BENCH_DRAW_SIZES", "100000,1000000").split(","))
}
REPEATS = 3
PROOFS = 1000
WARM_UP_DAY = date(1999, 1, 1)


def fill() -> None:
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from ballots.models import Ballot, Lottery

    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(username="bench")
    for day, size in SIZES.items():
        # The close is measured here; the delay function has its own table below.
        lottery, _ = Lottery.objects.get_or_create(date=day, defaults={"vdf_delay_log2": 1})
        Lottery.objects.filter(pk=lottery.pk).update(
            rule=Lottery.Rule.DELAY_FUNCTION, vdf_delay_log2=1
        )
        have = Ballot.objects.filter(lottery=lottery).count()
        if have != size:
            print(f"filling {day} with {size:,} ballots ...", flush=True)
            Ballot.objects.filter(lottery=lottery).delete()
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO ballots_ballot (id, user_id, lottery_id, created_at) "
                    "SELECT gen_random_uuid(), %s, %s, now() FROM generate_series(1, %s)",
                    [user.pk, lottery.pk, size],
                )
    with connection.cursor() as cursor:
        # What autovacuum does after a bulk load; lets both queries use index-only scans.
        cursor.execute("VACUUM ANALYZE ballots_ballot")


def time_count(day: date) -> float:
    from django.db import connection

    from ballots.models import Lottery

    lottery_id = Lottery.objects.get(date=day).pk
    timings = []
    with connection.cursor() as cursor:
        for _ in range(REPEATS + 1):  # the first run warms the cache
            started = time.perf_counter()
            cursor.execute(
                "SELECT count(*) FROM ballots_ballot WHERE lottery_id = %s", [lottery_id]
            )
            cursor.fetchone()
            timings.append(time.perf_counter() - started)
    return statistics.median(timings[1:])


def reset(day: date) -> None:
    from ballots.models import Lottery
    from draws.models import Draw
    from record.models import Checkpoint, Cosignature, Entry, Head, WitnessProgress

    # The chain protects a draw that another follows: unlink it first (bench data only).
    Draw.objects.filter(previous__lottery__date=day).update(previous=None)
    Draw.objects.filter(lottery__date=day).delete()
    Lottery.objects.filter(date=day).update(state=Lottery.State.CLOSED)
    # The log holds one close and one draw per day for good: a redrawn bench day starts a new
    # log (its policy is logged again by the draw, marked demo: it is made after the fact).
    for model in (Cosignature, WitnessProgress, Checkpoint, Entry, Head):
        model.objects.all().delete()


def measure_one(day: date) -> dict[str, float]:
    """Run in a fresh process: draw ``day`` twice; report time and peak memory.

    The timed draw runs without tracemalloc (tracing every allocation slows the hashing
    about threefold); a second draw of the same day, traced, gives the Python peak.
    """
    import resource

    from draws.services import lottery_draw

    # A long-running worker is warm: draw an empty day first, so that the timed draw pays
    # neither first-use costs in Python nor the connection's catalog look-ups.
    reset(WARM_UP_DAY)
    lottery_draw(lottery_date=WARM_UP_DAY)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    draw = lottery_draw(lottery_date=day)
    elapsed = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reset(day)
    tracemalloc.start()
    again = lottery_draw(lottery_date=day)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert again.winning_ballot_id == draw.winning_ballot_id  # the same public inputs
    return {
        "seconds": elapsed,
        "python_peak_kib": peak / 1024,
        "max_rss_kib": rss_after,
        "rss_growth_kib": rss_after - rss_before,
        "ballot_count": draw.ballot_count,
    }


def time_proofs(day: date) -> list[float]:
    """Seconds per proof request, for PROOFS ballots spread over the day."""
    from django.db import connection
    from django.test import Client

    from ballots.models import Lottery

    lottery_id = Lottery.objects.get(date=day).pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM ballots_ballot TABLESAMPLE SYSTEM (5) WHERE lottery_id = %s LIMIT %s",
            [lottery_id, PROOFS],
        )
        ballot_ids = [row[0] for row in cursor.fetchall()]
        if len(ballot_ids) < PROOFS:  # a small day: 5% of the table's pages may miss it
            cursor.execute(
                "SELECT id FROM ballots_ballot WHERE lottery_id = %s ORDER BY random() LIMIT %s",
                [lottery_id, PROOFS],
            )
            ballot_ids = [row[0] for row in cursor.fetchall()]
    client = Client(HTTP_HOST="localhost")
    client.get(f"/draws/{day}/ballots/{ballot_ids[0]}/proof")  # warm
    timings = []
    for ballot_id in ballot_ids:
        started = time.perf_counter()
        response = client.get(f"/draws/{day}/ballots/{ballot_id}/proof")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content
    return sorted(timings)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure-one":
        setup_bench_django(DATABASE_URL)
        print(json.dumps(measure_one(date.fromisoformat(sys.argv[2]))))
        return
    create_database(DATABASE_URL)
    setup_bench_django(DATABASE_URL)
    fill()
    print(
        f"{'ballots':>10} {'count(*)':>10} {'draw':>10} {'ratio':>6} "
        f"{'py peak':>10} {'max RSS':>10} {'RSS growth':>11} {'proof p50':>10} {'proof p99':>10}"
    )
    for day, size in SIZES.items():
        count_seconds = time_count(day)
        runs = []
        for _ in range(REPEATS):
            reset(day)
            out = subprocess.run(
                [sys.executable, __file__, "--measure-one", day.isoformat()],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
        assert all(run["ballot_count"] == size for run in runs)
        draw_seconds = statistics.median(run["seconds"] for run in runs)
        proofs = time_proofs(day)
        p50, p99 = proofs[len(proofs) // 2], proofs[int(len(proofs) * 0.99) - 1]
        print(
            f"{size:>10,} {count_seconds * 1000:>8.1f}ms {draw_seconds * 1000:>8.1f}ms "
            f"{draw_seconds / count_seconds:>5.2f}x "
            f"{max(r['python_peak_kib'] for r in runs):>7.0f}KiB "
            f"{max(r['max_rss_kib'] for r in runs) / 1024:>7.1f}MiB "
            f"{max(r['rss_growth_kib'] for r in runs):>8.0f}KiB "
            f"{p50 * 1000:>8.1f}ms {p99 * 1000:>8.1f}ms",
            flush=True,
        )


def time_delay_function() -> None:
    from draws import vdf

    log2 = int(os.environ.get("BENCH_VDF_LOG2", "22"))
    x = vdf.input_element(f"bench|{log2}")
    print(f"\ndelay function, 2^{log2} squarings (RSA-2048 group):")
    print(
        f"{'backend':>10} {'evaluate':>10} {'per square':>11} {'at 2^27':>9} "
        f"{'proof':>8} {'verify':>8}"
    )
    for native in (True, False):
        if native and vdf.gmpy2 is None:
            print(f"{'gmpy2':>10} not installed")
            continue
        started = time.perf_counter()
        evaluation = vdf.evaluate(x, log2, native=native)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        assert vdf.verify(x, evaluation.output, evaluation.proof, log2)
        verify_seconds = time.perf_counter() - started
        per_square = seconds / (1 << log2)
        print(
            f"{'gmpy2' if native else 'CPython':>10} {seconds:>9.1f}s {per_square * 1e6:>8.2f} us "
            f"{per_square * (1 << 27) / 60:>6.1f}min {len(evaluation.proof) * 256:>6} B "
            f"{verify_seconds * 1000:>6.0f}ms",
            flush=True,
        )
    print(f"(a proof at 2^27 is 27 x 256 B = {27 * 256:,} B)")


def time_verifier(day: date) -> None:
    """scripts/verify_draw.py over HTTP against runserver on the bench database."""
    import socket
    import urllib.request

    from ballots.models import Ballot
    from draws.services import lottery_draw

    reset(day)
    draw = lottery_draw(lottery_date=day)
    some_ballot = Ballot.objects.filter(lottery__date=day).values_list("id", flat=True).first()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/health/live", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        print(f"\nscripts/verify_draw.py on {draw.ballot_count:,} ballots (runserver):")
        for label, extra in (("whole day", []), ("--ballot", ["--ballot", str(some_ballot)])):
            started = time.perf_counter()
            result = subprocess.run(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    str(ROOT / "scripts" / "verify_draw.py"),
                    base,
                    day.isoformat(),
                    "--min-delay",
                    "2^1",
                    *extra,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - started
            assert result.returncode == 0, result.stdout + result.stderr
            print(f"{label:>10} {seconds:>6.2f}s  {result.stdout.strip().splitlines()[-1]}")
    finally:
        server.terminate()
        server.wait()


def time_log(years: int = 10) -> None:
    """The public record's costs at ``years`` of days (a policy, a close and a draw each):
    an append with its signed checkpoint, a real witness's cosignature per event, and the
    proofs' sizes and times."""
    import tempfile

    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from record import tree
    from record.keys import log_signer
    from record.models import Checkpoint, Entry, Head
    from record.services import record_append
    from record.witnessing import witnesses_ask

    days = years * 365
    reset(date(1, 1, 1))  # an empty log
    first = date(2000, 1, 1)
    texts = []
    for n in range(days):
        day = (first + timedelta(days=n)).isoformat()
        texts += [
            f"lottery-policy/v1\ndate {day}\n" + "x" * 280,
            f"lottery-close/v1\ndate {day}\n" + "x" * 200,
            f"lottery-draw/v1\ndate {day}\n" + "x" * 1100,
        ]
    now = timezone.now()
    Entry.objects.bulk_create(
        [
            Entry(
                index=i,
                kind=("policy", "close", "draw")[i % 3],
                date=first + timedelta(days=i // 3),
                text=text,
                leaf_hash=tree.leaf_hash(text.encode()),
                logged_at=now,
            )
            for i, text in enumerate(texts)
        ],
        batch_size=5000,
    )
    Head.objects.update_or_create(pk=1, defaults={"size": len(texts)})
    print(f"\nthe public record at {years} years ({len(texts):,} entries):")
    from django.db import transaction

    appends = []
    for n in range(10):
        started = time.perf_counter()
        with transaction.atomic():
            record_append(
                kind=Entry.Kind.POLICY, lottery_date=date(3000, 1, 1) + timedelta(n), text=f"e{n}\n"
            )
        appends.append(time.perf_counter() - started)
    print(
        f"{'append + signed checkpoint':>32} {statistics.median(appends) * 1000:>7.1f} ms"
        " (median of 10)"
    )

    with tempfile.TemporaryDirectory() as folder:
        witness = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "witness.py"),
                "--port",
                "0",
                "--key-file",
                f"{folder}/key",
                "--log-key",
                log_signer().verifier.vkey,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            vkey = witness.stdout.readline().strip()  # type: ignore[union-attr]
            url = witness.stdout.readline().split()[-1]  # type: ignore[union-attr]
            with override_settings(LOTTERY_WITNESS_URLS=[url], LOTTERY_WITNESS_KEYS=[vkey]):
                started = time.perf_counter()
                witnesses_ask()  # the first: the whole log, from size 0
                first_seconds = time.perf_counter() - started
                rounds = []
                for n in range(10):
                    with transaction.atomic():
                        record_append(
                            kind=Entry.Kind.CLOSE,
                            lottery_date=date(3000, 1, 1) + timedelta(n),
                            text=f"c{n}\n",
                        )
                    started = time.perf_counter()
                    witnesses_ask()
                    rounds.append(time.perf_counter() - started)
        finally:
            witness.terminate()
            witness.wait()
    print(f"{'a witness cosigns, first time':>32} {first_seconds * 1000:>7.1f} ms")
    print(
        f"{'a witness cosigns one event':>32} {statistics.median(rounds) * 1000:>7.1f} ms"
        " (median of 10, its consistency proof included)"
    )

    size = Checkpoint.objects.order_by("-size").first().size  # type: ignore[union-attr]
    client = Client(HTTP_HOST="localhost")
    for label, url in (
        ("inclusion proof", f"/log/proof/inclusion?index={size // 2}&size={size}"),
        ("consistency proof", f"/log/proof/consistency?old={size // 3}&new={size}"),
        ("all entries, 1,000 a page", "/log/entries?start=0&limit=1000"),
    ):
        started = time.perf_counter()
        answer = client.get(url)
        seconds = time.perf_counter() - started
        body = answer.json()
        detail = (
            f"{len(body['path'])} hashes, {len(body['path']) * 32} B"
            if "path" in body
            else f"{len(answer.content):,} B a page, {size // 1000 + 1} pages"
        )
        print(f"{label:>32} {seconds * 1000:>7.1f} ms  {detail}")


if __name__ == "__main__":
    main()
    if len(sys.argv) == 1:
        time_log()
        time_delay_function()
        time_verifier(max(SIZES, key=SIZES.__getitem__))
