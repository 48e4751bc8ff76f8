"""The supplier self-service pages: endpoints and their signing secrets, the supplier's system
keys, test events, the delivery log and replays.

Every view fetches through `selfservice` (403 for people who use no self-service, 404 for
another supplier's records) and changes through the exchange's and accounts' services. A new
secret is rendered once, in the answer to the POST that made it, and never stored for later.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from interchange.accounts.models import ApiKey, User
from interchange.accounts.services import api_key_create, api_key_revoke, api_key_rotate
from interchange.exchange import selfservice as ss
from interchange.exchange import services
from interchange.exchange.forms import (
    ApiKeyForm,
    DeliveryFilterForm,
    DisableForm,
    EndpointForm,
)
from interchange.exchange.models import Delivery, Endpoint, EventType
from interchange.exchange.selectors import DeliveryFilters, delivery_page, endpoints_for
from interchange.suppliers.models import Supplier
from interchange.web.forms import place_errors

KEY_ROTATION_GRACE = timedelta(hours=24)


def _sub_navigation(request: HttpRequest, supplier: Supplier) -> list[dict[str, Any]]:
    overview = reverse("exchange:supplier", args=[supplier.code])
    log = reverse("exchange:deliveries", args=[supplier.code])
    in_log = request.path.startswith(log)
    return [
        {"text": _("Endpoints and keys"), "href": overview, "active": in_log is False},
        {"text": _("Delivery log"), "href": log, "active": in_log},
    ]


def _page(
    request: HttpRequest, supplier: Supplier, template: str, status: int = 200, **context: Any
) -> HttpResponse:
    context.update(supplier=supplier, sub_navigation=_sub_navigation(request, supplier))
    return render(request, f"exchange/{template}", context, status=status)


def _shown_once(request: HttpRequest, supplier: Supplier, **context: Any) -> HttpResponse:
    """The one page that shows a new secret; nothing caches it."""
    response = _page(request, supplier, "secret_shown.html", **context)
    response["Cache-Control"] = "no-store"
    return response


def _confirm(
    request: HttpRequest, supplier: Supplier, action: str, back: str, **context: Any
) -> HttpResponse:
    """The page that asks before a POST that sends or stops things."""
    title, button = CONFIRMATIONS[action]
    return _page(
        request,
        supplier,
        "confirm.html",
        action=action,
        title=title,
        button=button,
        back=back,
        **context,
    )


# Each confirmation page's heading and button.
CONFIRMATIONS = {
    "replay_dead": (_l("Replay all dead deliveries?"), _l("Replay them")),
    "rotate": (_l("Rotate the signing secret?"), _l("Rotate the secret")),
    "retire": (_l("Retire this signing secret?"), _l("Retire the secret")),
    "replay": (_l("Replay this delivery?"), _l("Replay it")),
    "key_rotate": (_l("Rotate this key?"), _l("Rotate the key")),
    "key_revoke": (_l("Revoke this key?"), _l("Revoke the key")),
}


def _endpoint_url(endpoint: Endpoint) -> str:
    return reverse("exchange:endpoint", args=[endpoint.supplier.code, endpoint.pk])


# --- Choosing a supplier, and its overview ------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Integrator staff choose a supplier; a supplier's administrator goes to their own."""
    person = ss.require_use(request.user)
    suppliers = list(ss.suppliers_for(person))
    if not person.is_integrator and len(suppliers) == 1:
        return redirect("exchange:supplier", suppliers[0].code)
    return render(request, "exchange/index.html", {"suppliers": suppliers})


@login_required
@require_GET
def supplier(request: HttpRequest, code: str) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    may_keys = ss.may_manage_keys(request.user, found)
    return _page(
        request,
        found,
        "supplier.html",
        endpoints=list(endpoints_for(request.user, supplier_id=found.pk)),
        may_manage_keys=may_keys,
        keys=ss.keys_shown(request.user, found) if may_keys else [],
    )


# --- Endpoints ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_create(request: HttpRequest, code: str) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    form = EndpointForm(request.POST or None, initial={"event_types": []})
    if form.is_bound and form.is_valid():
        try:
            made = services.endpoint_create(actor=request.user, supplier=found, **form.cleaned_data)
        except ValidationError as error:
            place_errors(form, error)
        else:
            return _shown_once(
                request,
                found,
                kind="endpoint",
                endpoint=made.endpoint,
                secret=made.secret.secret,
                back=_endpoint_url(made.endpoint),
            )
    status = 400 if form.is_bound else 200
    return _page(request, found, "endpoint_form.html", status, form=form, endpoint=None)


