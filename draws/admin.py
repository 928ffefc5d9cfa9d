from django.contrib import admin
from django.http import HttpRequest

from draws.models import Draw


@admin.register(Draw)
class DrawAdmin(admin.ModelAdmin[Draw]):
    list_display = ["lottery", "winning_ballot", "ballot_count", "drawn_at"]
    list_select_related = ["lottery"]
    list_filter = [("lottery__date", admin.DateFieldListFilter)]
    search_fields = ["=winning_ballot__id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # results come only from the draw service

    def has_change_permission(self, request: HttpRequest, obj: Draw | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Draw | None = None) -> bool:
        return False
