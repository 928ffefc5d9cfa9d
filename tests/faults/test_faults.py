"""Fault tests: real web, worker and beat processes; faults cut real connections.

Each scenario starts Granian (the Dockerfile's command), a Celery worker and Celery beat as
subprocesses on the local PostgreSQL and Redis, reached through relays the test controls,
in a time zone whose midnight comes within about a minute of their start. The sweep, the
retries and the visibility timeout are scaled from minutes to seconds (cluster.SCALED).
Each checks that the day gets exactly one result counting every ballot that got a 201, and
prints how long after the fault ended the day was drawn.
"""

import http.client
import itertools
import json
import re
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from ballots.models import Ballot, Lottery
from draws.models import Draw
from tests.conftest import wait_until_a_query_waits_on_a_lock
from tests.faults.cluster import SCALED, Cluster
from tests.faults.relay import Relay
from tests.silent import SilentServer
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.fault,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

BROKER = urlsplit(settings.CELERY_BROKER_URL)
BROKER_DB = int(BROKER.path.strip("/") or 0)
TASK = "draws.tasks.lottery_draw_closed_days"
SWEEP = int(SCALED["LOTTERY_SWEEP_SECONDS"])
RETRY_DELAY = int(SCALED["LOTTERY_RETRY_DELAY_SECONDS"])
VISIBILITY = int(SCALED["CELERY_VISIBILITY_TIMEOUT"])


