from datetime import date

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from draws import selectors
from draws.schemas import DrawOut
from lottery_app.schemas import errors

router = Router(tags=["draws"])


@router.get("", response={200: list[DrawOut], **errors(422, 503)})
@paginate
def draw_list(request: HttpRequest) -> object:
    return selectors.draw_list()


@router.get("/{lottery_date}", response={200: DrawOut, **errors(404, 422, 503)})
def draw_detail(request: HttpRequest, lottery_date: date) -> object:
    return selectors.draw_get(lottery_date=lottery_date)
