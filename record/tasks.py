from celery import shared_task

from record.witnessing import witnesses_ask


@shared_task(ignore_result=True)
def record_witness() -> None:
    """Ask the witnesses to cosign the newest checkpoint (after each entry, and on a timer)."""
    witnesses_ask()
