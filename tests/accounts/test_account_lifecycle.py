"""The account's life through the API: a forgotten password reset by mail, a changed password,
a changed address confirmed by mail, and the account's end, whose ballots stay in their draws.

Mail is read from Django's outbox; links are followed as a person or a client would.
"""

import re
from datetime import timedelta
from uuid import UUID

import pytest
import time_machine
from django.core import mail
from django.test import Client

from accounts.models import User
from ballots.models import Ballot, BallotIdempotencyKey
from draws import merkle
from draws.models import Draw, WinnerNotification
from draws.services import lottery_draw, winner_notifications_requeue
from tests.conftest import PASSWORD, D, bearer_client, obtain_tokens, on, submit, the_day_after

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase"
LINK_INVALID = "This link is invalid, has expired or was already used: ask for a new one."
JSON = "application/json"


def post(client: Client, path: str, payload: object):
    return client.post(path, payload, content_type=JSON)


def reset_request(client: Client, email: str = "a@example.com"):
    return post(client, "/accounts/password-reset", {"email": email})


def reset_link(message) -> tuple[str, str]:
    """The (uid, token) of the reset link in ``message``."""
    match = re.search(r"http://localhost:8000/password-reset/([^/\s]+)/([^/\s]+)\n", message.body)
    assert match is not None, message.body
    return match.group(1), match.group(2)


def reset_confirm(client: Client, uid: str, token: str, password: str = NEW_PASSWORD):
    payload = {"uid": uid, "token": token, "new_password": password}
    return post(client, "/accounts/password-reset/confirm", payload)


def confirm_token(message) -> str:
    match = re.search(r"http://localhost:8000/account/email/(\S+)\n", message.body)
    assert match is not None, message.body
    return match.group(1)


def signs_in(password: str, username: str = "alice") -> bool:
    payload = {"username": username, "password": password}
    return post(Client(), "/token/pair", payload).status_code == 200


def refreshes(refresh: str) -> bool:
    return post(Client(), "/token/refresh", {"refresh": refresh}).status_code == 200


def session_of(username: str = "alice") -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    assert client.get("/account").status_code == 200
    return client


def signed_out(client: Client) -> bool:
    response = client.get("/account")
    return response.status_code == 302 and response["Location"] == "/login?next=/account"


def draw_day(day, django_capture_on_commit_callbacks) -> Draw:
    with on(the_day_after(day)), django_capture_on_commit_callbacks(execute=True):
        return lottery_draw(lottery_date=day)


# --- Password reset -------------------------------------------------------------------------


def test_a_known_and_an_unknown_address_get_the_same_answer(client, user):
    known = reset_request(client, "a@example.com")
    unknown = reset_request(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    (message,) = mail.outbox
    assert message.to == ["a@example.com"]
    assert "alice" in message.body


def test_the_mailed_link_sets_a_new_password_once(client, user):
    reset_request(client, "A@EXAMPLE.COM")  # any case of the address
    uid, token = reset_link(mail.outbox[0])

    assert reset_confirm(client, uid, token).status_code == 204
    assert signs_in(NEW_PASSWORD)
    assert not signs_in(PASSWORD)
    again = reset_confirm(client, uid, token, "yet-another-passphrase")
    assert again.status_code == 400
    assert again.json() == {"detail": LINK_INVALID}
    assert signs_in(NEW_PASSWORD)


def test_an_expired_link_is_refused(client, user, settings):
    with time_machine.travel(f"{D}T12:00:00Z", tick=False) as clock:
        reset_request(client)
        uid, token = reset_link(mail.outbox[0])
        clock.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
        response = reset_confirm(client, uid, token)

    assert response.status_code == 400
    assert response.json() == {"detail": LINK_INVALID}
    assert signs_in(PASSWORD)


def test_a_link_still_works_just_before_it_expires(client, user, settings):
    with time_machine.travel(f"{D}T12:00:00Z", tick=False) as clock:
        reset_request(client)
        uid, token = reset_link(mail.outbox[0])
        clock.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 60))
        assert reset_confirm(client, uid, token).status_code == 204


def test_a_reset_ends_every_refresh_token_and_session(client, user):
    refresh = obtain_tokens(Client(), "alice")["refresh"]
    other_refresh = obtain_tokens(Client(), "alice")["refresh"]
    session = session_of("alice")
    reset_request(client)

    assert reset_confirm(client, *reset_link(mail.outbox[0])).status_code == 204

    assert not refreshes(refresh)
    assert not refreshes(other_refresh)
    assert signed_out(session)