@login_required
@require_GET
def endpoint(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.endpoint_or_404(request.user, found, pk)
    return _page(
        request,
        found,
        "endpoint.html",
        endpoint=chosen,
        event_labels=[EventType(t).label for t in chosen.event_types if t in EventType.values],
        secrets=[(s, ss.secret_is_active(s)) for s in ss.secrets_of(chosen)],
        dead_count=ss.dead_count(chosen),
        recent=delivery_page(
            request.user, DeliveryFilters(supplier_id=found.pk, endpoint_id=chosen.pk), limit=10
        ).items,
    )


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.endpoint_or_404(request.user, found, pk)
    form = EndpointForm.for_endpoint(chosen, request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            services.endpoint_update(actor=request.user, endpoint=chosen, **form.cleaned_data)
        except ValidationError as error:
            place_errors(form, error)
        else:
            messages.success(request, _("The endpoint was saved."))
            return redirect(_endpoint_url(chosen))
    status = 400 if form.is_bound else 200
    return _page(request, found, "endpoint_form.html", status, form=form, endpoint=chosen)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_disable(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.endpoint_or_404(request.user, found, pk)
    form = DisableForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            services.endpoint_disable(actor=request.user, endpoint=chosen, **form.cleaned_data)
        except ValidationError as error:
            place_errors(form, error)
        else:
            messages.success(request, _("The endpoint was turned off."))
            return redirect(_endpoint_url(chosen))
    status = 400 if form.is_bound else 200
    return _page(request, found, "endpoint_disable.html", status, form=form, endpoint=chosen)


@login_required
@require_POST
def endpoint_enable(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.endpoint_or_404(request.user, found, pk)
    services.endpoint_enable(actor=request.user, endpoint=chosen)
    messages.success(request, _("The endpoint was turned on."))
    return redirect(_endpoint_url(chosen))


@login_required
@require_POST
def endpoint_test(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.endpoint_or_404(request.user, found, pk)
    try:
        sent = services.endpoint_send_test(actor=request.user, endpoint=chosen)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_endpoint_url(chosen))
    messages.success(request, _("A test event was queued. Its result shows here."))
    return redirect("exchange:delivery", found.code, sent.pk)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_replay_dead(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.endpoint_or_404(request.user, found, pk)
    if request.method == "POST":
        try:
            count = services.endpoint_replay_dead(actor=request.user, endpoint=chosen)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            text = ngettext(
                "%(count)s dead delivery will be sent again.",
                "%(count)s dead deliveries will be sent again.",
                count,
            )
            messages.success(request, text % {"count": count})
        return redirect(_endpoint_url(chosen))
    return _confirm(
        request,
        found,
        "replay_dead",
        _endpoint_url(chosen),
        endpoint=chosen,
        dead_count=ss.dead_count(chosen),
    )


# --- Signing secrets ------------------------------------------------------------------------


@login_required
@require_POST
def secret_add(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.endpoint_or_404(request.user, found, pk)
    try:
        made = services.secret_add(actor=request.user, endpoint=chosen)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_endpoint_url(chosen))
    return _shown_once(
        request,
        found,
        kind="secret",
        endpoint=chosen,
        secret=made.secret,
        back=_endpoint_url(chosen),
    )


@login_required
@require_http_methods(["GET", "POST"])
def secret_rotate(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.endpoint_or_404(request.user, found, pk)
    if request.method == "POST":
        made = services.secret_rotate(actor=request.user, endpoint=chosen)
        return _shown_once(
            request,
            found,
            kind="rotated",
            endpoint=chosen,
            secret=made.secret,
            back=_endpoint_url(chosen),
        )
    return _confirm(request, found, "rotate", _endpoint_url(chosen), endpoint=chosen)


@login_required
@require_http_methods(["GET", "POST"])
def secret_retire(request: HttpRequest, code: str, pk: int, secret_pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.endpoint_or_404(request.user, found, pk)
    secret = ss.secret_or_404(chosen, secret_pk)
    if request.method == "POST":
        try:
            services.secret_retire(actor=request.user, secret=secret)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The secret was retired: it signs nothing more."))
        return redirect(_endpoint_url(chosen))
    return _confirm(request, found, "retire", _endpoint_url(chosen), endpoint=chosen, secret=secret)


# --- The delivery log -----------------------------------------------------------------------


@login_required
@require_GET
def deliveries(request: HttpRequest, code: str) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    endpoints = list(endpoints_for(request.user, supplier_id=found.pk))
    form = DeliveryFilterForm(request.GET, endpoints=endpoints)
    page = None
    if form.is_valid():
        page = delivery_page(request.user, form.filters(found.pk), after=request.GET.get("after"))
    status = 200 if page is not None else 400
    return _page(
        request,
        found,
        "deliveries.html",
        status,
        form=form,
        page=page,
        older_href=_with_cursor(request.GET, page.next_cursor)
        if page and page.next_cursor
        else None,
        newest_href=_with_cursor(request.GET, None) if request.GET.get("after") else None,
    )


def _with_cursor(query: QueryDict, cursor: str | None) -> str:
    """The log's address with the same filters, from `cursor` (None: the newest)."""
    params = query.copy()
    params.pop("after", None)
    if cursor is not None:
        params["after"] = cursor
    return f"?{params.urlencode()}"


@login_required
@require_GET
def delivery(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.delivery_or_404(request.user, found, pk)
    return _page(
        request,
        found,
        "delivery.html",
        delivery=chosen,
        headers=ss.headers_sent(chosen),
        body=ss.pretty_body(chosen),
        replayable=ss.replayable(chosen),
    )


@login_required
@require_http_methods(["GET", "POST"])
def delivery_replay(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = ss.supplier_or_404(request.user, code)
    chosen = ss.delivery_or_404(request.user, found, pk)
    if request.method == "POST":
        if chosen.status == Delivery.Status.FAILED:
            if ss.delivery_retry_now(actor=request.user, delivery=chosen):
                messages.success(request, _("The delivery will be tried again now."))
            else:
                messages.error(request, _("It is being sent already; see its status."))
            return redirect("exchange:delivery", found.code, chosen.pk)
        try:
            services.delivery_replay(actor=request.user, delivery=chosen)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The delivery will be sent again."))
        return redirect("exchange:delivery", found.code, chosen.pk)
    back = reverse("exchange:delivery", args=[found.code, chosen.pk])
    return _confirm(request, found, "replay", back, delivery=chosen)


# --- System keys ----------------------------------------------------------------------------


def _key_supplier(request: HttpRequest, code: str) -> tuple[Supplier, User]:
    """The supplier whose keys are asked for, and the person who may manage them."""
    person = ss.require_use(request.user)
    found = ss.supplier_or_404(person, code)
    if not ss.may_manage_keys(person, found):
        raise PermissionDenied(
            _("Only integrator leads and the supplier's administrators manage keys.")
        )
    return found, person


@login_required
@require_http_methods(["GET", "POST"])
def key_create(request: HttpRequest, code: str) -> HttpResponse:
    found, person = _key_supplier(request, code)
    form = ApiKeyForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            key, plaintext = api_key_create(
                actor=person,
                name=form.cleaned_data["name"],
                kind=ApiKey.Kind.SUPPLIER_SYSTEM,
                supplier=found,
            )
        except ValidationError as error:
            place_errors(form, error)
        else:
            back = reverse("exchange:supplier", args=[found.code])
            return _shown_once(request, found, kind="key", key=key, secret=plaintext, back=back)
    status = 400 if form.is_bound else 200
    return _page(request, found, "key_form.html", status, form=form)


@login_required
@require_http_methods(["GET", "POST"])
def key_rotate(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found, person = _key_supplier(request, code)
    key = ss.key_or_404(request.user, found, pk)
    if request.method == "POST":
        try:
            new, plaintext = api_key_rotate(actor=person, key=key, grace=KEY_ROTATION_GRACE)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("exchange:supplier", found.code)
        back = reverse("exchange:supplier", args=[found.code])
        return _shown_once(request, found, kind="key", key=new, secret=plaintext, back=back)
    back = reverse("exchange:supplier", args=[found.code])
    return _confirm(request, found, "key_rotate", back, key=key)


@login_required
@require_http_methods(["GET", "POST"])
def key_revoke(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found, person = _key_supplier(request, code)
    key = ss.key_or_404(request.user, found, pk)
    if request.method == "POST":
        api_key_revoke(actor=person, key=key)
        messages.success(request, _("The key was revoked: it opens the API no more."))
        return redirect("exchange:supplier", found.code)
    back = reverse("exchange:supplier", args=[found.code])
    return _confirm(request, found, "key_revoke", back, key=key)
