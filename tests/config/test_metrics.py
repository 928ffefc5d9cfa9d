"""GET /metrics: Prometheus exposition, private in production, counters that move."""

import re

import pytest

from draws.services import lottery_draw
from tests.config.test_settings import PRODUCTION, open_yesterday, run_manage
from tests.conftest import D, on, submit, the_day_after

pytestmark = pytest.mark.django_db


def sample(client, name: str, **labels: str) -> float:
    """The value of one series in /metrics as a scraper reads it (0 if absent)."""
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token").content.decode()
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        found = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if found and ",".join(sorted((found.group(1) or "").split(","))).strip(",") == wanted:
            return float(found.group(2))
    return 0.0


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = "scrape-token"


def test_metrics_refuse_anonymous_and_wrong_tokens_in_production(client, production):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer gu\u00e9ss").status_code == 401
    assert wrong.json() == {"detail": "Unauthorized"}
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token")
    assert right.status_code == 200
    assert right["Content-Type"].startswith("text/plain")


def test_metrics_without_a_token_configured_are_refused_to_everyone_in_production(client, settings):
    settings.DEBUG, settings.METRICS_TOKEN = False, ""

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_metrics_are_open_in_the_embedded_mode_without_a_token(client, settings):
    settings.DEBUG, settings.METRICS_TOKEN = True, ""

    assert client.get("/metrics").status_code == 200


def test_the_ballot_counters_move_after_submissions(client, auth_client, production):
    accepted = sample(client, "lottery_ballots_total", outcome="accepted")
    refused = sample(client, "lottery_ballots_total", outcome="refused")

    with on(D):
        assert submit(auth_client).status_code == 201
        assert submit(auth_client, D.replace(year=2020)).status_code == 422

    assert sample(client, "lottery_ballots_total", outcome="accepted") == accepted + 1
    assert sample(client, "lottery_ballots_total", outcome="refused") == refused + 1


def test_requests_are_counted_by_route_template_not_by_raw_path(client, auth_client, production):
    route = "ballots/<ballot_id>"
    before = sample(client, "lottery_http_requests_total", method="GET", route=route, status="404")

    for ballot_id in (
        "00000000-0000-0000-0000-000000000001",
        "00000000-0000-0000-0000-00000000000f",
    ):
        assert auth_client.get(f"/ballots/{ballot_id}").status_code == 404
    client.get("/no/such/path")

    after = sample(client, "lottery_http_requests_total", method="GET", route=route, status="404")
    assert after == before + 2
    assert (
        sample(client, "lottery_http_requests_total", method="GET", route="unmatched", status="404")
        >= 1
    )
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token").content.decode()
    assert "00000000-0000" not in text
    timed = sample(client, "lottery_http_request_duration_seconds_count", method="GET", route=route)
    assert timed >= 2


def test_draws_and_their_duration_are_counted_when_the_draw_commits(
    client, ballots_on, production, django_capture_on_commit_callbacks
):
    ballots_on(D, 2)
    drawn = sample(client, "lottery_draws_total", winner="true")
    timed = sample(client, "lottery_draw_duration_seconds_count")

    with on(the_day_after(D)), django_capture_on_commit_callbacks(execute=True):
        lottery_draw(lottery_date=D)

    assert sample(client, "lottery_draws_total", winner="true") == drawn + 1
    assert sample(client, "lottery_draw_duration_seconds_count") == timed + 1


def test_with_a_multiprocess_folder_metrics_counted_in_one_process_show_in_another(tmp_path):
    # The worker's process draws; the web server's process serves /metrics.
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    assert run_manage("migrate", "--no-input", "-v0", env=env).returncode == 0
    open_yesterday(env)
    drew = run_manage("draw", env=env)  # draws yesterday: no ballots, no winner
    assert drew.returncode == 0, drew.stderr
    scrape = (
        "from django.test import Client; "
        "print(Client(HTTP_HOST='localhost').get('/metrics').content.decode())"
    )
    served = run_manage("shell", "-c", scrape, env=env)

    assert served.returncode == 0, served.stderr
    assert 'lottery_draws_total{winner="false"} 1.0' in served.stdout
    assert "lottery_draw_duration_seconds_count 1.0" in served.stdout
    assert list((tmp_path / "metrics").glob("counter_*-*.db"))  # host-pid: unique per container


def test_in_production_prometheus_scrapes_over_plain_http_with_the_token(tmp_path):
    # Inside the compose network nothing terminates TLS: the HTTPS redirect would send
    # Prometheus to a port that does not speak TLS.
    env = {
        **PRODUCTION,
        "ALLOWED_HOSTS": "web",
        "METRICS_TOKEN": "scrape-token",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    scrape = (
        "from django.test import Client; c = Client(HTTP_HOST='web:8000'); "
        "print(c.get('/metrics', HTTP_AUTHORIZATION='Bearer scrape-token').status_code, "
        "c.get('/metrics').status_code, c.get('/lotteries').status_code)"
    )
    result = run_manage("shell", "-c", scrape, env=env)

    assert result.returncode == 0, result.stderr
    # The API itself still redirects to HTTPS.
    assert result.stdout.splitlines()[-1].split() == ["200", "401", "301"]