def test_a_weak_new_password_is_refused_and_the_link_kept(client, user):
    reset_request(client)
    uid, token = reset_link(mail.outbox[0])

    weak = reset_confirm(client, uid, token, "12345678")

    assert weak.status_code == 422
    assert "too common" in weak.json()["detail"]
    assert reset_confirm(client, uid, token).status_code == 204


def test_no_mail_goes_to_an_address_not_confirmed(client, user):
    User.objects.filter(pk=user.pk).update(email_confirmed=False)

    response = reset_request(client)

    assert response.status_code == 202
    assert mail.outbox == []


def test_no_mail_goes_to_a_new_address_before_it_is_confirmed(client, auth_client, user):
    change = auth_client.put(
        "/accounts/me/email", {"email": "new@example.com", "password": PASSWORD}, content_type=JSON
    )
    assert change.status_code == 202
    mail.outbox.clear()

    assert reset_request(client, "new@example.com").status_code == 202
    assert mail.outbox == []
    assert reset_request(client, "a@example.com").status_code == 202
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_each_account_with_the_address_gets_its_own_link(client, user):
    User.objects.create_user("bob", email="a@example.com", password=PASSWORD)

    reset_request(client)

    assert sorted(re.findall(r'account "(\w+)"', " ".join(str(m.body) for m in mail.outbox))) == [
        "alice",
        "bob",
    ]


def test_requests_are_limited_per_client_address(client, user, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 2

    statuses = [reset_request(client, f"x{i}@example.com").status_code for i in range(3)]

    assert statuses == [202, 202, 429]
    assert int(reset_request(client)["Retry-After"]) > 0


def test_requests_are_limited_per_email_address_from_any_client(user):
    statuses = [reset_request(Client(REMOTE_ADDR=f"203.0.113.{i}")).status_code for i in range(4)]
    unknown = [
        reset_request(Client(REMOTE_ADDR=f"198.51.100.{i}"), "nobody@example.com").status_code
        for i in range(4)
    ]

    assert statuses == unknown == [202, 202, 202, 429]  # the same for an unknown address
    assert len(mail.outbox) == 3


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"email": ""},
        {"email": "not-an-address"},
        {"email": "a@localhost"},
        {"email": None},
        {"email": 7},
        {"email": "x" * 300},
        {"email": "a@example.com", "extra": 1},
    ],
)
def test_a_bad_reset_request_is_a_422(client, user, payload):
    response = post(client, "/accounts/password-reset", payload)

    assert response.status_code == 422
    assert "detail" in response.json()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("uid", "token"),
    [
        ("MQ", "garbage"),
        ("!!!", "abc-def"),
        ("", "abc-def"),
        ("bm90LWEtbnVtYmVy", "abc-def"),  # "not-a-number"
        ("OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk", "abc-def"),  # a number past any id
        ("_w", "abc-def"),  # not UTF-8
        ("MA", "abc-def"),  # id 0
        ("4pGg", "abc-def"),  # a circled digit one: a digit to isdigit, not an id
        ("MQ", "x" * 129),
    ],
)
def test_a_bad_link_is_a_clear_4xx_never_a_500(client, user, uid, token):
    response = reset_confirm(client, uid, token)

    assert response.status_code in (400, 422)
    assert response.json()["detail"]
    assert signs_in(PASSWORD)


# --- Change password ------------------------------------------------------------------------


def change_password(client: Client, old: str, new: str = NEW_PASSWORD):
    payload = {"old_password": old, "new_password": new}
    return post(client, "/accounts/me/password", payload)


def test_a_wrong_current_password_is_refused(auth_client, user):
    response = change_password(auth_client, "not-my-password")

    assert response.status_code == 403
    assert response.json() == {"detail": "The password is not correct."}
    assert signs_in(PASSWORD)


def test_changing_the_password_ends_other_sessions_and_refresh_tokens(auth_client, user):
    refresh = obtain_tokens(Client(), "alice")["refresh"]
    session = session_of("alice")

    assert change_password(auth_client, PASSWORD).status_code == 204

    assert signs_in(NEW_PASSWORD)
    assert not signs_in(PASSWORD)
    assert not refreshes(refresh)
    assert signed_out(session)
    # A refresh token issued after the change works.
    assert refreshes(obtain_tokens(Client(), "alice", NEW_PASSWORD)["refresh"])


def test_a_weak_new_password_is_refused(auth_client, user):
    response = change_password(auth_client, PASSWORD, "alice")

    assert response.status_code == 422
    assert signs_in(PASSWORD)


