"""Telling the operator: a check-in URL (healthchecks.io's style) pinged at each close and
draw, and at ``<url>/fail`` when a sweep finds a day overdue. Monitoring that hears nothing
for a day raises its own alarm, so a lottery that stopped is noticed too.

Each ping runs on a thread of its own with a deadline for the whole request: a monitoring
service that is down or slow never delays a close or a draw, and a ping that fails is
logged, not retried (the next close, draw or sweep pings again).
"""

import logging
import threading
import time
import urllib.request

from django.conf import settings

logger = logging.getLogger(__name__)


def checkin(message: str, *, failed: bool = False) -> threading.Thread | None:
    """Ping LOTTERY_CHECKIN_URL (``/fail`` when ``failed``) with ``message``, in the
    background; None when no URL is configured."""
    url = settings.LOTTERY_CHECKIN_URL.rstrip("/")
    if not url:
        return None
    target = f"{url}/fail" if failed else url
    deadline = time.monotonic() + settings.LOTTERY_CHECKIN_TIMEOUT_SECONDS
    thread = threading.Thread(
        target=_ping, args=(target, message, deadline), name="checkin", daemon=True
    )
    thread.start()
    return thread


def _ping(url: str, message: str, deadline: float) -> None:
    request = urllib.request.Request(  # noqa: S310 - the operator's own URL, http(s) only
        url, data=message.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    try:
        if not url.startswith(("http://", "https://")):
            raise ValueError("LOTTERY_CHECKIN_URL must be an http:// or https:// URL")
        with urllib.request.urlopen(request, timeout=_left(deadline)) as answer:  # noqa: S310 - checked above
            while answer.read(4096) and _left(deadline) > 0:
                pass
    except (OSError, ValueError) as exc:
        logger.warning("The check-in to %s failed (%r): %s", url, exc, message)


def _left(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())
