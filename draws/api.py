from datetime import date

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.pagination import paginate

from draws import selectors
from draws.schemas import DrawOut
from lottery_app.http_cache import IMMUTABLE, list_cache_control
from lottery_app.schemas import errors

router = Router(tags=["draws"])


@router.get("", response={200: list[DrawOut], **errors(422)})
@paginate
def draw_list(request: HttpRequest, response: HttpResponse) -> object:
    response["Cache-Control"] = list_cache_control()
    return selectors.draw_list()


@router.get("/{lottery_date}", response={200: DrawOut, **errors(404, 422)})
def draw_detail(request: HttpRequest, lottery_date: date) -> HttpResponse:
    """A drawn day's result never changes: cacheable for good, rendered once per process."""
    body, etag = selectors.draw_rendered(lottery_date=lottery_date)
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    return response
