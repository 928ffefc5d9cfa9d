"""The winner's email: exactly one per draw, retried while the mail server fails."""

import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from prometheus_client import REGISTRY

from accounts.models import User
from config.celery import app as celery_app
from draws.models import Draw, WinnerNotification
from draws.notification_tasks import NOTIFY_MAX_RETRIES, draw_winner_notify
from draws.services import REQUEUE_WINDOW, lottery_draw, lottery_draw_closed
from draws.tasks import lottery_draw_closed_days
from tests.conftest import PASSWORD, D, bearer_client, on, submit, the_day_after

pytestmark = pytest.mark.django_db


@pytest.fixture
def participants(db):
    """alice (with an email) and bob (with another), both able to submit."""
    alice = User.objects.create_user("alice", email="alice@example.com", password=PASSWORD)
    bob = User.objects.create_user("bob", email="bob@example.com", password=PASSWORD)
    return {alice.email: bearer_client(alice), bob.email: bearer_client(bob)}


def submit_on(day, clients, each=2):
    with on(day):
        for client in clients:
            for _ in range(each):
                assert submit(client).status_code == 201


def winner_email(draw: Draw) -> str:
    return draw.winning_ballot.user.email  # type: ignore[union-attr]


def notifications(result: str) -> float:
    return REGISTRY.get_sample_value("lottery_notifications_total", {"result": result}) or 0.0


def retries() -> float:
    labels = {"task": draw_winner_notify.name}
    return REGISTRY.get_sample_value("lottery_task_retries_total", labels) or 0.0


def test_the_winner_alone_gets_one_email_naming_the_day_the_ballot_and_the_proof(
    participants, mailoutbox, django_capture_on_commit_callbacks
):
    submit_on(D, participants.values())

    with on(the_day_after(D)), django_capture_on_commit_callbacks(execute=True):
        draw = lottery_draw(lottery_date=D)

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [winner_email(draw)]
    assert str(D) in mail.subject
    assert str(draw.winning_ballot_id) in mail.body
    # Links to the pages, which a person can open (the ballot's page after logging in).
    assert f"http://localhost:8000/results/{D}\n" in mail.body
    assert f"http://localhost:8000/my/ballots/{draw.winning_ballot_id} " in mail.body
    assert f"http://localhost:8000/results/{D}?ballot={draw.winning_ballot_id}\n" in mail.body
    record = WinnerNotification.objects.get(draw=draw)
    assert (record.state, record.attempts, record.email) == ("sent", 1, winner_email(draw))


def test_a_notification_delivered_twice_sends_one_email(
    participants, mailoutbox, django_capture_on_commit_callbacks
):
    submit_on(D, participants.values())
    with on(the_day_after(D)), django_capture_on_commit_callbacks(execute=True):
        draw = lottery_draw(lottery_date=D)

    # acks_late: the broker hands the same message to a worker again.
    again = draw_winner_notify.apply(args=(draw.pk,))

    assert again.successful()
    assert "already sent" in str(again.result)
    assert len(mailoutbox) == 1


def test_a_redelivered_draw_task_emails_nobody_again(
    participants, mailoutbox, django_capture_on_commit_callbacks
):
    submit_on(D, participants.values())
    with on(the_day_after(D)), django_capture_on_commit_callbacks(execute=True):
        lottery_draw_closed_days.apply()
        lottery_draw_closed_days.apply()

    assert len(mailoutbox) == 1


def test_the_catch_up_emails_each_missed_days_winner_once(
    participants, mailoutbox, django_capture_on_commit_callbacks
):
    alice, bob = participants.values()
    submit_on(D, [alice])
    submit_on(D + timedelta(1), [bob])
    # D + 2 has no ballots: no winner, no email. The scheduler comes back on D + 3.
    with on(D + timedelta(3)), django_capture_on_commit_callbacks(execute=True):
        draws = lottery_draw_closed()
        lottery_draw_closed()

    assert [d.lottery.date for d in draws] == [D, D + timedelta(1), D + timedelta(2)]
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "bob@example.com"]


