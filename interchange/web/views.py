"""Pages of the two layouts: the resident front pages and the staff shell."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/resident/home.html")


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "web/resident/accessibility.html")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "web/resident/privacy.html")


@require_GET
def cookies(request: HttpRequest) -> HttpResponse:
    return render(request, "web/resident/cookies.html")


@login_required
@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/staff/home.html")
