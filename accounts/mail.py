"""The account's mails (reset links, address confirmations), through the mail settings."""

import logging
import smtplib
from typing import Any

from django.core.mail import send_mail
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def account_mail(*, to: str, subject: str, template: str, context: dict[str, Any]) -> bool:
    """Send one of the account's mails; False (logged) if the mail server did not take it."""
    body = render_to_string(f"accounts/email/{template}.txt", context)
    try:
        send_mail(subject, body, None, [to])  # from DEFAULT_FROM_EMAIL
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("Could not send the %s mail: %r", template, exc)
        return False
    return True
