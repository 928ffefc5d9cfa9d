"""The human side: server-rendered pages over the same services and selectors as the API.

Handlers stay thin: a form's shape, then a service or selector, then a template. A domain
error becomes a message next to its field (forms.errors_to_fields), never a second copy of
the rule. Everything here answers HTML; the API's paths keep answering JSON. A form with
errors comes back with 200, as Django's own views do (a 4xx would put an error in the
browser's console for what is a person's typo); only a rate limit answers 429.
"""

import hashlib
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import orjson
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from accounts.schemas import RegisterIn
from accounts.services import user_register
from ballots import selectors as ballot_selectors
from ballots import services as ballot_services
from ballots.models import Ballot, BallotStatus, Lottery
from ballots.schemas import BallotFilters, LotteryOut
from common.errors import ApplicationError, NotFound, RateLimited
from common.ratelimit import address_limit_charge
from common.renderers import json_bytes
from common.schemas import ISO_DATE
from draws import selectors as draw_selectors
from draws.schemas import DrawOut
from pages.forms import (
    BallotFilterForm,
    LoginForm,
    PlayForm,
    RegisterForm,
    errors_to_fields,
    schema_validate,
)
from scripts.build_verifier import build as build_verifier

RESULTS_PER_PAGE = 20
BALLOTS_PER_PAGE = 50
LATEST_RESULTS = 5
OWN_BALLOTS_SHOWN = 10  # on a result page; the rest are a link to My ballots away
# The register form's field for each RegisterIn (and user_register) input named otherwise.
REGISTER_FORM_FIELDS = {"password": "password1"}
# The in-browser verifier's floor on the delay: verify_draw.py's --min-delay default. No
# verifier setting comes from the link (a link's author would choose what the page accepts):
# the person types it, or the page takes the one this browser kept (verify.js).
DEFAULT_MIN_DELAY = "2^27"
VERIFIER_FILE = "lottery-verifier.html"

# Everything a page loads comes from this server: no CDN, no font service, no inline script
# (the verifier and the countdown are files in pages/static), so the site works offline and
# an injected script could not send anything elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def page_headers(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The pages' security policy; a participant's own pages are never stored by caches."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store" if request.user.is_authenticated else "no-cache"
        return response

    return wrapper


def not_found(request: HttpRequest, detail: str) -> HttpResponse:
    return render(request, "pages/not_found.html", {"detail": detail}, status=404)


def _as_published(schema: Any) -> dict[str, Any]:
    # Through the API's own renderer, so every value is spelled as the JSON spells it.
    return dict(orjson.loads(json_bytes(schema.model_dump())))


def _draw_values(draw: Any) -> dict[str, Any]:
    """The draw as GET /draws/{date} publishes it (same schema, same spelling)."""
    return _as_published(DrawOut.from_orm(draw))


def _policy(lottery: Any) -> dict[str, Any]:
    """What GET /lotteries publishes of a day beyond its date and state: the rule's values."""
    values = _as_published(LotteryOut.from_orm(lottery))
    shown = {k: v for k, v in values.items() if k not in ("date", "closes_at", "status")}
    return {k: v for k, v in shown.items() if v is not None}  # e.g. no commitment: no seed


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    lotteries = ballot_services.lottery_open_window()
    user_id = _viewer_id(request)
    counts = ballot_selectors.lottery_ballot_counts(
        lottery_dates=[lottery.date for lottery in lotteries], user_id=user_id
    )
    days = [_open_day(lottery, counts) for lottery in lotteries]
    latest = list(draw_selectors.draw_list()[:LATEST_RESULTS])
    own_winners = _own_winners(user_id, latest)
    context = {
        "today": days[0] if days else None,
        "next_days": days[1:],
        "latest": latest,
        "own_winners": own_winners,
        "won": next((d for d in latest if d.winning_ballot_id in own_winners), None),
    }
    return _own_state(request, render(request, "pages/home.html", context))


