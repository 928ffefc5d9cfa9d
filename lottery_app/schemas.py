from ninja import Schema


class ErrorOut(Schema):
    detail: str | list[dict[str, object]]


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``response=`` entries for the error statuses a handler can return, for /docs."""
    return dict.fromkeys(statuses, ErrorOut)
