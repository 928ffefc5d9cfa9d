"""A winner email that cannot even be built is marked failed for good, never left sending."""

import socket
from unittest import mock

import pytest
from aiosmtpd.controller import Controller

from accounts.models import User
from draws.models import WinnerNotification
from draws.services import lottery_draw
from draws.tasks import draw_winner_notify
from tests.conftest import PASSWORD, D, bearer_client, on, submit, the_day_after


class Recorder:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(envelope.content)
        return "250 OK"


@pytest.fixture
def mail_server(settings):
    handler = Recorder()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield handler
    controller.stop()


@pytest.mark.django_db(transaction=True)  # the email is queued only when the draw commits
def test_an_address_that_cannot_be_put_in_a_header_fails_for_good(mail_server):
    winner = User.objects.create_user("alice", password=PASSWORD)
    # Stored before addresses were checked: a line break that would add a Bcc header.
    User.objects.filter(pk=winner.pk).update(email='"a\x0bBcc: victim"@example.com')
    with on(D):
        assert submit(bearer_client(winner)).status_code == 201

    retry = mock.patch.object(draw_winner_notify, "retry", wraps=draw_winner_notify.retry)
    with on(the_day_after(D)), retry as spy:
        lottery_draw(lottery_date=D)

    record = WinnerNotification.objects.get()
    assert record.state == "failed"
    assert "cannot be built" in record.last_error
    assert spy.call_count == 0  # no retry could ever build it
    assert mail_server.received == []