def test_guessing_the_current_password_counts_on_the_accounts_limit(auth_client, user, settings):
    settings.AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE = 2
    statuses = [change_password(auth_client, f"guess-{i}").status_code for i in range(3)]

    assert statuses == [403, 403, 429]
    # The same count as signing in.
    assert (
        post(Client(), "/token/pair", {"username": "alice", "password": PASSWORD}).status_code
        == 429
    )


def test_changing_the_password_needs_a_token(client, user):
    assert change_password(client, PASSWORD).status_code == 401


# --- Change email ---------------------------------------------------------------------------


def change_email(client: Client, email: str, password: str = PASSWORD):
    payload = {"email": email, "password": password}
    return client.put("/accounts/me/email", payload, content_type=JSON)


def test_a_new_address_is_used_once_the_link_mailed_to_it_is_opened(client, auth_client, user):
    response = change_email(auth_client, "alice@example.org")

    assert response.status_code == 202
    assert response.json()["email"] == "a@example.com"  # unchanged until confirmed
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    token = confirm_token(message)
    assert post(client, "/accounts/email/confirm", {"token": token}).status_code == 204
    profile = auth_client.get("/accounts/me").json()
    assert (profile["email"], profile["email_confirmed"]) == ("alice@example.org", True)
    used = post(client, "/accounts/email/confirm", {"token": token})
    assert used.status_code == 400
    assert used.json() == {"detail": LINK_INVALID}


def test_changing_the_email_needs_the_password(auth_client, user):
    wrong = change_email(auth_client, "mallory@example.org", "not-my-password")
    missing = auth_client.put(
        "/accounts/me/email", {"email": "mallory@example.org"}, content_type=JSON
    )

    assert (wrong.status_code, missing.status_code) == (403, 422)
    assert mail.outbox == []
    user.refresh_from_db()
    assert (user.email, user.email_confirmed) == ("a@example.com", True)


def test_a_confirmation_link_expires_and_dies_with_a_password_change(client, auth_client, user):
    change_email(auth_client, "first@example.org")
    change_email(auth_client, "second@example.org")
    first, second = (confirm_token(m) for m in mail.outbox)

    assert change_password(auth_client, PASSWORD).status_code == 204
    for token in (first, second):
        assert post(client, "/accounts/email/confirm", {"token": token}).status_code == 400

    change_email(auth_client, "third@example.org", NEW_PASSWORD)
    third = confirm_token(mail.outbox[-1])
    with time_machine.travel(timedelta(days=3, seconds=1), tick=False):
        assert post(client, "/accounts/email/confirm", {"token": third}).status_code == 400
    user.refresh_from_db()
    assert user.email == "a@example.com"


@pytest.mark.parametrize("token", ["x", "a:b:c", "e30:1tZ:sig", "é" * 20, "x" * 1025])
def test_a_bad_confirmation_token_is_a_clear_4xx(client, user, token):
    response = post(client, "/accounts/email/confirm", {"token": token})

    assert response.status_code in (400, 422)
    assert response.json()["detail"]


def test_a_registration_address_is_confirmed_by_its_link(client):
    payload = {"username": "carol", "password": PASSWORD, "email": "carol@example.com"}
    assert post(client, "/accounts/register", payload).status_code == 201
    (message,) = mail.outbox
    carol = User.objects.get(username="carol")
    assert (carol.email, carol.email_confirmed) == ("carol@example.com", False)

    assert (
        post(client, "/accounts/email/confirm", {"token": confirm_token(message)}).status_code
        == 204
    )
    carol.refresh_from_db()
    assert carol.email_confirmed


def test_the_winner_email_goes_to_the_confirmed_address_only(
    client, auth_client, user, django_capture_on_commit_callbacks
):
    change_email(auth_client, "alice@example.org")  # asked, not confirmed
    with on(D):
        assert submit(auth_client).status_code == 201
    mail.outbox.clear()

    draw_day(D, django_capture_on_commit_callbacks)

    (message,) = mail.outbox
    assert message.to == ["a@example.com"]
    assert WinnerNotification.objects.get(draw__lottery__date=D).email == "a@example.com"


