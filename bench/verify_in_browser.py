"""Time the in-browser verifier on a large day, in Debian's chromium (`make bench-verify-browser`).

Fills one day with BENCH_VERIFY_SIZE ballots (default 1,000,000) on PostgreSQL, draws it,
serves the app, opens the day's result page in headless chromium, presses "Verify this
draw" and prints how long the browser took to download the ids and recompute every check
(and whether they passed), then the same for scripts/verify_draw.py on the same day.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/lottery_bench_verify (default)
"""

import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.production import create_database, setup_bench_django  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lottery_bench_verify"
)
SIZE = int(os.environ.get("BENCH_VERIFY_SIZE", "1000000"))
DAY = date(2001, 1, 2)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def fill_and_draw() -> None:
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from ballots.models import Ballot, Lottery
    from draws.models import Draw
    from draws.services import lottery_draw

    call_command("migrate", verbosity=0)
    if Draw.objects.filter(lottery__date=DAY, ballot_count=SIZE).exists():
        print(f"{DAY}: already drawn with {SIZE:,} ballots", flush=True)
        return
    user, _ = User.objects.get_or_create(username="bench")
    Draw.objects.filter(lottery__date=DAY).delete()
    lottery, _ = Lottery.objects.get_or_create(date=DAY)
    Lottery.objects.filter(pk=lottery.pk).update(state=Lottery.State.OPEN)
    Ballot.objects.filter(lottery=lottery).delete()
    print(f"filling {DAY} with {SIZE:,} ballots ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ballots_ballot (id, user_id, lottery_id, created_at) "
            "SELECT gen_random_uuid(), %s, %s, now() FROM generate_series(1, %s)",
            [user.pk, lottery.pk, SIZE],
        )
    started = time.perf_counter()
    draw = lottery_draw(lottery_date=DAY)
    print(f"drew {DAY}: {draw.ballot_count:,} ballots in {time.perf_counter() - started:.1f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def published_delay() -> str:
    """The day's delay as 2^t: both verifiers are told to accept it (a bench day's is short)."""
    from draws.models import Draw

    t = Draw.objects.get(lottery__date=DAY).vdf_delay_log2
    return f"2^{t}" if t is not None else "2^27"


def time_browser(base: str, floor: str) -> tuple[float, str, int, str]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page()
            page.goto(f"{base}/results/{DAY}")
            section = page.locator("section.verifier").first
            if page.locator("#min-delay").count():
                page.locator("#min-delay").fill(floor)
            started = time.perf_counter()
            page.get_by_role("button", name="Verify this draw").click()
            section.locator(".outcome[data-outcome]").wait_for(timeout=30 * 60_000)
            took = time.perf_counter() - started
            outcome = section.locator(".outcome").get_attribute("data-outcome") or ""
            checks = section.locator(".checks li").count()
            failed = "; ".join(section.locator(".checks li.fail").all_inner_texts())
            version = browser.version
        finally:
            browser.close()
    print(f"chromium {version}")
    return took, outcome, checks, failed


def main() -> None:
    create_database(DATABASE_URL)
    setup_bench_django(DATABASE_URL)
    fill_and_draw()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "true", "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        from scripts.production import wait_until_up

        wait_until_up(base)
        floor = published_delay()
        took, outcome, checks, failed = time_browser(base, floor)
        print(
            f"in-browser verifier, whole day of {SIZE:,} ballots (delay {floor}): {took:.1f} s, "
            f"{checks} checks, outcome {outcome}" + (f" ({failed})" if failed else "")
        )
        started = time.perf_counter()
        result = subprocess.run(
            [
                *(sys.executable, "-I", "-S", str(ROOT / "scripts" / "verify_draw.py")),
                *(base, str(DAY), "--min-delay", floor),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        took = time.perf_counter() - started
        last = (result.stdout.strip().splitlines() or [""])[-1]
        print(f"scripts/verify_draw.py, same day: {took:.1f} s, exit {result.returncode} ({last})")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
