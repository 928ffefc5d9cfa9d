from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from draws import selectors
from draws.schemas import DrawOut
from lottery_app.schemas import IsoDate, errors

router = Router(tags=["draws"])


@router.get("", response={200: list[DrawOut], **errors(400, 422)})
@paginate
def draw_list(request: HttpRequest) -> object:
    return selectors.draw_list()


@router.get("/{lottery_date}", response={200: DrawOut, **errors(404, 422)})
def draw_detail(request: HttpRequest, lottery_date: IsoDate) -> object:
    return selectors.draw_get(lottery_date=lottery_date)
