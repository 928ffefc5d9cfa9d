"""The optional public-randomness hook: a drand-style beacon round published after the day.

A second, online source of unpredictability beside the delay function: the winner also
depends on a value that nobody knows until after the day closes. Part of a day's policy
(``Lottery.beacon_delay_seconds``) only when LOTTERY_BEACON_URL is set as the day is made.

The beacon speaks drand's HTTP API (https://drand.love/developer/http-api/):
``GET {url}/info`` gives ``genesis_time`` and ``period`` (seconds), and
``GET {url}/public/{round}`` gives ``{"round", "randomness", "signature"}`` once that round
is out. Round r is published at ``genesis_time + (r - 1) * period``; its randomness is
SHA-256 of its BLS signature, which the verifier checks against the beacon's public key.
"""

import hashlib
import json
import math
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from ballots.calendar import closes_at
from common.errors import DependencyUnavailable

_TIMEOUT_SECONDS = 10


class BeaconUnavailable(DependencyUnavailable):
    """The beacon did not answer, or the day's round is not out yet: draw again later."""


@dataclass(frozen=True)
class BeaconValue:
    round: int
    randomness: str  # hex, as the beacon publishes it
    signature: str  # hex; randomness = SHA-256(signature)


def beacon_round_for(
    *, lottery_date: date, delay_seconds: int, genesis_time: int, period: int
) -> int:
    """The first round published at least ``delay_seconds`` (the day's policy) after its close.

    The verifier computes the same round from the close and the beacon's own genesis and
    period, so the operator cannot choose among rounds.
    """
    after = closes_at(lottery_date) + timedelta(seconds=delay_seconds)
    return max(1, math.ceil((after.timestamp() - genesis_time) / period) + 1)


def beacon_fetch(*, lottery_date: date, delay_seconds: int) -> BeaconValue:
    """The day's beacon value; its policy has a beacon, so one must be configured."""
    url = settings.LOTTERY_BEACON_URL.rstrip("/")
    if not url:
        raise BeaconUnavailable(
            f"The lottery of {lottery_date} published a beacon in its policy, and "
            "LOTTERY_BEACON_URL is empty: set it to the beacon the day was promised."
        )
    info = _get_json(f"{url}/info")
    try:
        genesis_time, period = int(info["genesis_time"]), int(info["period"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BeaconUnavailable(f"The beacon's /info is not drand's: {info!r}") from exc
    round_ = beacon_round_for(
        lottery_date=lottery_date,
        delay_seconds=delay_seconds,
        genesis_time=genesis_time,
        period=period,
    )
    value = _get_json(f"{url}/public/{round_}")
    randomness = str(value.get("randomness", "")).lower()
    signature = str(value.get("signature", "")).lower()
    if (
        value.get("round") != round_
        or not _is_hex(randomness)
        or not _is_hex(signature)
        or hashlib.sha256(bytes.fromhex(signature)).hexdigest() != randomness
    ):
        raise BeaconUnavailable(f"The beacon answered round {round_} with {value!r}.")
    return BeaconValue(round=round_, randomness=randomness, signature=signature)


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
    return 0 < len(value) <= 192
