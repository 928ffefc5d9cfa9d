"""EMAIL_URL: where winner emails go, read strictly."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from common.env import email_url_parse
from tests.config.test_settings import run_manage

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_the_console_and_locmem_backends_need_no_server():
    assert email_url_parse("E", "console://").backend.endswith("console.EmailBackend")
    assert email_url_parse("E", "locmem://").backend.endswith("locmem.EmailBackend")


@pytest.mark.parametrize(
    ("url", "port", "tls", "ssl"),
    [
        ("smtp://mail.example.com", 25, False, False),
        ("smtp+tls://mail.example.com", 587, True, False),
        ("smtps://mail.example.com", 465, False, True),
        ("smtp+tls://mail.example.com:2525", 2525, True, False),
    ],
)
def test_smtp_urls_choose_port_and_tls(url, port, tls, ssl):
    config = email_url_parse("E", url)

    assert (config.backend, config.host, config.port) == (SMTP, "mail.example.com", port)
    assert (config.use_tls, config.use_ssl) == (tls, ssl)


def test_user_and_password_are_percent_decoded():
    config = email_url_parse("E", "smtp+tls://lottery%40example.com:p%2Fss%3Aw@mail.example.com")

    assert (config.user, config.password) == ("lottery@example.com", "p/ss:w")


@pytest.mark.parametrize(
    "url",
    [
        "smtp://",  # no host
        "smtp://mail.example.com:twenty-five",
        "smtp://mail.example.com?tls=1",  # options go in the scheme, not the query
        "smtp://mail.example.com/inbox",
        "sendmail://localhost",
        "console://somewhere",
        "mail.example.com",
    ],
)
def test_anything_else_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="E"):
        email_url_parse("E", url)


def test_a_bad_email_url_stops_the_process():
    result = run_manage("check", env={"EMAIL_URL": "smtp//mail.example.com"})

    assert result.returncode != 0
    assert "EMAIL_URL='smtp//mail.example.com'" in result.stderr
