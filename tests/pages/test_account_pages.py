"""The account's pages: /account, a forgotten password reset from the mailed link, a changed
address confirmed from its link, a changed password, the account's end. Through the test
client as a browser would go, with mail read from the outbox."""

import html
import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from ballots.models import Ballot
from tests.conftest import PASSWORD, D, on

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase"


def signed_in(username: str = "alice") -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def text(response) -> str:
    """The page's words as a person reads them: no tags, one space between words."""
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return html.unescape(re.sub(r"\s+", " ", words))


def field_error(response, field: str) -> str:
    # The error's id is the field's id and "_error" (or "-error"): the text is what counts.
    found = re.search(rf'id="id_{field}[-_]error"[^>]*>(.*?)</', response.content.decode(), re.S)
    return html.unescape(found.group(1)) if found else ""


def mailed_path(prefix: str) -> str:
    found = re.search(rf"http://localhost:8000({prefix}\S+)\n", str(mail.outbox[-1].body))
    assert found is not None, mail.outbox[-1].body
    return found.group(1)


def is_signed_out(client: Client) -> bool:
    return client.get("/account")["Location"] == "/login?next=/account"


# --- The account page -------------------------------------------------------------------------


def test_the_account_page_needs_a_login_and_shows_the_name_and_the_address(client, user):
    assert client.get("/account")["Location"] == "/login?next=/account"

    page = signed_in().get("/account")

    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert "Username alice Email a@example.com Confirmed" in text(page)
    assert 'href="/account" aria-current="page">Account</a>' in page.content.decode()


def test_an_address_not_confirmed_says_so(user):
    User.objects.filter(pk=user.pk).update(email_confirmed=False)

    body = text(signed_in().get("/account"))

    assert "Not confirmed" in body
    assert "Until you open it, winner emails and password reset links do not go there" in body


def test_the_login_page_links_to_the_password_reset(client):
    assert 'href="/password-reset"' in client.get("/login").content.decode()


# --- Forgotten password -----------------------------------------------------------------------


