from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffsetPagination

# Far past any real page; below the bigint that made the database fail with a 500.
MAX_OFFSET = 1_000_000_000


class LimitOffsetPagination(NinjaLimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.PAGINATION_PER_PAGE, ge=1, le=settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
