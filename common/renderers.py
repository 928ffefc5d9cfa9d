from typing import Any

import orjson
from django.http import HttpRequest
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

_fallback = NinjaJSONEncoder()


def json_bytes(data: Any) -> bytes:
    """orjson writes datetimes, dates and UUIDs itself; anything else goes to Ninja's encoder."""
    return orjson.dumps(data, default=_fallback.default)


class ORJSONRenderer(BaseRenderer):
    """JSON via orjson: several times faster than json.dumps on every response."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return json_bytes(data)
