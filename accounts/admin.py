from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import User, username_key


class CanonicalUsernameMixin(forms.ModelForm[User]):
    """Refuse a name whose canonical key another user has, before the database does (500)."""

    def clean_username(self) -> Any:
        username = self.cleaned_data.get("username")
        taken = User.objects.filter(username_key=username_key(username or ""))
        if username and taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("A user with that username already exists.")
        return username


class CanonicalUserCreationForm(CanonicalUsernameMixin, AdminUserCreationForm[User]):
    pass


class CanonicalUserChangeForm(CanonicalUsernameMixin, UserChangeForm[User]):
    pass


@admin.register(User)
class CanonicalUserAdmin(UserAdmin[User]):
    add_form = CanonicalUserCreationForm
    form = CanonicalUserChangeForm
