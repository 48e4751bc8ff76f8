"""A person's own account: who they are here, and changing their password."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from interchange.accounts.forms import ChangePasswordForm
from interchange.accounts.models import User


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    person = request.user
    assert isinstance(person, User)  # login_required let only a signed-in person through
    rows = [
        {"key": _("Name"), "value": person.get_full_name() or "–"},
        {"key": _("Username"), "value": person.get_username()},
        {"key": _("Email"), "value": person.email or "–"},
        {"key": _("Role"), "value": person.get_role_display()},
    ]
    if person.supplier is not None:
        rows.append({"key": _("Supplier"), "value": person.supplier.name})
    rows.append(
        {
            "key": _("Password"),
            "value": "••••••••",
            "action_href": reverse("web:accounts:change-password"),
            "action_text": _("Change"),
        }
    )
    return render(request, "accounts/account.html", {"summary": rows})


class ChangePasswordView(auth_views.PasswordChangeView):
    """Django's view: it keeps this session signed in and ends the person's other sessions."""

    form_class = ChangePasswordForm
    template_name = "web/staff/change_password.html"
    success_url = reverse_lazy("web:accounts:password-changed")


class PasswordChangedView(auth_views.PasswordChangeDoneView):
    template_name = "web/staff/change_password_done.html"
