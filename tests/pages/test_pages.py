"""The pages through Django's test client: what each answers, and bad input on every form.

Every refusal is shown next to its field and changes nothing; a logged-out person on a
participant page is sent to log in and back; the API's paths stay JSON and sessionless.
"""

import html
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import URLPattern, get_resolver

from accounts.models import User
from ballots.calendar import lottery_today
from ballots.models import Ballot
from common.middleware import uses_cookies
from draws.models import Draw
from draws.services import lottery_draw
from pages.urls import urlpatterns
from tests.conftest import PASSWORD, D, forget_rendered_results, on, the_day_after

pytestmark = pytest.mark.django_db


def login(client: Client, username: str = "alice") -> None:
    assert client.login(username=username, password=PASSWORD)


def title(response) -> str:
    found = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert found is not None
    return found.group(1)


def field_error(response, field: str) -> str:
    match = re.search(rf'id="id_{field}_error">(.*?)</p>', response.content.decode(), re.S)
    return html.unescape(match.group(1)) if match else ""


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


# --- Paths ------------------------------------------------------------------------------


def test_every_page_path_has_a_session_and_no_api_path_does():
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        sample = "/" + str(pattern.pattern).replace("<str:lottery_date>", "2026-11-20")
        sample = sample.replace("<uuid:ballot_id>", "00000000-0000-4000-8000-000000000000")
        # The standalone verifier is a file to download, the same for everyone: no session.
        assert uses_cookies(sample) == (pattern.name != "verifier"), sample
    api_paths = [
        "/docs", "/openapi.json", "/lotteries", "/ballots", "/draws", "/draws/2026-11-20",
        "/accounts/register", "/token/pair", "/health/live", "/metrics",
    ]  # fmt: skip
    for path in api_paths:
        assert not uses_cookies(path), path
        assert get_resolver().resolve(path).func.__module__.split(".")[0] != "pages"


def test_the_api_keeps_answering_json_without_a_session(client, user):
    login(client)
    response = client.get(f"/draws/{D}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": f"The lottery of {D} has not been drawn."}
    assert "sessionid" not in response.cookies
    # A session cookie is no Bearer token: the API does not take it.
    assert client.get("/ballots").status_code == 401


