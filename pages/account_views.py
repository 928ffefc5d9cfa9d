"""The account's pages: one's address and password, a forgotten password reset by mail, and
the end of the account. They call the services the API calls (accounts.services), whose
refusals appear next to their field; as on the other pages, a form with a mistake comes back
with 200, and only a spent limit (429) or a dependency that is down (503) says otherwise.
"""

from collections.abc import Callable
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import User
from accounts.services import (
    email_confirm,
    email_confirmation_check,
    password_reset_check,
    password_reset_confirm,
    password_reset_request,
    user_delete,
    user_email_change,
    user_password_change,
)
from common.errors import ApplicationError, DependencyUnavailable, RateLimited
from common.http import error_status, no_store
from common.ratelimit import address_limit_charge
from pages.forms import (
    AccountDeleteForm,
    AccountEmailForm,
    AccountPasswordForm,
    PasswordResetRequestForm,
    PasswordResetSetForm,
    errors_to_fields,
)

# The services' name for the new password, and the form's.
NEW_PASSWORD = {"new_password": "new_password1"}
GET_OR_POST = ["GET", "HEAD", "POST"]


def _user(request: HttpRequest) -> User:
    # login_required has run: a saved, authenticated User.
    return cast(User, request.user)


def _refused(form: forms.Form, exc: ApplicationError, **renamed: str) -> int:
    """Show a service's refusal on ``form``; the page's status for it."""
    errors_to_fields(form, exc, renamed=renamed)
    return error_status(exc) if isinstance(exc, RateLimited | DependencyUnavailable) else 200


def _address_charge(request: HttpRequest, form: forms.Form) -> int:
    """The client address's one budget of everything that hashes a password (the API's too):
    200 if it has room, else the refusal's status, shown on ``form``."""
    try:
        address_limit_charge(request=request)
    except ApplicationError as exc:
        return _refused(form, exc)
    return 200


def _link_in_path(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the pages a mailed link opens: their path holds its secret, so no cache keeps them.

    The Referer stays SecurityMiddleware's "same-origin" (only this server sees the path):
    "no-referrer" made Chromium send "Origin: null" with the form, which CSRF refuses.
    """
    return no_store(view)


def _account_page(
    request: HttpRequest,
    *,
    email_form: AccountEmailForm | None = None,
    password_form: AccountPasswordForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "email_form": email_form or AccountEmailForm(),
        "password_form": password_form or AccountPasswordForm(),
    }
    return render(request, "pages/account.html", context, status=status)


@login_required
@require_safe
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@login_required
@require_http_methods(GET_OR_POST)
def account_email(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("pages:account")
    form = AccountEmailForm(request.POST)
    status = _address_charge(request, form)
    if status == 200 and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            sent = user_email_change(
                user=_user(request), email=email, password=form.cleaned_data["password"]
            )
        except ApplicationError as exc:
            status = _refused(form, exc)
        else:
            if sent:
                messages.success(
                    request,
                    f"We sent a link to {email}. Open it to make it your address; until then "
                    "nothing changes.",
                )
            elif email:
                messages.success(request, f"{email} is already your confirmed address.")
            else:
                messages.success(request, "Your email address was removed.")
            return redirect("pages:account")
    return _account_page(request, email_form=form, status=status)


@login_required
@require_http_methods(GET_OR_POST)
def account_password(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("pages:account")
    form = AccountPasswordForm(request.POST)
    status = _address_charge(request, form)
    if status == 200 and form.is_valid():
        user = _user(request)
        try:
            user_password_change(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ApplicationError as exc:
            status = _refused(form, exc, **NEW_PASSWORD)
        else:
            # This page's session stays signed in; every other one ended with the old password.
            update_session_auth_hash(request, user)
            messages.success(
                request,
                "Your password was changed. Every other browser and app signed in to your "
                "account was signed out.",
            )
            return redirect("pages:account")
    return _account_page(request, password_form=form, status=status)


@login_required
@require_http_methods(GET_OR_POST)
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = _address_charge(request, form)
        if status == 200 and form.is_valid():
            try:
                user_delete(user=_user(request), password=form.cleaned_data["password"])
            except ApplicationError as exc:
                status = _refused(form, exc)
            else:
                logout(request)
                messages.success(
                    request,
                    "Your account was deleted. Its ballots stay in their days' draws, "
                    "with nothing that links them to you.",
                )
                return redirect("pages:home")
    return render(request, "pages/account_delete.html", {"form": form}, status=status)


@_link_in_path
@require_http_methods(GET_OR_POST)
def account_email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: the page names the address and asks for one click (a POST), so a
    mail scanner that opens links confirms nothing."""
    try:
        user, email = email_confirmation_check(token=token)
        if request.method == "POST":
            user = email_confirm(token=token)
            messages.success(request, f"{email} is now the address of {user.username}.")
            return redirect("pages:account")
    except ApplicationError as exc:
        return render(request, "pages/account_email_confirm.html", {"invalid": exc.detail})
    context = {"username": user.username, "email": email}
    return render(request, "pages/account_email_confirm.html", context)


@require_http_methods(GET_OR_POST)
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = _address_charge(request, form)
        if status == 200 and form.is_valid():
            try:
                password_reset_request(email=form.cleaned_data["email"])
            except ApplicationError as exc:
                status = _refused(form, exc)
            else:
                # The same page whether or not an account has the address.
                context = {"sent_to": form.cleaned_data["email"]}
                return render(request, "pages/password_reset.html", context)
    return render(request, "pages/password_reset.html", {"form": form}, status=status)


@_link_in_path
@require_http_methods(GET_OR_POST)
def password_reset_set(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = password_reset_check(uid=uidb64, token=token)
    except ApplicationError as exc:
        return render(request, "pages/password_reset_confirm.html", {"invalid": exc.detail})
    form = PasswordResetSetForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = _address_charge(request, form)
        if status == 200 and form.is_valid():
            try:
                password_reset_confirm(
                    uid=uidb64, token=token, new_password=form.cleaned_data["new_password1"]
                )
            except ApplicationError as exc:
                status = _refused(form, exc, **NEW_PASSWORD)
            else:
                messages.success(
                    request,
                    f"The password of {user.username} was changed: log in with the new one. "
                    "Every browser and app that was signed in was signed out.",
                )
                return redirect("pages:login")
    context = {"form": form, "username": user.username}
    return render(request, "pages/password_reset_confirm.html", context, status=status)
