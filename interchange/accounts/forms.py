"""Forms for people's own accounts (GOV.UK pages) and for managing people and keys (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import ApiKey, User


def _minimum_password_length() -> int | None:
    for validator in password_validation.get_default_password_validators():
        if isinstance(validator, password_validation.MinimumLengthValidator):
            return validator.min_length
    return None


def new_password_hint() -> str:
    """What a new password must be, in words rather than Django's list of rules."""
    length = _minimum_password_length()
    start = (
        _("Use at least %(length)d characters.") % {"length": length}
        if length
        else _("Use a long password.")
    )
    return f"{start} " + str(
        _(
            "Do not use a common password, only numbers, "
            "or anything like your name, username or email address."
        )
    )


class ChangePasswordForm(auth_forms.PasswordChangeForm):
    """Django's password change, with GOV.UK wording."""

    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": _("Your current password is not right. Enter it again."),
        "password_mismatch": _("The new passwords do not match. Enter the same one twice."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wording = {
            "old_password": (_("Current password"), _("Enter your current password")),
            "new_password1": (_("New password"), _("Enter a new password")),
            "new_password2": (_("Confirm new password"), _("Enter the new password again")),
        }
        for name, (label, required) in wording.items():
            field = self.fields[name]
            field.label = label
            field.error_messages["required"] = required
            # GOV.UK pages do not move focus on load; it confuses screen reader users.
            field.widget.attrs.pop("autofocus", None)
        self.fields["new_password1"].help_text = new_password_hint()
        self.fields["new_password2"].help_text = ""


class PersonCreationForm(auth_forms.AdminUserCreationForm):
    """Django's admin form for a new user, for our user model."""

    class Meta:
        model = User
        fields = ("username", "role", "supplier")
        field_classes = {"username": auth_forms.UsernameField}


class PersonChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"username": auth_forms.UsernameField}


CREATION_FIELDS = ("name", "kind", "supplier", "client_name", "rate_limit_per_minute", "expires_at")
CHANGE_FIELDS = ("name", "client_name", "rate_limit_per_minute", "expires_at")


class ApiKeyCreationForm(forms.ModelForm):
    """The admin's form for a new key; the service makes the secret, so none is asked for."""

    class Meta:
        model = ApiKey
        fields = CREATION_FIELDS

    def clean_expires_at(self) -> datetime | None:
        expires_at: datetime | None = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return expires_at

    def clean_rate_limit_per_minute(self) -> int:
        limit: int = self.cleaned_data["rate_limit_per_minute"]
        if limit < 1:
            raise forms.ValidationError(_("Allow at least one request a minute."))
        return limit


class ApiKeyChangeForm(forms.ModelForm):
    """What may change on an existing key: its label and its limit, never its secret or scope."""

    class Meta:
        model = ApiKey
        fields = CHANGE_FIELDS