def test_the_home_page_lists_the_open_days_and_how_it_works_their_published_policy(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert title(response) == "Today's lotteries · Daily Lottery"
    body = response.content.decode()
    # The players' page names no rule and no delay; the policy is one link away, folded.
    assert "unicorn-pietrzak-rsa2048" not in body
    assert "vdf_delay_log2" not in body
    assert 'href="/how-it-works"' in body
    rules = client.get("/how-it-works")
    assert title(rules) == "How the draw works · Daily Lottery"
    assert "default-src 'self'" in rules["Content-Security-Policy"]
    rules_body = rules.content.decode()
    for day in client.get("/lotteries").json():
        assert f'data-date="{day["date"]}"' in body
        policy = {k: v for k, v in day.items() if k not in ("date", "closes_at", "status")}
        assert policy["rule"] == "unicorn-pietrzak-rsa2048"
        for name, value in policy.items():
            if value is not None:
                assert f"<dt>{name}</dt><dd><code>{value}</code></dd>" in rules_body
    assert 'href="/docs"' in body
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_dates_are_shown_in_the_lotterys_zone(client, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    with on(D, hour=3):  # 12:00 in Tokyo
        body = client.get("/").content.decode()
    assert f">{D + timedelta(days=1):%a %-d %b %Y}, 00:00 JST</time>" in body
    assert "All times are Asia/Tokyo." in body


@pytest.mark.parametrize(
    "path", ["/play", "/my/ballots", f"/my/ballots/{'0' * 8}-0000-4000-8000-{'0' * 12}"]
)
def test_a_logged_out_person_is_sent_to_log_in_and_back(client, user, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login?next={path}"
    logged_in = client.post(response["Location"], {"username": "alice", "password": PASSWORD})
    assert logged_in.status_code == 302
    assert logged_in["Location"] == path


# --- Register -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"username": ""}, "username", "This field is required."),
        ({"username": "has space"}, "username", "Use only letters, digits"),
        ({"username": "x" * 151}, "username", "Use at most 150 characters."),
        ({"username": "ALICE"}, "username", "A user with that username already exists."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"password1": "12345678", "password2": "12345678"}, "password1", "too common"),
        ({"password2": "something-else-entirely"}, "password2", "The two passwords differ."),
    ],
)
def test_registration_refuses_bad_input_next_to_its_field(user, form, field, message):
    client = Client()
    data = {"username": "newcomer", "email": "", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post("/register", {**data, **form})
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert User.objects.count() == 1  # alice only
    assert "_auth_user_id" not in client.session


def test_registration_logs_the_new_participant_in(client):
    form = {
        "username": "newcomer",
        "email": "n@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    response = client.post("/register?next=/my/ballots", {**form, "next": "/my/ballots"})
    assert response.status_code == 302
    assert response["Location"] == "/my/ballots"
    user = User.objects.get(username="newcomer")
    assert user.email == "n@example.com"
    assert client.session["_auth_user_id"] == str(user.pk)
    # An outside next= is not followed.
    other = Client().post(
        "/register", {**form, "username": "second", "next": "https://evil.example/"}
    )
    assert other["Location"] == "/play"


def test_registration_shares_the_apis_rate_limit(client, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 2
    form = {"username": "x", "password1": PASSWORD, "password2": PASSWORD}
    client.post(
        "/accounts/register",
        {"username": "a1", "password": PASSWORD},
        content_type="application/json",
    )
    client.post("/register", {**form, "username": "a2"})
    refused = Client().post("/register", {**form, "username": "a3"})
    assert refused.status_code == 429
    assert "Too many attempts; try again in" in refused.content.decode()
    assert not User.objects.filter(username="a3").exists()


def test_a_form_without_its_csrf_token_is_refused(user):
    client = csrf_client()
    form = {"username": "sneaky", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post("/register", form).status_code == 403
    assert not User.objects.filter(username="sneaky").exists()
    assert client.post("/login", {"username": "alice", "password": PASSWORD}).status_code == 403


# --- Log in and out -----------------------------------------------------------------------


def test_a_wrong_password_is_told_and_does_not_log_in(client, user):
    response = client.post("/login", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_attempts_on_the_page_count_with_the_apis(client, user, settings):
    settings.AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE = 2
    client.post(
        "/token/pair", {"username": "alice", "password": "x"}, content_type="application/json"
    )
    client.post("/login", {"username": "alice", "password": "y"})
    refused = client.post("/login", {"username": "alice", "password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many attempts; try again in" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_out_takes_a_post(client, user):
    login(client)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout")["Location"] == "/"
    assert "_auth_user_id" not in client.session


# --- Play ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            {"date": str(D - timedelta(days=1))},
            "date",
            f"The lottery of {D - timedelta(days=1)} is not open.",
        ),
        ({"date": str(D + timedelta(days=7))}, "date", "is not open. Ballots are accepted for"),
        ({"date": "2026-02-30"}, "date", "is not a date (YYYY-MM-DD)"),
        ({"date": ""}, "date", "This field is required."),
        ({"count": "0"}, "count", "count must be between 1 and 100."),
        ({"count": "101"}, "count", "count must be between 1 and 100."),
        ({"count": "two"}, "count", "Enter a whole number."),
    ],
)
def test_submitting_refuses_bad_input_next_to_its_field(client, user, form, field, message):
    login(client)
    with on(D):
        response = client.post("/play", {"date": str(D), "count": "1", **form})
    assert response.status_code == 200
    assert message in field_error(response, field), response.content.decode()
    assert Ballot.objects.count() == 0


def test_a_closed_day_is_refused_even_when_still_offered(client, user):
    login(client)
    with on(D):
        client.get("/play")
    with on(the_day_after(D), hour=0):
        lottery_draw(lottery_date=D)
        response = client.post("/play", {"date": str(D), "count": "3"})
    assert f"The lottery of {D} is not open" in field_error(response, "date")
    assert Ballot.objects.count() == 0


@pytest.mark.parametrize("count", [1, 3, 100])
def test_one_or_several_ballots_are_submitted(client, user, count):
    login(client)
    with on(D):
        response = client.post("/play", {"date": str(D + timedelta(days=2)), "count": str(count)})
    assert response.status_code == 302
    assert response["Location"] == f"/my/ballots?date={D + timedelta(days=2)}"
    assert Ballot.objects.filter(user=user, lottery__date=D + timedelta(days=2)).count() == count
    with on(D):
        listed = client.get(response["Location"])
    body = listed.content.decode()
    assert f"{count} ballot{'s' if count > 1 else ''} matching, newest first" in body
    assert body.count("status-pending") == min(count, 50)  # 50 a page


def test_the_ballot_limit_applies_to_the_form(client, user, settings):
    settings.BALLOT_RATE_LIMIT_PER_MINUTE = 3
    login(client)
    with on(D):
        client.post("/play", {"date": str(D), "count": "2"})
        refused = client.post("/play", {"date": str(D), "count": "2"})
    assert refused.status_code == 429
    assert "Too many attempts; try again in" in refused.content.decode()
    assert Ballot.objects.count() == 2


# --- My ballots and a ballot ------------------------------------------------------------


@pytest.fixture
def two_days(client, user, other_client):
    """alice: 2 ballots on D (drawn) and 1 on D+1; bob: 1 on D."""
    login(client)
    with on(D):
        client.post("/play", {"date": str(D), "count": "2"})
        client.post("/play", {"date": str(the_day_after(D)), "count": "1"})
        other_client.post("/ballots", content_type="application/json")
    with on(the_day_after(D)):
        return lottery_draw(lottery_date=D)


def test_my_ballots_shows_won_lost_and_pending_and_filters_by_day(client, two_days):
    with on(the_day_after(D)):
        everything = client.get("/my/ballots").content.decode()
        on_d = client.get(f"/my/ballots?date={D}").content.decode()
        lost = client.get("/my/ballots?status=lost").content.decode()
    assert everything.count('class="status status-') == 3
    assert everything.count("status-pending") == 1
    assert on_d.count('class="status status-') == 2
    mine = set(Ballot.objects.filter(user__username="alice").values_list("id", flat=True))
    statuses = {"won": "status-won" in on_d, "lost": "status-lost" in on_d}
    if two_days.winning_ballot_id in mine:
        assert statuses == {"won": True, "lost": True}
    else:
        assert statuses == {"won": False, "lost": True}
    assert lost.count('class="status status-') == (1 if two_days.winning_ballot_id in mine else 2)
    bobs = Ballot.objects.get(user__username="bob").id
    assert str(bobs) not in everything


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date=2026-13-01", "date", "Enter a real date as YYYY-MM-DD (month must be in 1..12)."),
        ("date=yesterday", "date", "Enter a date as YYYY-MM-DD."),
        ("status=winning", "status", "Choose one of: 'pending', 'won' or 'lost'."),
    ],
)
def test_a_bad_filter_is_told_next_to_its_field(client, two_days, query, field, message):
    response = client.get(f"/my/ballots?{query}")
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert "Nothing to show until the filter is corrected." in response.content.decode()


def test_a_ballot_page_shows_its_status_and_proof_check_and_no_one_elses(client, two_days):
    own = Ballot.objects.filter(user__username="alice", lottery__date=D).first()
    assert own is not None
    page = client.get(f"/my/ballots/{own.id}").content.decode()
    assert str(own.id) in page
    assert 'data-autostart="ballot"' in page
    assert f'href="/results/{D}"' in page
    pending = Ballot.objects.get(user__username="alice", lottery__date=the_day_after(D))
    assert "has not been drawn yet" in client.get(f"/my/ballots/{pending.id}").content.decode()
    bobs = Ballot.objects.get(user__username="bob").id
    refused = client.get(f"/my/ballots/{bobs}")
    assert refused.status_code == 404
    assert "Ballot not found." in refused.content.decode()


# --- Results --------------------------------------------------------------------------------


def test_results_list_and_one_days_result(client, two_days):
    listing = client.get("/results")
    assert title(listing) == "Results · Daily Lottery"
    assert f'href="/results/{D}"' in listing.content.decode()
    result = client.get(f"/results/{D}")
    body = result.content.decode()
    assert title(result) == f"Result of {D:%-d %b %Y} · Daily Lottery"
    for value in client.get(f"/draws/{D}").json().values():
        if isinstance(value, str):
            assert value in body
    assert f'href="/draws/{D}"' in body
    assert 'data-action="verify-day"' in body
    assert "/static/pages/verify.js" in body


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (f"/results/{D}", f"The lottery of {D} has not been drawn."),
        ("/results/2026-02-30", "&#x27;2026-02-30&#x27; is not a date (YYYY-MM-DD)."),
        ("/results/tomorrow", "is not a date (YYYY-MM-DD)."),
    ],
)
def test_a_result_that_does_not_exist_is_an_html_404(client, path, message):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert message in response.content.decode()


def test_the_winners_email_links_to_pages_that_open(
    client, user, django_capture_on_commit_callbacks
):
    login(client)
    with on(D):
        client.post("/play", {"date": str(D), "count": "1"})
    with on(the_day_after(D)), django_capture_on_commit_callbacks(execute=True):
        draw = lottery_draw(lottery_date=D)
    (message,) = mail.outbox
    links = re.findall(r"http://localhost:8000(/\S+)", str(message.body))
    assert f"/results/{D}" in links
    assert f"/my/ballots/{draw.winning_ballot_id}" in links
    for link in links:
        assert client.get(link).status_code == 200, link
    assert str(lottery_today())  # the clock is real again


def test_a_day_still_drawing_shows_its_root_and_no_winner(client, two_days):
    # What the page shows between the close and the delay function's end (draws.services).
    Draw.objects.filter(lottery__date=D).update(
        state=Draw.State.DRAWING, winning_ballot=None, winning_index=None, drawn_at=None
    )
    forget_rendered_results()
    body = client.get(f"/results/{D}").content.decode()
    assert "not known yet: the delay function is running" in body
    assert Draw.objects.get(lottery__date=D).merkle_root in body
    assert "Drawn at</dt><dd>not yet" in body.replace("\n", "")
