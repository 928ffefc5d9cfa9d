from django.http import HttpRequest

from ballots.calendar import lottery_zone


def site(request: HttpRequest) -> dict[str, str]:
    """The lottery's zone: every date and time on a page is shown in it (base.html)."""
    return {"lottery_zone": lottery_zone().key}
