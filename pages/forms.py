"""The pages' forms: labels and widgets for people; the rules stay in the services.

A form checks only the shape a browser sends (present, one value). What is allowed is
decided by the same schemas and services as the API's (``accounts.schemas.RegisterIn``,
``accounts.services``, ``ballots.services``, ``ballots.schemas.BallotFilters``), whose errors
``errors_to_fields`` puts next to the field they name.
"""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from ninja import Schema
from pydantic import ValidationError

from accounts.services import login_attempt_charge
from ballots.models import BallotStatus
from common.errors import ApplicationError, RateLimited
from common.ratelimit import address_limit_charge


def _schema_message(error: Any) -> str:
    """A person's wording of one pydantic error (the API answers pydantic's own)."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        return "This field is required."
    if kind == "string_too_long":
        return f"Use at most {context.get('max_length')} characters."
    if kind == "string_pattern_mismatch":
        return "Use only letters, digits and the characters @ . + - _ (no spaces)."
    if kind == "enum":
        return f"Choose one of: {context.get('expected', '')}."
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error" and "YYYY-MM-DD" not in message:
        # date.fromisoformat's reason for a well-formed but impossible date.
        return f"Enter a real date as YYYY-MM-DD ({message})."
    return message


def schema_validate[T: Schema](
    form: forms.Form,
    schema: type[T],
    data: dict[str, Any],
    *,
    renamed: dict[str, str] | None = None,
) -> T | None:
    """Validate ``data`` with the API's schema; on failure add each error to its field.

    ``renamed`` maps a schema field to the form's, where they differ.
    """
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            field = (renamed or {}).get(field, field)
            form.add_error(field if field in form.fields else None, _schema_message(error))
        return None


def errors_to_fields(
    form: forms.Form, exc: ApplicationError, *, renamed: dict[str, str] | None = None
) -> None:
    """Show a service's refusal next to the field it is about (else above the form).

    ``renamed`` maps a service's input name to the form's field, where they differ.
    """
    field = (renamed or {}).get(exc.field or "", exc.field)
    field = field if field in form.fields else None
    detail = exc.detail
    if isinstance(exc, RateLimited):
        detail = f"Too many attempts; try again in {exc.retry_after} seconds."
    form.add_error(field, detail)


class RegisterForm(forms.Form):
    username = forms.CharField(
        label="Username",
        help_text="Letters, digits and @ . + - _ only. Not case-sensitive.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.CharField(
        label="Email (optional)",
        required=False,
        help_text="Only for telling you that a ballot of yours won.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        help_text="At least 8 characters, not a common password, not all digits.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        return data


class LoginForm(AuthenticationForm):
    """Django's login form, with the limits of /token/pair on password attempts: the address's
    one hashing budget and the account's."""

    rate_limited = False

    def clean(self) -> dict[str, Any]:
        try:
            address_limit_charge(request=self.request)  # type: ignore[arg-type]
            login_attempt_charge(username=self.data.get("username", ""))
        except RateLimited as exc:
            self.rate_limited = True
            raise forms.ValidationError(
                f"Too many attempts; try again in {exc.retry_after} seconds."
            ) from exc
        return super().clean()


class PlayForm(forms.Form):
    date = forms.CharField(label="Lottery day", widget=forms.Select)
    count = forms.IntegerField(
        label="How many ballots",
        initial=1,
        help_text="Each ballot is one more chance to win that day's draw.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, days: list[tuple[str, str]], max_count: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["date"].widget.choices = days
        # The browser's hint only: ballots.services decides what it accepts.
        self.fields["count"].widget.attrs.update({"min": 1, "max": max_count})


class BallotFilterForm(forms.Form):
    date = forms.CharField(
        label="Lottery day",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    status = forms.CharField(
        label="Status",
        required=False,
        widget=forms.Select(choices=[("", "Any"), *BallotStatus.choices]),
    )


# --- The account (pages.account_views): the rules are accounts.services' -------------------

NEW_PASSWORD_HELP = "At least 8 characters, not a common password, not all digits."  # noqa: S105


def _password(label: str, autocomplete: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=4096,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class _NewPasswordForm(forms.Form):
    """A new password typed twice; the service decides whether it is good enough."""

    new_password1 = _password("New password", "new-password", NEW_PASSWORD_HELP)
    new_password2 = _password("New password again", "new-password")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "The two passwords differ.")
        return data


class PasswordResetRequestForm(forms.Form):
    email = forms.CharField(
        label="Your email address",
        max_length=254,
        help_text="The confirmed address of your account: the link to set a new password goes "
        "there.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class PasswordResetSetForm(_NewPasswordForm):
    pass


class AccountPasswordForm(_NewPasswordForm):
    old_password = _password("Current password", "current-password")
    field_order = ["old_password", "new_password1", "new_password2"]


class AccountEmailForm(forms.Form):
    email = forms.CharField(
        label="New email address",
        required=False,
        max_length=254,
        help_text="We send a link to it; it replaces your address when you open the link. "
        "Leave it empty to remove your address.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = _password("Current password", "current-password")


class AccountDeleteForm(forms.Form):
    password = _password("Current password", "current-password")
