"""The operator is told: LOTTERY_CHECKIN_URL is pinged at each close and draw, and at its
``/fail`` when a sweep finds a day overdue; a monitor that is down delays nothing. The
monitor here is a server of the test's own."""

import logging
import queue
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from draws.checkin import checkin
from draws.services import lottery_draw, lottery_draw_closed
from tests.conftest import D, the_day_after

pytestmark = pytest.mark.django_db

Ping = tuple[str, str]  # path, body


@pytest.fixture
def monitor(settings) -> Iterator[queue.Queue[Ping]]:
    pings: queue.Queue[Ping] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            pings.put((self.path, body))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.LOTTERY_CHECKIN_URL = f"http://127.0.0.1:{server.server_address[1]}/ping/abc"
    yield pings
    server.shutdown()
    server.server_close()


def received(pings: queue.Queue[Ping], n: int) -> list[Ping]:
    return [pings.get(timeout=10) for _ in range(n)]


def test_a_close_and_a_draw_each_check_in(monitor, ballots_on):
    ids = ballots_on(D, 3)

    with time_machine.travel(datetime.combine(the_day_after(D), time(0, 1)), tick=False):
        draw = lottery_draw(lottery_date=D)

    (closed_path, closed), (drew_path, drew) = received(monitor, 2)
    assert closed_path == drew_path == "/ping/abc"
    assert closed == f"closed {D}: 3 ballots, root {draw.merkle_root}"
    assert drew == f"drew {D}: winning ballot {draw.winning_ballot_id}"
    assert str(draw.winning_ballot_id) in ids
    assert monitor.empty()


def test_a_sweep_that_finds_a_day_overdue_checks_in_at_fail_then_catches_up(
    monitor, ballots_on, settings
):
    ballots_on(D, 2)
    late = datetime.combine(the_day_after(D), time(0)) + timedelta(
        minutes=settings.LOTTERY_DRAW_GRACE_MINUTES + 5
    )

    with time_machine.travel(late, tick=False):
        (draw,) = lottery_draw_closed()

    pings = received(monitor, 3)
    assert pings[0] == ("/ping/abc/fail", f"overdue: {D}")
    assert [body.split(":")[0] for _, body in pings[1:]] == [f"closed {D}", f"drew {D}"]
    assert draw.state == draw.State.DRAWN


def test_a_sweep_in_time_says_nothing_is_overdue(monitor, ballots_on):
    ballots_on(D, 1)

    with time_machine.travel(datetime.combine(the_day_after(D), time(0, 1)), tick=False):
        lottery_draw_closed()

    assert [path for path, _ in received(monitor, 2)] == ["/ping/abc", "/ping/abc"]
    assert monitor.empty()


def test_a_monitor_that_never_answers_is_given_up_at_the_deadline(settings, caplog):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never answers
    settings.LOTTERY_CHECKIN_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
    settings.LOTTERY_CHECKIN_TIMEOUT_SECONDS = 1
    try:
        with caplog.at_level(logging.WARNING, logger="draws.checkin"):
            thread = checkin("drew a day")
            assert thread is not None
            thread.join(timeout=10)
            assert not thread.is_alive()
    finally:
        silent.close()
    assert "The check-in to" in caplog.text
    assert "failed" in caplog.text


def test_without_a_url_nothing_is_sent(settings):
    settings.LOTTERY_CHECKIN_URL = ""
    assert checkin("closed a day") is None
