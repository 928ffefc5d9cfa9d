from django.contrib import admin
from django.http import HttpRequest

from draws.models import Draw, WinnerNotification


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


@admin.register(WinnerNotification)
class WinnerNotificationAdmin(admin.ModelAdmin[WinnerNotification]):
    """Read-only: a row stuck in "sending" is a mail a dying worker may or may not have sent."""

    list_display = ["draw", "email", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state"]
    list_select_related = ["draw__lottery"]
    readonly_fields = [f.name for f in WinnerNotification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: WinnerNotification | None = None
    ) -> bool:
        return False