def test_a_winner_with_an_address_never_confirmed_gets_no_email(
    client, django_capture_on_commit_callbacks
):
    payload = {"username": "carol", "password": PASSWORD, "email": "carol@example.com"}
    post(client, "/accounts/register", payload)
    carol = bearer_client(User.objects.get(username="carol"))
    with on(D):
        assert submit(carol).status_code == 201
    mail.outbox.clear()

    draw = draw_day(D, django_capture_on_commit_callbacks)

    assert draw.winning_ballot_id is not None
    assert mail.outbox == []
    assert not WinnerNotification.objects.exists()
    with on(the_day_after(D)):
        assert winner_notifications_requeue() == []  # nothing queued again at every sweep


# --- Delete the account ---------------------------------------------------------------------


def delete_account(client: Client, password: str = PASSWORD):
    return client.delete("/accounts/me", {"password": password}, content_type=JSON)


def test_deleting_the_account_needs_the_password(auth_client, user):
    wrong = delete_account(auth_client, "not-my-password")
    missing = auth_client.delete("/accounts/me", {}, content_type=JSON)
    no_body = auth_client.delete("/accounts/me")

    assert (wrong.status_code, missing.status_code) == (403, 422)
    assert no_body.status_code in (400, 415, 422)
    assert wrong.json() == {"detail": "The password is not correct."}
    assert User.objects.filter(pk=user.pk).exists()


def test_deleting_the_account_needs_a_token(client, user):
    assert delete_account(client).status_code == 401
    assert User.objects.filter(pk=user.pk).exists()


def test_a_deleted_accounts_ballots_stay_in_their_draw_without_a_link_to_it(
    client, auth_client, other_client, user, django_capture_on_commit_callbacks
):
    with on(D):
        mine = [submit(auth_client).json()["id"] for _ in range(3)]
        keyed = auth_client.post("/ballots", {}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k1")
        assert keyed.status_code == 201
        mine.append(keyed.json()["id"])
        theirs = [submit(other_client).json()["id"] for _ in range(2)]
    refresh = obtain_tokens(Client(), "alice")["refresh"]
    ids = sorted((UUID(i) for i in mine + theirs), key=lambda u: u.bytes)
    expected_root = merkle.root_of([merkle.leaf_hash(u.bytes) for u in ids]).hex()

    assert delete_account(auth_client).status_code == 204

    assert not User.objects.filter(username="alice").exists()
    assert Ballot.objects.filter(lottery__date=D).count() == 6
    assert set(Ballot.objects.filter(user=None).values_list("id", flat=True)) == {
        UUID(i) for i in mine
    }
    assert not BallotIdempotencyKey.objects.exists()
    assert not refreshes(refresh)
    assert auth_client.get("/accounts/me").status_code == 401
    draw = draw_day(D, django_capture_on_commit_callbacks)
    assert draw.ballot_count == 6
    assert draw.merkle_root == expected_root


def test_a_deleted_accounts_winning_ballot_is_drawn_and_shown_with_no_one_to_email(
    client, auth_client, user, django_capture_on_commit_callbacks
):
    with on(D):
        ids = {submit(auth_client).json()["id"] for _ in range(2)}
    assert delete_account(auth_client).status_code == 204
    mail.outbox.clear()

    draw = draw_day(D, django_capture_on_commit_callbacks)

    assert str(draw.winning_ballot_id) in ids
    assert mail.outbox == []
    assert not WinnerNotification.objects.exists()
    result = client.get(f"/draws/{D}")
    assert result.status_code == 200
    assert result.json()["winning_ballot_id"] == str(draw.winning_ballot_id)
    page = client.get(f"/results/{D}")
    assert page.status_code == 200
    assert str(draw.winning_ballot_id) in page.content.decode()
    assert "a deleted account's ballot" in page.content.decode()
    with on(the_day_after(D)):
        assert winner_notifications_requeue() == []


def test_an_account_deleted_after_its_ballot_won_leaves_the_result_as_it_was(
    client, auth_client, user, django_capture_on_commit_callbacks
):
    with on(D):
        submit(auth_client)
    draw = draw_day(D, django_capture_on_commit_callbacks)
    before = client.get(f"/draws/{D}").json()
    assert WinnerNotification.objects.get(draw=draw).email == user.email
    assert "a deleted account" not in client.get(f"/results/{D}").content.decode()

    assert delete_account(auth_client).status_code == 204
    # The draw keeps its winner; the record of the mail keeps no address of the person.
    assert WinnerNotification.objects.get(draw=draw).email == ""

    assert client.get(f"/draws/{D}").json() == before
    assert Draw.objects.get(pk=draw.pk).winning_ballot_id == draw.winning_ballot_id
    assert client.get(f"/results/{D}").status_code == 200
