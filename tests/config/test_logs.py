"""Log lines an operator can follow: request and task ids, JSON on demand."""

import json
import logging
import re
from unittest import mock

import pytest

from common.logs import ContextFilter, JsonFormatter
from draws.tasks import lottery_draw_closed_days
from tests.config.test_settings import open_yesterday, run_manage
from tests.conftest import D, on, the_day_after

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines():
    """Records as the console handler sees them: through the project's ContextFilter."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.addFilter(ContextFilter())
    handler.emit = records.append  # type: ignore[method-assign,assignment]
    logging.getLogger().addHandler(handler)
    yield records
    logging.getLogger().removeHandler(handler)


def test_a_request_id_from_the_client_is_returned_and_on_every_line(client, lines):
    with mock.patch("draws.api.selectors.draw_list", side_effect=RuntimeError("boom")):
        response = client.get("/draws", HTTP_X_REQUEST_ID="edge-42.a")

    assert response.status_code == 500
    assert response["X-Request-ID"] == "edge-42.a"
    mine = [r for r in lines if r.name in ("config.api", "django.request")]
    assert mine
    assert {r.request_id for r in mine} == {"edge-42.a"}


@pytest.mark.parametrize("given", [None, "", "two words", "x" * 200, "line\nbreak"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_fresh_one(client, given):
    headers = {} if given is None else {"HTTP_X_REQUEST_ID": given}

    first = client.get("/lotteries", **headers)["X-Request-ID"]
    second = client.get("/lotteries", **headers)["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_lines_outside_a_request_carry_no_stale_request_id(client, lines):
    client.get("/lotteries", HTTP_X_REQUEST_ID="done")
    logging.getLogger("tests").warning("after the request")

    assert lines[-1].request_id is None


def test_every_line_of_a_task_carries_its_task_id(ballots_on, lines):
    ballots_on(D, 1)

    with on(the_day_after(D)):
        result = lottery_draw_closed_days.apply()

    drew = [r for r in lines if r.getMessage().startswith("Drew the lottery")]
    assert [r.task_id for r in drew] == [result.id]


def test_the_json_format_writes_one_object_per_line_with_the_ids():
    record = logging.LogRecord("draws", logging.INFO, __file__, 1, "Drew %s", ("D",), None)
    record.request_id, record.task_id = None, "task-1"

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "Drew D"
    assert entry["task_id"] == "task-1"
    assert (entry["level"], entry["logger"]) == ("INFO", "draws")
    assert "request_id" not in entry


def test_log_format_json_makes_every_line_json_and_a_typo_stops_the_process(tmp_path):
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = {"LOG_FORMAT": "json", "DATABASE_URL": db}
    assert run_manage("migrate", "--no-input", "-v0", env=env).returncode == 0
    open_yesterday(env)
    result = run_manage("draw", env=env)  # draws yesterday, with no ballots, and logs it

    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert [e["logger"] for e in entries] == ["draws.services", "draws.services"]
    assert "Closed the lottery" in entries[0]["message"]
    assert "no ballots, no winner" in entries[1]["message"]

    typo = run_manage("check", env={"LOG_FORMAT": "jsno"})
    assert typo.returncode != 0
    assert "LOG_FORMAT='jsno'" in typo.stderr
