"""The optional public-randomness hook: a drand-style beacon round published after the day.

The operator knows a day's seed while the day is open, so on its own it could submit
ballots of its own until one of them wins. Mixing in a beacon value that nobody knows until
after the day closes removes that lever. Off unless LOTTERY_BEACON_URL is set.

The beacon speaks drand's HTTP API (https://drand.love/developer/http-api/):
``GET {url}/info`` gives ``genesis_time`` and ``period`` (seconds), and
``GET {url}/public/{round}`` gives ``{"round", "randomness"}`` once that round is out.
Round r is published at ``genesis_time + (r - 1) * period``.
"""

import json
import math
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from ballots.calendar import closes_at
from lottery_app.errors import ApplicationError

_TIMEOUT_SECONDS = 10


class BeaconUnavailable(ApplicationError):
    """The beacon did not answer, or the day's round is not out yet: draw again later."""

    status_code = 503


@dataclass(frozen=True)
class BeaconValue:
    round: int
    randomness: str  # hex, as the beacon publishes it


def beacon_round_for(*, lottery_date: date, genesis_time: int, period: int) -> int:
    """The first round published at least LOTTERY_BEACON_DELAY_SECONDS after the day closes."""
    after = closes_at(lottery_date) + timedelta(seconds=settings.LOTTERY_BEACON_DELAY_SECONDS)
    return max(1, math.ceil((after.timestamp() - genesis_time) / period) + 1)


def beacon_fetch(*, lottery_date: date) -> BeaconValue | None:
    """The day's beacon value, or None when no beacon is configured."""
    url = settings.LOTTERY_BEACON_URL.rstrip("/")
    if not url:
        return None
    info = _get_json(f"{url}/info")
    try:
        genesis_time, period = int(info["genesis_time"]), int(info["period"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BeaconUnavailable(f"The beacon's /info is not drand's: {info!r}") from exc
    round_ = beacon_round_for(lottery_date=lottery_date, genesis_time=genesis_time, period=period)
    value = _get_json(f"{url}/public/{round_}")
    randomness = str(value.get("randomness", ""))
    if value.get("round") != round_ or not _is_hex(randomness):
        raise BeaconUnavailable(f"The beacon answered round {round_} with {value!r}.")
    return BeaconValue(round=round_, randomness=randomness.lower())


def _get_json(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_SECONDS) as response:  # noqa: S310 - an operator-configured https URL
            body = json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        # A round not out yet answers 404/425 (an HTTPError, a URLError).
        raise BeaconUnavailable(f"The randomness beacon at {url} gave no value: {exc}") from exc
    if not isinstance(body, dict):
        raise BeaconUnavailable(f"The randomness beacon at {url} answered {body!r}.")
    return body


def _is_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return 0 < len(value) <= 128