@pytest.fixture
def pg_relay() -> Iterator[Relay]:
    db = settings.DATABASES["default"]
    relay = Relay(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    yield relay
    relay.close()


@pytest.fixture
def redis_relay() -> Iterator[Relay]:
    relay = Relay(BROKER.hostname or "127.0.0.1", BROKER.port or 6379)
    yield relay
    relay.close()


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    client = redis.Redis(
        host=BROKER.hostname or "127.0.0.1", port=BROKER.port or 6379, db=BROKER_DB
    )
    _forget_queued_messages(client)
    yield client
    _forget_queued_messages(client)
    client.close()


@pytest.fixture
def cluster(tmp_path, pg_relay, redis_relay, broker, capsys) -> Iterator[Cluster]:
    db = settings.DATABASES["default"]
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    app = Cluster(
        tmp_path,
        # sslmode=disable: libpq would otherwise try SSL, then plain, each with its own
        # connect timeout, and one attempt would outlast the scaled retry delay.
        database_url=f"postgres://{credentials}@127.0.0.1:{pg_relay.port}/{db['NAME']}"
        "?sslmode=disable",
        broker_url=f"redis://127.0.0.1:{redis_relay.port}/{BROKER_DB}",
    )
    try:
        yield app
    finally:
        pg_relay.set_mode("forward")
        redis_relay.set_mode("forward")
        app.stop()
        connection.close()  # the app's connections are gone; the test database may be dropped


def report(capsys, title: str, lines: list[str]) -> None:
    with capsys.disabled():
        print(f"\n[fault] {title}")
        for line in lines:
            print(f"[fault]   {line}")


def start_before_midnight(app: Cluster, *names: str, margin: int = 4) -> tuple[str, date, datetime]:
    """Start ``names`` and register a participant, ``margin`` seconds or more before the
    lottery day's midnight (what the scenario does before midnight needs that long)."""
    for lead in (8 + margin, 36 + margin):  # a busy machine may start slowly: then once more
        app.set_midnight(lead)
        for name in names:
            app.start(name)
        app.wait_ready(*names)
        token = app.participant(f"fault{lead}")
        if app.seconds_to_midnight() > margin:
            return token, app.day, app.midnight
        app.stop()
    raise AssertionError("the processes started too slowly to reach midnight")


def submit_ballots(app: Cluster, token: str, day: date, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        status, body, _ = app.request("POST", "/ballots", {}, token)
        assert status == 201, body
        assert body["date"] == day.isoformat()
        ids.append(body["id"])
    return ids


def wait_for_draw(day: date, timeout: float) -> float:
    """Seconds until ``day`` has its result (checked in the database directly): drawn, not
    only closed (a closed day's delay function may still be running)."""
    start = time.monotonic()
    wait_for(
        Draw.objects.filter(lottery__date=day, state=Draw.State.DRAWN).exists,
        timeout,
        f"{day} to be drawn",
    )
    return time.monotonic() - start


def assert_one_result_counting_every_ballot(day: date, ids: list[str]) -> Draw:
    draws = list(Draw.objects.filter(lottery__date=day))
    assert len(draws) == 1
    assert draws[0].ballot_count == len(ids)
    assert str(draws[0].winning_ballot_id) in ids
    assert sorted(
        str(i) for i in Ballot.objects.filter(lottery__date=day).values_list("id", flat=True)
    ) == sorted(ids)
    return draws[0]


def test_the_database_down_past_every_retry_then_the_next_sweep_draws(cluster, pg_relay, capsys):
    token, day, midnight = start_before_midnight(cluster, "web", "worker", "beat")
    ids = submit_ballots(cluster, token, day, 5)
    # Packets swallowed from now until after the midnight run gave up: every attempt waits
    # for the connect timeout before failing.
    pg_relay.set_mode("blackhole")
    assert cluster.seconds_to_midnight() > 0, "the database went down after midnight"

    status, body, headers = cluster.request("POST", "/ballots", {}, token)
    assert status == 503, body
    assert headers["retry-after"] == "5"
    assert "database is unavailable" in body["detail"]

    cluster.wait_for_line(
        "worker", "giving up after 10 retries", cluster.seconds_to_midnight() + 120
    )
    gave_up = (datetime.now(UTC) - midnight).total_seconds()
    assert not Draw.objects.filter(lottery__date=day).exists()
    pg_relay.set_mode("forward")
    drawn_after = wait_for_draw(day, timeout=SWEEP + 30)

    assert_one_result_counting_every_ballot(day, ids)
    intervals = retry_intervals(cluster.log("worker"))
    assert len(intervals) >= 9
    # Attempts start RETRY_DELAY apart although each one waited 2 s for its connect timeout
    # (before the fix: RETRY_DELAY + 2 s): the countdown is what was left of the delay.
    assert statistics.median(intervals) < RETRY_DELAY + 1
    assert set(re.findall(r"retry \d+ of 10 in (\d+) s", cluster.log("worker"))) == {"1"}
    report(capsys, "PostgreSQL unreachable across midnight, longer than the retries", [
        f"midnight task gave up after 10 retries, {gave_up:.1f} s after midnight",
        f"retries every {statistics.median(intervals):.2f} s (median; countdown {RETRY_DELAY} s"
        f", each attempt spent 2 s on the connect timeout)",
        f"day drawn {drawn_after:.1f} s after the database came back (sweep every {SWEEP} s)",
        f"{len(ids)} ballots with 201, {len(ids)} counted; a POST during the outage got 503",
    ])  # fmt: skip


def test_the_broker_down_at_midnight_then_the_first_sweep_after_it_returns_draws(
    cluster, redis_relay, capsys
):
    # Beat's first sweep (SWEEP s after it starts, later on a busy machine) must come before
    # Redis is cut, before midnight: so much time has to be left after the start.
    wait_for_sweep = SWEEP + 10
    token, day, _ = start_before_midnight(
        cluster, "web", "worker", "beat", margin=wait_for_sweep + 4
    )
    ids = submit_ballots(cluster, token, day, 5)
    cluster.wait_for_line("beat", "Sending due task lottery-draw-sweep", wait_for_sweep)
    redis_relay.set_mode("refuse")
    assert cluster.seconds_to_midnight() > 1, "beat's first sweep came after midnight"
    # Beat cannot send the midnight run, nor the first sweep after it.
    midnight_failed = "Couldn't apply scheduled task lottery-draw:"
    cluster.wait_for_line("beat", midnight_failed, cluster.seconds_to_midnight() + 30)
    wait_for(
        lambda: (
            "Couldn't apply scheduled task lottery-draw-sweep"
            in cluster.log_since_start("beat").split(midnight_failed, 1)[1]
        ),
        SWEEP + 30,
        "beat to fail to send the first sweep after midnight",
        details=lambda: cluster.log_tail("beat"),
    )

    assert not Draw.objects.filter(lottery__date=day).exists()
    redis_relay.set_mode("forward")
    drawn_after = wait_for_draw(day, timeout=SWEEP + 60)

    assert_one_result_counting_every_ballot(day, ids)
    # docker-compose.yml's healthcheck for beat finds it well again.
    schedule = str(cluster.tmp / "var" / "celerybeat-schedule")
    health = cluster.run("manage.py", "healthcheck", "--broker", f"--beat-schedule={schedule}")
    assert health.returncode == 0, health.stderr
    report(capsys, "Redis unreachable at midnight (beat had sent before)", [
        "beat: \"Couldn't apply scheduled task lottery-draw\" at midnight",
        f"day drawn {drawn_after:.1f} s after Redis came back (sweep every {SWEEP} s,"
        " plus the worker's reconnection)",
        f"{len(ids)} ballots with 201, {len(ids)} counted",
    ])  # fmt: skip


def test_a_worker_killed_mid_draw_is_replaced_and_its_task_comes_back(cluster, broker, capsys):
    token, day, _ = start_before_midnight(cluster, "web", "worker", "beat")
    ids = submit_ballots(cluster, token, day, 5)
    # Hold the day's row so the midnight draw blocks in the middle, where the kill lands.
    held, release = threading.Event(), threading.Event()

    def hold_the_day() -> None:
        try:
            with transaction.atomic():
                Lottery.objects.select_for_update().get(date=day)
                held.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_day, daemon=True)
    holder.start()
    assert held.wait(timeout=10)
    cluster.wait_for_line(
        "beat", "Sending due task lottery-draw (", cluster.seconds_to_midnight() + 30
    )
    wait_until_a_query_waits_on_a_lock("the midnight draw")
    task_id = _last_received(cluster.log("worker"))
    cluster.kill("worker")
    killed_at = time.monotonic()
    unacked = set(broker.hkeys("unacked"))
    assert unacked, "the killed worker's message should wait in Redis, unacknowledged"
    release.set()
    holder.join(timeout=10)

    started = time.monotonic()
    cluster.start("worker2")
    drawn_after = wait_for_draw(day, timeout=90)
    cluster.wait_ready("worker2")
    ready_after = time.monotonic() - started
    wait_for(
        lambda: (
            f"{task_id}] succeeded" in cluster.log("worker2")
            and not unacked & set(broker.hkeys("unacked"))
        ),
        VISIBILITY + 30,
        f"the killed task {task_id} to come back and succeed",
        details=lambda: cluster.log_tail("worker2"),
    )
    returned_after = time.monotonic() - killed_at

    assert_one_result_counting_every_ballot(day, ids)
    assert returned_after <= VISIBILITY + 10 + 20  # + kombu's restore scan interval + slack
    # docker-compose.yml's healthcheck for the worker: it answers a ping through the broker.
    ping = cluster.run("-m", "celery", "-A", "config", "inspect", "ping", "--timeout=10",
                       "-d", f"worker2@{socket.gethostname()}")  # fmt: skip
    assert ping.returncode == 0, ping.stdout + ping.stderr
    report(capsys, "worker SIGKILLed (whole process group) mid-draw, a new one started", [
        f"day drawn {drawn_after:.1f} s after the new worker was started (it was ready after"
        f" {ready_after:.1f} s)",
        f"the killed task {task_id} came back and ran {returned_after:.1f} s after the kill "
        f"(visibility timeout {VISIBILITY} s + restore scan every 10 s)",
        f"{len(ids)} ballots with 201, {len(ids)} counted",
    ])  # fmt: skip


def test_postgres_restarted_under_the_web_server_fails_no_request_with_500(
    cluster, pg_relay, capsys
):
    cluster.start("web")
    cluster.wait_ready("web")
    token = cluster.participant("restart")
    statuses = [cluster.request("POST", "/ballots", {}, token)[0] for _ in range(20)]
    assert set(statuses) == {201}

    # A quick restart: every pooled connection breaks while idle. Checked as they leave the
    # pool, the broken ones are replaced rather than used; a request may still wait longer
    # for the replacement than the pool timeout allows, and then gets a 503, never a 500.
    pg_relay.set_mode("forward", cut=True)
    quick = [cluster.request("POST", "/ballots", {}, token)[0] for _ in range(30)]
    assert set(quick) <= {201, 503}
    assert quick.count(503) <= 1
    statuses += quick

    # A slow restart: every connection is closed, and none is accepted until the pool, which
    # keeps two connections open, has tried again in the background and been refused.
    pg_relay.set_mode("refuse", cut=True)
    during = [cluster.request("POST", "/ballots", {}, token) for _ in range(3)]
    ready_status, ready_body = cluster.get("/health/ready")
    refused, probed_at = pg_relay.connections, time.monotonic()
    wait_for(
        lambda: pg_relay.connections > refused,
        30,
        "the web server's pool to try PostgreSQL again while it is down",
        details=lambda: cluster.log_tail("web"),
    )
    refused_again = time.monotonic() - probed_at
    pg_relay.set_mode("forward")
    after = [cluster.request("POST", "/ballots", {}, token)[0] for _ in range(30)]

    for status, body, headers in during:
        assert status == 503, body
        assert headers["retry-after"] == "5"
        assert body["detail"]
    assert ready_status == 503
    assert ready_body["checks"]["database"] != "ok"
    assert 500 not in after
    assert set(after) <= {201, 503}
    created = statuses.count(201) + after.count(201)
    assert Ballot.objects.count() == created
    report(capsys, "PostgreSQL restarted under the web server", [
        f"right after a quick restart (connections cut): {quick.count(201)} x 201, "
        f"{quick.count(503)} x 503 in 30 POSTs",
        f"during a slow restart (down until the pool tried again, {refused_again:.1f} s after"
        f" the probes): {[s for s, _, _ in during]} (JSON, Retry-After 5); "
        f"/health/ready {ready_status}",
        f"the 30 POSTs after it: {after.count(201)} x 201, {after.count(503)} x 503, "
        f"{after.count(500)} x 500",
        f"{created} ballots with 201, {Ballot.objects.count()} stored",
    ])  # fmt: skip


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def timed_request(app: Cluster, method: str, path: str, payload=None, token=""):
    started = time.monotonic()
    status, body, headers = app.request(method, path, payload, token)
    return status, body, headers, time.monotonic() - started


def test_a_silent_broker_cannot_wedge_the_web_server(cluster, silent, capsys):
    # Accepts TCP, never answers: /health/ready used to wait for ever, and six probes
    # (compose's healthcheck alone, given time) took every thread, /health/live included.
    cluster.start("web", CELERY_BROKER_URL=f"redis://127.0.0.1:{silent.port}/0")
    cluster.wait_ready("web")
    token = cluster.participant("silentbroker")
    probes: list[tuple[int, float]] = []

    def probe() -> None:
        status, _, _, took = timed_request(cluster, "GET", "/health/ready")
        probes.append((status, took))

    threads = [threading.Thread(target=probe) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    live, _, _, live_took = timed_request(cluster, "GET", "/health/live")
    ballot, _, _, _ = timed_request(cluster, "POST", "/ballots", {}, token)

    assert silent.accepted >= 6
    assert [status for status, _ in probes] == [503] * 6
    assert max(took for _, took in probes) < 30
    assert live == 200
    assert live_took < 1
    assert ballot == 201
    report(capsys, "a broker that accepts TCP and never answers", [
        f"6 concurrent /health/ready: all 503, the slowest after "
        f"{max(took for _, took in probes):.1f} s (3 s socket timeouts)",
        f"then /health/live 200 in {live_took * 1000:.0f} ms, POST /ballots {ballot}",
    ])  # fmt: skip


def test_a_silent_cache_is_a_503_in_bounded_time(cluster, silent, capsys):
    cluster.start("web")
    cluster.wait_ready("web")
    token = cluster.participant("silentcache")
    cluster.stop()
    cluster.start("web", CACHE_URL=f"redis://127.0.0.1:{silent.port}/0")
    cluster.wait_ready("web")

    ballot = timed_request(cluster, "POST", "/ballots", {}, token)
    login = timed_request(
        cluster, "POST", "/token/pair", {"username": "silentcache", "password": "x" * 12}
    )
    live = timed_request(cluster, "GET", "/health/live")

    for status, body, headers, took in (ballot, login):
        assert status == 503, body
        assert headers["retry-after"] == "5"
        assert "unavailable" in body["detail"]
        assert took < 5
    assert live[0] == 200
    assert Ballot.objects.count() == 0
    report(capsys, "the cache's Redis accepts TCP and never answers", [
        f"POST /ballots: {ballot[0]} after {ballot[3]:.1f} s; /token/pair: {login[0]} after "
        f"{login[3]:.1f} s (Retry-After 5; CACHE_TIMEOUT 1 s, one retry)",
        f"/health/live {live[0]}",
    ])  # fmt: skip


def test_a_chunked_ballot_lands_on_the_day_it_names(cluster, capsys):
    cluster.start("web")
    cluster.wait_ready("web")
    token = cluster.participant("chunked")
    _, lotteries, _ = cluster.request("GET", "/lotteries")
    day = lotteries[3]["date"]

    connection = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=30)
    body = iter([b'{"date": ', json.dumps(day).encode(), b"}"])
    connection.request(
        "POST",
        "/ballots",
        body=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()

    assert response.status == 201, answer
    assert answer["date"] == day
    assert Ballot.objects.get().lottery.date.isoformat() == day
    report(capsys, "a chunked POST /ballots through Granian", [
        f"{{\"date\": \"{day}\"}} sent chunked: {response.status}, stored for {day}",
    ])  # fmt: skip


# --- helpers -----------------------------------------------------------------------------

# The project's log format (settings.LOGGING, which the worker keeps): time, level, logger,
# [request or task id], message.
_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ [\w.]+ \[[^\]]*\]: (.*)$", re.M)


def retry_intervals(log: str) -> list[float]:
    """Seconds between the retries of the task that retried most (the midnight run)."""
    by_task: dict[str, list[datetime]] = {}
    for stamp, message in _LINE.findall(log):
        found = re.match(rf"Task {TASK}\[([0-9a-f-]+)\] retry", message)
        if found:
            at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")  # noqa: DTZ007 - intervals only
            by_task.setdefault(found.group(1), []).append(at)
    times = max(by_task.values(), key=len, default=[])
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


def _last_received(log: str) -> str:
    ids = re.findall(rf"Task {TASK}\[([0-9a-f-]+)\] received", log)
    assert ids, log
    return ids[-1]


def _forget_queued_messages(client: redis.Redis) -> None:
    # Only Celery's own keys in the test's broker database: never FLUSHALL a shared server.
    keys = [b"celery", b"unacked", b"unacked_index", b"unacked_mutex"]
    keys += list(client.scan_iter(match="_kombu.binding.*"))
    client.delete(*keys)