def test_a_winner_without_an_email_address_gets_nothing(
    ballots_on, user, mailoutbox, django_capture_on_commit_callbacks
):
    user.email = ""
    user.save()
    ballots_on(D, 2)

    with on(the_day_after(D)), django_capture_on_commit_callbacks(execute=True):
        lottery_draw(lottery_date=D)

    assert mailoutbox == []
    assert not WinnerNotification.objects.exists()


# --- A real SMTP server that fails ---------------------------------------------------------


class FlakyMailServer:
    """An aiosmtpd handler that answers 451 (try later) to the first ``failures`` messages."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.refused = 0
        self.received: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.failures > 0:
            self.failures -= 1
            self.refused += 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.received.append(envelope.content.decode())
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """Start a local SMTP server on a free port and point Django's SMTP backend at it."""
    servers = []

    def start(failures: int) -> FlakyMailServer:
        handler = FlakyMailServer(failures)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        servers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        return handler

    yield start
    for controller in servers:
        controller.stop()


def draw_with_retries_recorded(day):
    """Draw ``day``; the email task runs inline, retries included. Return the retry delays."""
    retry = mock.patch.object(draw_winner_notify, "retry", wraps=draw_winner_notify.retry)
    with on(the_day_after(day)), retry as spy:
        lottery_draw(lottery_date=day)
    return [call.kwargs["countdown"] for call in spy.call_args_list]


