from typing import Any

from celery import shared_task

from accounts.mail import account_mail


@shared_task(ignore_result=True)
def account_mail_send(*, to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    """A reset link's mail, sent by the worker: the request for it answers as fast for an
    address the lottery knows as for one it does not (no SMTP conversation in the answer)."""
    account_mail(to=to, subject=subject, template=template, context=context)