@require_safe
def results(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(draw_selectors.draw_list(), RESULTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "own_winners": _own_winners(_viewer_id(request), page.object_list)}
    return _own_state(request, render(request, "pages/results.html", context))


def _user_id(request: HttpRequest) -> int:
    # login_required has run: the user is a saved, authenticated one.
    return int(request.user.pk)  # type: ignore[arg-type]


def _date_from_path(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if ISO_DATE.fullmatch(value) else None
    except ValueError:
        return None


@require_safe
def result(request: HttpRequest, lottery_date: str) -> HttpResponse:
    day = _date_from_path(lottery_date)
    if day is None:
        return not_found(request, f"{lottery_date!r} is not a date (YYYY-MM-DD).")
    try:
        draw = draw_selectors.draw_get(lottery_date=day)
    except NotFound as exc:
        return not_found(request, exc.detail)
    context = {
        "draw": draw,
        "ballot_count": f"{draw.ballot_count:,}",
        "values": _draw_values(draw),
        # ?ballot= (the winner's email) only names the ballot to check.
        "ballot_hint": request.GET.get("ballot", "")[:36],
        "min_delay": DEFAULT_MIN_DELAY,
        "verifier_file": VERIFIER_FILE,
        "verifier_sha256": _verifier()[1],
        "winner_deleted": draw.winning_ballot_id is not None
        and ballot_selectors.ballot_owner_deleted(ballot_id=draw.winning_ballot_id),
    }
    user_id = _viewer_id(request)
    if user_id is not None:
        own = ballot_selectors.ballot_list(user_id=user_id, lottery_date=day)
        count = own.count()
        context |= {
            "own_count": count,
            "own_shown": list(own[:OWN_BALLOTS_SHOWN]),
            "own_more": max(0, count - OWN_BALLOTS_SHOWN),
            "own_won": draw.winning_ballot_id in _own_winners(user_id, [draw]),
        }
    return _own_state(request, render(request, "pages/result.html", context))


@cache
def _verifier() -> tuple[bytes, str]:
    """The standalone verifier (scripts/build_verifier.py), built once per process, and its
    SHA-256: the bytes anyone gets from `make verifier` with the same sources."""
    content = build_verifier()
    return content, hashlib.sha256(content).hexdigest()


@require_safe
def verifier_download(request: HttpRequest) -> HttpResponse:
    """The standalone verifier, as a file to keep: the lottery serves it, but it runs from the
    person's disk, reads only the address they type and pins the keys they type."""
    content, digest = _verifier()
    response = HttpResponse(content, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{VERIFIER_FILE}"'
    response["Cache-Control"] = "no-cache"
    response["ETag"] = f'"{digest}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Where "next" never leads after logging in or registering: back to a form that sends a
# signed-in person on again (/login?next=/login was Django's ValueError, a 500), or to the
# POST-only log-out.
_NOT_NEXT = ("/login", "/logout", "/register")


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and not _leads_back(target) else default


def _leads_back(target: str) -> bool:
    try:
        path = urlsplit(target).path
    except ValueError:  # e.g. an unbalanced "[" in what should be a host
        return True
    return path.rstrip("/") in _NOT_NEXT


@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("pages:play")
    form = RegisterForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            # The one per-address budget of everything that hashes a password (the API's too).
            address_limit_charge(request=request)
        except RateLimited as exc:
            errors_to_fields(form, exc)
            status = 429
        if status == 200 and form.is_valid():
            data = form.cleaned_data
            payload = {
                "username": data["username"],
                "password": data["password1"],
                "email": data["email"] or None,
            }
            checked = schema_validate(form, RegisterIn, payload, renamed=REGISTER_FORM_FIELDS)
            if checked is not None:
                try:
                    user = user_register(**checked.dict())
                except ApplicationError as exc:
                    errors_to_fields(form, exc, renamed=REGISTER_FORM_FIELDS)
                else:
                    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                    messages.success(request, f"Welcome, {user.username}: your account is ready.")
                    return redirect(_next_url(request, "/play"))
    context = {"form": form, "next": _next_url(request, "")}
    return render(request, "pages/register.html", context, status=status)


class PageLoginView(LoginView):
    template_name = "pages/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_redirect_url(self, *args: Any, **kwargs: Any) -> str:
        # Django's own check (same host, safe scheme), then the pages' (_next_url).
        target = super().get_redirect_url(*args, **kwargs)
        return "" if _leads_back(target) else target

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if getattr(form, "rate_limited", False):
            response.status_code = 429
        return response


def _open_days() -> list[tuple[str, str]]:
    # Short labels: a phone's select shows about 30 characters (the page says when days close).
    days = []
    for number, lottery in enumerate(ballot_services.lottery_open_window()):
        if lottery.state == lottery.State.OPEN:
            label = f"{lottery.date:%a %-d %b %Y}" + (" (today)" if number == 0 else "")
            days.append((lottery.date.isoformat(), label))
    return days


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def play(request: HttpRequest) -> HttpResponse:
    days = _open_days()
    form = PlayForm(
        request.POST or None,
        initial={"date": request.GET.get("date", "")},
        days=days,
        max_count=settings.LOTTERY_MAX_BATCH,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            count, typed = form.cleaned_data["count"], form.cleaned_data["date"]
            user_id = _user_id(request)
            if count == 1:
                ballot = ballot_services.ballot_submit(user_id=user_id, lottery_date=typed)
                ids, day = [ballot.id], ballot.lottery_date  # type: ignore[attr-defined]
            else:
                # ballot_submit_batch refuses a count outside 1..LOTTERY_MAX_BATCH.
                batch = ballot_services.ballot_submit_batch(
                    user_id=user_id, lottery_date=typed, count=count
                )
                ids, day = batch.ids, batch.date
        except ApplicationError as exc:
            errors_to_fields(form, exc)
            if isinstance(exc, RateLimited):
                status = 429
        else:
            noun = "ballot" if len(ids) == 1 else "ballots"
            messages.success(
                request,
                f"{len(ids)} {noun} submitted for {day:%a %-d %b %Y}. Each ballot's page has "
                "its signed receipt to keep.",
            )
            return redirect(f"/my/ballots?date={day.isoformat()}")
    context = {"form": form, "days": days, "max_count": settings.LOTTERY_MAX_BATCH}
    return render(request, "pages/play.html", context, status=status)


@login_required
@require_safe
def my_ballots(request: HttpRequest) -> HttpResponse:
    form = BallotFilterForm(request.GET or None)
    raw = {k: request.GET[k] for k in ("date", "status") if request.GET.get(k)}
    filters = schema_validate(form, BallotFilters, raw) if raw else BallotFilters()
    ballots = (
        ballot_selectors.ballot_list(
            user_id=_user_id(request), lottery_date=filters.date, status=filters.status
        )
        if filters is not None
        else Ballot.objects.none()  # nothing until the filter is corrected
    )
    page = Paginator(ballots, BALLOTS_PER_PAGE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in raw.items()) if filters else ""
    context = {"form": form, "page": page, "filtered": bool(raw) and filters, "query": query}
    return render(request, "pages/my_ballots.html", context)


@login_required
@require_safe
def ballot(request: HttpRequest, ballot_id: UUID) -> HttpResponse:
    try:
        found = ballot_selectors.ballot_get(user_id=_user_id(request), ballot_id=ballot_id)
    except NotFound as exc:
        return not_found(request, exc.detail)
    drawn = found.status != BallotStatus.PENDING  # type: ignore[attr-defined]
    context = {
        "ballot": found,
        "drawn": drawn,
        "min_delay": DEFAULT_MIN_DELAY,
        # A day of the old rule is checked against the commitment seen before its close.
        "old_rule": found.lottery_rule == Lottery.Rule.HMAC,  # type: ignore[attr-defined]
    }
    return render(request, "pages/ballot.html", context)


@login_required
@require_safe
def ballot_receipt(request: HttpRequest, ballot_id: UUID) -> HttpResponse:
    """The ballot's signed receipt as a file to keep (GET /ballots/{id}/receipt's bytes)."""
    try:
        receipt = ballot_services.ballot_receipt(user_id=_user_id(request), ballot_id=ballot_id)
    except NotFound as exc:
        return not_found(request, exc.detail)
    response = HttpResponse(receipt, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="receipt-{ballot_id}.txt"'
    response["Cache-Control"] = "no-store"
    return response


def _viewer_id(request: HttpRequest) -> int | None:
    return int(request.user.pk) if request.user.is_authenticated else None


def _own_state(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A page that shows the signed-in person's own ballots or win is theirs alone: no shared
    cache may keep it, nor the browser's disk (page_headers' no-store). Anonymous pages keep
    page_headers' revalidated caching."""
    if request.user.is_authenticated:
        response["Cache-Control"] = "private, no-store"
    return response


def _own_winners(user_id: int | None, draws: Any) -> set[UUID]:
    """Which of these draws' winning ballots are the user's: one query on the user's wins."""
    winners = [draw.winning_ballot_id for draw in draws if draw.winning_ballot_id]
    if user_id is None or not winners:
        return set()
    won = ballot_selectors.ballot_list(user_id=user_id, status=BallotStatus.WON)
    return set(won.filter(pk__in=winners).values_list("id", flat=True))


def _chance(own: int, total: int) -> str:
    """The person's share of a day's ballots so far, in words a player reads at a glance."""
    if own == 0 or total == 0:
        return ""
    if own >= total:
        return "every ballot so far is yours"
    share = own / total
    if share >= 0.1:
        return f"a {min(share, 0.99):.0%} chance so far"  # 99.6 % is not "100 %"
    return f"about a 1 in {round(total / own):,} chance so far"


def _open_day(lottery: Lottery, counts: ballot_selectors.BallotCounts) -> dict[str, Any]:
    total, own = counts.total.get(lottery.date, 0), counts.own.get(lottery.date, 0)
    return {
        "lottery": lottery,
        "total": total,
        "total_text": f"{total:,}",
        "own": own,
        "own_text": f"{own:,}",
        "chance": _chance(own, total),
    }


@require_safe
def how_it_works(request: HttpRequest) -> HttpResponse:
    """The rules in plain words; the open days' published values, folded, for auditors."""
    lotteries = ballot_services.lottery_open_window()
    context = {
        "open_days": [{"lottery": lottery, "policy": _policy(lottery)} for lottery in lotteries],
        "open_days_count": settings.LOTTERY_OPEN_DAYS,
        "max_batch": settings.LOTTERY_MAX_BATCH,
        "min_delay": DEFAULT_MIN_DELAY,
        "verifier_file": VERIFIER_FILE,
    }
    return render(request, "pages/how_it_works.html", context)