@pytest.mark.django_db(transaction=True)  # the email is queued only when the draw commits
def test_a_failing_mail_server_is_retried_with_backoff_until_it_takes_the_email(
    participants, smtp_server, client
):
    server = smtp_server(failures=3)
    submit_on(D, participants.values())
    failed_before, sent_before = notifications("failed"), notifications("sent")
    retries_before = retries()

    delays = draw_with_retries_recorded(D)

    assert delays == [30, 60, 120]
    assert server.refused == 3
    assert len(server.received) == 1
    draw = Draw.objects.get(lottery__date=D)
    assert f"To: {winner_email(draw)}" in server.received[0]
    record = WinnerNotification.objects.get(draw=draw)
    assert (record.state, record.attempts) == ("sent", 4)
    assert notifications("failed") - failed_before == 3
    assert notifications("sent") - sent_before == 1
    assert retries() - retries_before == 3
    assert client.get(f"/draws/{D}").json()["winning_ballot_id"] == str(draw.winning_ballot_id)


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_never_takes_the_email_does_not_affect_the_draw(
    participants, smtp_server, client
):
    server = smtp_server(failures=1000)
    submit_on(D, participants.values())

    delays = draw_with_retries_recorded(D)

    assert len(delays) == NOTIFY_MAX_RETRIES
    assert max(delays) <= 3600
    assert server.received == []
    assert WinnerNotification.objects.get().state == "failed"
    body = client.get(f"/draws/{D}").json()
    assert body["ballot_count"] == 4
    assert body["winning_ballot_id"] is not None


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_is_down_is_retried_like_one_that_refuses(participants, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    submit_on(D, participants.values())

    delays = draw_with_retries_recorded(D)

    assert len(delays) == NOTIFY_MAX_RETRIES
    assert "ConnectionRefusedError" in WinnerNotification.objects.get().last_error
    assert Draw.objects.filter(lottery__date=D).exists()


# --- The broker down when the draw commits: the sweep queues the email again -------------


@pytest.fixture
def broker_down() -> Iterator[Callable[[], AbstractContextManager[None]]]:
    """Within ``with broker_down():``, .delay() really connects to a closed local port.

    Tasks are not run inline meanwhile (that would skip the broker); afterwards the app's
    own broker and inline tasks come back.
    """
    conf = celery_app.conf
    eager = conf.task_always_eager

    def publish_to(url: str | None) -> None:
        # The write URL, not broker_url: Celery reads CELERY_BROKER_URL from the environment
        # first. The app caches its connection and producer pools: drop them.
        conf["broker_write_url"] = url
        celery_app._pool = None  # type: ignore[attr-defined]
        celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]

    @contextmanager
    def down() -> Iterator[None]:
        conf.task_always_eager = False
        publish_to(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
        try:
            yield
        finally:
            publish_to(None)
            conf.task_always_eager = eager

    yield down
    publish_to(None)
    conf.task_always_eager = eager


def draw_while_the_broker_is_down(day, broker_down, caplog) -> Draw:
    with on(the_day_after(day)), broker_down():
        draw = lottery_draw(lottery_date=day)
    # The draw committed; its on_commit enqueue really failed, so nothing was sent.
    assert "Error 111 connecting to 127.0.0.1" in caplog.text
    assert not WinnerNotification.objects.filter(draw=draw).exists()
    return draw


@pytest.mark.django_db(transaction=True)  # the email is queued only when the draw commits
def test_a_winner_whose_email_could_not_be_queued_is_emailed_once_by_the_next_sweep(
    participants, mailoutbox, broker_down, caplog
):
    submit_on(D, participants.values())
    draw = draw_while_the_broker_is_down(D, broker_down, caplog)
    assert mailoutbox == []

    with on(the_day_after(D), hour=13):  # the broker is back; the sweep runs
        lottery_draw_closed_days.apply(kwargs={"retry": False})
    assert [mail.to for mail in mailoutbox] == [[winner_email(draw)]]
    assert str(draw.winning_ballot_id) in mailoutbox[0].body
    assert WinnerNotification.objects.get(draw=draw).state == "sent"

    # Another sweep, and a duplicate delivery of the queued task (acks_late), send nothing.
    with on(the_day_after(D), hour=14):
        lottery_draw_closed_days.apply(kwargs={"retry": False})
    draw_winner_notify.apply(args=(draw.pk,))
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_sweep_while_the_broker_is_still_down_draws_and_the_next_one_emails(
    participants, mailoutbox, broker_down, caplog
):
    alice, bob = participants.values()
    submit_on(D, [alice])
    submit_on(D + timedelta(1), [bob])
    draw_while_the_broker_is_down(D, broker_down, caplog)

    # Still down: the re-queue fails, yet the sweep draws D + 1 (whose email fails too).
    with on(D + timedelta(2)), broker_down():
        assert [d.lottery.date for d in lottery_draw_closed()] == [D + timedelta(1)]
    assert "the next sweep tries again" in caplog.text
    with on(D + timedelta(2), hour=13):
        lottery_draw_closed_days.apply(kwargs={"retry": False})

    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "bob@example.com"]


def test_the_sweep_does_not_email_a_winner_again(
    participants, mailoutbox, django_capture_on_commit_callbacks
):
    submit_on(D, participants.values())
    with on(the_day_after(D)), django_capture_on_commit_callbacks(execute=True):
        lottery_draw(lottery_date=D)
    assert len(mailoutbox) == 1

    with on(the_day_after(D), hour=13), django_capture_on_commit_callbacks(execute=True):
        lottery_draw_closed_days.apply(kwargs={"retry": False})

    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_the_sweep_does_not_email_the_winner_of_a_draw_older_than_its_window(
    participants, mailoutbox, broker_down, caplog
):
    submit_on(D, participants.values())
    draw_while_the_broker_is_down(D, broker_down, caplog)
    late = the_day_after(D) + REQUEUE_WINDOW + timedelta(days=1)

    with on(late):
        drawn = lottery_draw_closed_days.apply(kwargs={"retry": False}).get()

    assert len(drawn) == (late - the_day_after(D)).days  # the days between, with no winner
    assert mailoutbox == []
    assert not WinnerNotification.objects.exists()