def test_a_forgotten_password_is_reset_from_the_mailed_link(client, user):
    old_session = signed_in()
    known = client.post("/password-reset", {"email": "a@example.com"})
    unknown = Client().post("/password-reset", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert text(known).replace("a@example.com", "X") == text(unknown).replace(
        "nobody@example.com", "X"
    )
    assert len(mail.outbox) == 1
    link = mailed_path("/password-reset/")

    form = client.get(link)
    assert form.status_code == 200
    assert form["Cache-Control"] == "no-store"
    assert "For the account alice" in text(form)
    done = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done["Location"] == "/login"
    assert "log in with the new one" in text(client.get("/login"))
    assert client.login(username="alice", password=NEW_PASSWORD)
    assert is_signed_out(old_session)
    used = client.get(link)
    assert "invalid, has expired or was already used" in text(used)
    again = Client().post(
        link, {"new_password1": "x-another-one!", "new_password2": "x-another-one!"}
    )
    assert "invalid, has expired or was already used" in text(again)
    assert Client().login(username="alice", password=NEW_PASSWORD)


def test_the_reset_form_refuses_bad_input_next_to_its_field(client, user):
    client.post("/password-reset", {"email": "a@example.com"})
    link = mailed_path("/password-reset/")

    differ = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": "other-one-x"})
    weak = client.post(link, {"new_password1": "12345678", "new_password2": "12345678"})

    assert differ.status_code == weak.status_code == 200
    assert field_error(differ, "new_password2") == "The two passwords differ."
    assert "too common" in field_error(weak, "new_password1")
    assert client.login(username="alice", password=PASSWORD)


def test_the_reset_request_form_shows_a_mistake_and_the_limit(client, user, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 2
    bad = client.post("/password-reset", {"email": "not-an-address"})
    assert bad.status_code == 200
    assert field_error(bad, "email") == "Enter a valid email address."

    limited = Client().post("/password-reset", {"email": "a@example.com"})
    assert limited.status_code == 200
    again = Client().post("/password-reset", {"email": "a@example.com"})
    assert again.status_code == 429
    assert "Too many attempts" in text(again)


@pytest.mark.parametrize(
    "path",
    [
        "/password-reset/MQ/garbage",
        "/password-reset/!!!/abc-def",
        "/password-reset/_w/abc-def",
        "/password-reset/OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk/abc",
        "/account/email/garbage",
        "/account/email/a:b:c",
    ],
)
def test_a_bad_link_shows_a_page_that_says_so(client, user, path):
    for response in (client.get(path), client.post(path, {"new_password1": "x"})):
        assert response.status_code == 200
        assert "invalid, has expired or was already used" in text(response)


# --- Change email -----------------------------------------------------------------------------


def test_a_new_address_is_confirmed_from_its_link_with_one_click(user):
    client = signed_in()
    wrong = client.post("/account/email", {"email": "alice@example.org", "password": "nope"})
    assert wrong.status_code == 200
    assert field_error(wrong, "password") == "The password is not correct."
    assert mail.outbox == []

    sent = client.post("/account/email", {"email": "alice@example.org", "password": PASSWORD})

    assert sent.status_code == 302
    assert "We sent a link to alice@example.org" in text(client.get("/account"))
    assert mail.outbox[-1].to == ["alice@example.org"]
    link = mailed_path("/account/email/")
    page = Client().get(link)  # the mail opened elsewhere, not signed in
    assert "Make alice@example.org the address of the account alice" in text(page)
    user.refresh_from_db()
    assert user.email == "a@example.com"  # opening the link alone changes nothing
    confirmed = Client().post(link)
    assert confirmed.status_code == 302
    user.refresh_from_db()
    assert (user.email, user.email_confirmed) == ("alice@example.org", True)
    assert "invalid, has expired or was already used" in text(Client().post(link))


def test_an_empty_address_removes_it(user):
    client = signed_in()

    client.post("/account/email", {"email": "", "password": PASSWORD})

    user.refresh_from_db()
    assert user.email == ""
    assert "Your email address was removed." in text(client.get("/account"))


# --- Change password --------------------------------------------------------------------------


def test_changing_the_password_keeps_this_session_and_ends_the_others(user):
    client, other = signed_in(), signed_in()
    wrong = client.post(
        "/account/password",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert field_error(wrong, "old_password") == "The password is not correct."

    done = client.post(
        "/account/password",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done.status_code == 302
    assert client.get("/account").status_code == 200
    assert is_signed_out(other)
    assert Client().login(username="alice", password=NEW_PASSWORD)


def test_a_get_of_a_form_target_goes_back_to_the_account_page(user):
    client = signed_in()
    for path in ("/account/email", "/account/password"):
        assert client.get(path)["Location"] == "/account"


# --- Delete the account -----------------------------------------------------------------------


def test_deleting_the_account_needs_the_password_and_keeps_the_ballots(user, ballots_on):
    ids = ballots_on(D, 3)
    client = signed_in()
    assert "Delete my account" in text(client.get("/account/delete"))

    wrong = client.post("/account/delete", {"password": "nope"})
    assert wrong.status_code == 200
    assert field_error(wrong, "password") == "The password is not correct."
    assert User.objects.filter(username="alice").exists()

    with on(D):
        done = client.post("/account/delete", {"password": PASSWORD})

    assert done.status_code == 302
    assert done["Location"] == "/"
    assert "Your account was deleted" in text(client.get("/"))
    assert not User.objects.filter(username="alice").exists()
    assert sorted(
        str(i) for i in Ballot.objects.filter(user=None).values_list("id", flat=True)
    ) == sorted(ids)
    assert is_signed_out(client)


def test_the_account_pages_are_for_a_signed_in_person(client):
    for path in ("/account", "/account/delete", "/account/password", "/account/email"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"/login?next={path}"
