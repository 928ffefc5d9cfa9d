import datetime as dt
import re
from typing import Annotated

from ninja import Schema
from pydantic import BeforeValidator

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, unlike \d


class ErrorOut(Schema):
    detail: str | list[dict[str, object]]


# What any endpoint with a JSON body can answer: malformed JSON, too large, not JSON, invalid.
BODY_ERRORS = (400, 413, 415, 422)


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``response=`` entries for the error statuses a handler can return, for /docs."""
    return dict.fromkeys(statuses, ErrorOut)


def _iso_date_only(value: object) -> object:
    # Pydantic's lax mode reads "0" or 1700000000 as a Unix timestamp; the API's dates are
    # YYYY-MM-DD and nothing else.
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)  # a ValueError here is a 422 too
    raise ValueError("Enter a date as YYYY-MM-DD.")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]
