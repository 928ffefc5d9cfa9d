from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from ballots.models import Ballot, Lottery


@admin.register(Lottery)
class LotteryAdmin(admin.ModelAdmin[Lottery]):
    list_display = ["date", "state", "closes_at", "ballot_count"]
    list_filter = ["state", ("date", admin.DateFieldListFilter)]
    date_hierarchy = "date"
    readonly_fields = ["date", "state", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lottery]:
        return super().get_queryset(request).annotate(ballot_total=Count("ballots"))

    @admin.display(description="ballots", ordering="ballot_total")
    def ballot_count(self, lottery: Lottery) -> int:
        return lottery.ballot_total  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # lotteries are created on demand by submissions and draws

    def has_delete_permission(self, request: HttpRequest, obj: Lottery | None = None) -> bool:
        return False


@admin.register(Ballot)
class BallotAdmin(admin.ModelAdmin[Ballot]):
    list_display = ["id", "user", "lottery", "created_at"]
    list_filter = ["lottery__state", ("lottery__date", admin.DateFieldListFilter)]
    list_select_related = ["user", "lottery"]
    search_fields = ["user__username", "=id"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting millions of ballots on every page load is slow

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Ballot | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Ballot | None = None) -> bool:
        return False
