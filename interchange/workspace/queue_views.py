"""Pages of the queues: each queue (filters, sort, keyset pages, counts), its CSV export,
the suppliers' queues, search, bulk actions and saved views. Thin: the rules are in
`workspace.queues` and `workspace.services`, the scope in `servicedesk.visibility`."""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count as CountOf
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from interchange.accounts.models import User
from interchange.servicedesk.models import Ticket
from interchange.servicedesk.search import search_tickets
from interchange.servicedesk.visibility import can_change, visible_to
from interchange.suppliers.models import Supplier
from interchange.web.tables import PageLinks
from interchange.workspace import queues
from interchange.workspace.models import SavedView
from interchange.workspace.queue_forms import (
    FILTER_FIELDS,
    BulkActionForm,
    QueueFilterForm,
    SaveViewForm,
)
from interchange.workspace.queues import (
    PAGE_SIZES,
    SORT_KEYS,
    BadCursor,
    Queue,
    SlaState,
    capped_count,
    keyset_page,
    page_query,
    read_sort,
    row_sla_state,
)
from interchange.workspace.services import (
    BulkRequest,
    DuplicateViewName,
    bulk_apply,
    outcomes_as_data,
    saved_view_create,
    saved_view_delete,
)

EXPORT_ROW_CAP = 10_000
SEARCH_PAGE_SIZE = 25
SEARCH_MAX_PAGES = 40
_SESSION_BULK = "workspace_bulk_results"
_KEEP_BULK_RESULTS = 5


def ticket_url(ticket: Ticket) -> str:
    """The ticket page (workspace:ticket) of a ticket in a queue."""
    try:
        return reverse("workspace:ticket", args=[ticket.reference])
    except NoReverseMatch:
        return f"/staff/tickets/{ticket.reference}"


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not queues.may_use_queues(user):
        raise PermissionDenied(_("Your role does not use the ticket queues."))
    return user


# --- Queues ---------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest, key: str) -> HttpResponse:
    found = queues.QUEUES.get(key)
    if found is None or found is queues.SUPPLIER:
        raise Http404
    return _queue_page(request, found, None)


@login_required
@require_GET
def supplier_queue(request: HttpRequest, code: str) -> HttpResponse:
    user = _person(request)
    return _queue_page(request, queues.SUPPLIER, _supplier_for(user, code))


@login_required
@require_GET
def queue_export(request: HttpRequest, key: str) -> HttpResponseBase:
    found = queues.QUEUES.get(key)
    if found is None or found is queues.SUPPLIER:
        raise Http404
    return _export(request, found, None)


@login_required
@require_GET
def supplier_queue_export(request: HttpRequest, code: str) -> HttpResponseBase:
    user = _person(request)
    return _export(request, queues.SUPPLIER, _supplier_for(user, code))


def _supplier_for(user: User, code: str) -> Supplier:
    """The supplier whose queue `user` asks for: a supplier's people only their own (404
    for another's, which they must not learn about)."""
    supplier = get_object_or_404(Supplier, code=code)
    own = queues.own_supplier(user)
    if own is not None and own != supplier.pk:
        raise Http404
    return supplier


@dataclass
class Row:
    ticket: Ticket
    href: str
    sla: str
    sla_label: str
    sla_colour: str
    selectable: bool


def _params(request: HttpRequest) -> dict[str, Any]:
    """The queue's query string minus the page cursors, lists kept as lists."""
    keep = {*FILTER_FIELDS, "sort", "order", "size"}
    return {k: v if len(v) > 1 else v[0] for k, v in request.GET.lists() if k in keep and v}


def _filtered(
    request: HttpRequest, user: User, queue_: Queue, supplier: Supplier | None
) -> tuple[Any, QueueFilterForm]:
    form = QueueFilterForm(request.GET, user=user, show_supplier=queue_ is not queues.SUPPLIER)
    tickets = queues.base_tickets(user, queue_, supplier=supplier)
    tickets = form.filters().apply(tickets) if form.is_valid() else tickets.none()
    return tickets, form


def _queue_page(request: HttpRequest, queue_: Queue, supplier: Supplier | None) -> HttpResponse:
    user = _person(request)
    if not queues.may_open(user, queue_):
        raise PermissionDenied(_("Your role cannot open this queue."))
    tickets, form = _filtered(request, user, queue_, supplier)
    sort = read_sort(request.GET.dict(), queue_)
    size = _size(request)
    try:
        page = keyset_page(
            tickets,
            sort,
            size=size,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
        )
    except BadCursor:
        messages.warning(request, _("That page link no longer works; this is the first page."))
        page = keyset_page(tickets, sort, size=size)
    now = timezone.now()
    acting = queues.may_act(user)
    labels = dict(SlaState.CHOICES)
    rows = []
    for ticket in page.tickets:
        state = row_sla_state(ticket, now)
        rows.append(
            Row(
                ticket,
                ticket_url(ticket),
                state,
                str(labels[state]),
                SlaState.COLOURS[state],
                acting and can_change(user, ticket),
            )
        )
    params = _params(request)
    base = request.path
    context = {
        "queue": queue_,
        "queue_key": queue_.key,
        "title": queues.queue_title(queue_, supplier),
        "description": _describe(queue_),
        "supplier": supplier,
        "form": form,
        "rows": rows,
        "count": capped_count(tickets),
        "headers": _headers(params, sort),
        "sort": sort,
        "size": size,
        "page_sizes": [(n, f"{base}?{page_query(params, size=str(n))}") for n in PAGE_SIZES],
        "next_href": f"{base}?{page_query(params, after=page.next_cursor)}"
        if page.next_cursor
        else None,
        "previous_href": f"{base}?{page_query(params, before=page.previous_cursor)}"
        if page.previous_cursor
        else None,
        "first_href": f"{base}?{page_query(params)}"
        if request.GET.get("after") or request.GET.get("before")
        else None,
        "export_href": _export_url(queue_, supplier) + f"?{page_query(params, size=None)}",
        "query": page_query(params),
        "here": request.get_full_path(),
        "acting": acting and any(r.selectable for r in rows),
        "bulk_form": BulkActionForm(user=user, auto_id="bulk-%s") if acting else None,
        "save_form": SaveViewForm(
            auto_id="save-%s",
            initial={
                "queue": queue_.key,
                "supplier": supplier.code if supplier else "",
                "query": page_query(params),
            },
        ),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "queue-layout":
        return render(request, "workspace/_queue_layout.html", context)
    return render(request, "workspace/queue.html", context)


def _describe(queue_: Queue) -> str:
    if queue_ is queues.BREACHING_SOON:
        hours = queues.breaching_soon_window().total_seconds() / 3600
        return str(queue_.description) % {"hours": f"{hours:g}"}
    return str(queue_.description)


def _size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("size", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


@dataclass(frozen=True)
class Header:
    label: str
    href: str | None
    aria_sort: str | None


def _headers(params: dict[str, Any], sort: queues.Sort) -> dict[str, Header]:
    """Sort links for the sortable columns (server-side: the whole queue, not the page)."""
    headers = {}
    for key, spec in SORT_KEYS.items():
        active = key == sort.key
        if active:
            aria = "descending" if sort.descending else "ascending"
            order = "asc" if sort.descending else "desc"
        else:
            aria, order = "none", "asc"
        href = f"?{page_query(params, sort=key, order=order)}"
        headers[key] = Header(str(spec.label), href, aria)
    return headers


def _export_url(queue_: Queue, supplier: Supplier | None) -> str:
    if queue_ is queues.SUPPLIER:
        assert supplier is not None
        return reverse("workspace:supplier-queue-export", args=[supplier.code])
    return reverse("workspace:queue-export", args=[queue_.key])


# --- CSV export -----------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP: prefix with a quote)."""
    text = "" if value is None else str(value)
    if isinstance(value, datetime):
        text = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export(request: HttpRequest, queue_: Queue, supplier: Supplier | None) -> HttpResponseBase:
    user = _person(request)
    if not queues.may_open(user, queue_):
        raise PermissionDenied(_("Your role cannot open this queue."))
    tickets, form = _filtered(request, user, queue_, supplier)
    if not form.is_valid():
        return HttpResponse(
            _("The filters are not valid; correct them on the queue page first."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    sort = read_sort(request.GET.dict(), queue_)
    rows = queues.with_row_data(tickets).order_by(*sort.order_by())[:EXPORT_ROW_CAP]
    writer = csv.writer(_Echo())
    labels = dict(SlaState.CHOICES)

    def lines() -> Iterator[str]:
        yield writer.writerow(_export_header())
        now = timezone.now()
        for ticket in rows.iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    safe_cell(v)
                    for v in (
                        ticket.reference,
                        ticket.title,
                        ticket.get_type_display(),
                        ticket.get_status_display(),
                        f"P{ticket.priority}",
                        ticket.service.name,
                        ticket.holder_supplier.name if ticket.holder_supplier else _("Desk"),
                        ticket.assignee.get_full_name() if ticket.assignee else "",
                        ticket.get_channel_display(),
                        ticket.area.name if ticket.area else "",
                        ticket.created_at,
                        ticket.updated_at,
                        getattr(ticket, "deadline", None),
                        labels[row_sla_state(ticket, now)],
                    )
                ]
            )

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"{queue_.key}{'-' + supplier.code if supplier else ''}-{stamp}.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Row-Cap"] = str(EXPORT_ROW_CAP)
    return response


def _export_header() -> list[str]:
    return [
        _("Reference"),
        _("Title"),
        _("Type"),
        _("Status"),
        _("Priority"),
        _("Service"),
        _("Held by"),
        _("Assigned to"),
        _("Channel"),
        _("Area"),
        _("Created"),
        _("Updated"),
        _("Resolution deadline"),
        _("SLA state"),
    ]


# --- The suppliers' queues ------------------------------------------------------------------


@login_required
@require_GET
def suppliers(request: HttpRequest) -> HttpResponse:
    """Every supplier's queue with its open tickets (integrator and commissioner)."""
    user = _person(request)
    if not queues.may_open(user, queues.DESK):
        raise PermissionDenied(_("Your role cannot open every supplier's queue."))
    counts = dict(
        visible_to(user)
        .filter(status__in=queues.OPEN, holder_supplier__isnull=False)
        .order_by()
        .values_list("holder_supplier")
        .annotate(n=CountOf("id"))
        .values_list("holder_supplier", "n")
    )
    listed = [
        (s, counts.get(s.pk, 0), queues.queue_url(queues.SUPPLIER, s.code))
        for s in Supplier.objects.order_by("name")
        if s.active or counts.get(s.pk)
    ]
    return render(
        request,
        "workspace/suppliers.html",
        {"suppliers": listed, "queue_key": "suppliers"},
    )


# --- Search ---------------------------------------------------------------------------------


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Tickets by reference first, then full text, within what the person may see."""
    user = _person(request)
    query = request.GET.get("q", "").strip()[:200]
    try:
        number = max(1, min(int(request.GET.get("page", "1")), SEARCH_MAX_PAGES))
    except ValueError:
        number = 1
    found: list[Ticket] = []
    if query:
        found = search_tickets(
            actor=user,
            query=query,
            limit=SEARCH_PAGE_SIZE + 1,
            offset=(number - 1) * SEARCH_PAGE_SIZE,
        )
    more = len(found) > SEARCH_PAGE_SIZE and number < SEARCH_MAX_PAGES
    found = found[:SEARCH_PAGE_SIZE]
    if query and number == 1 and len(found) == 1 and request.GET.get("go") == "1":
        return redirect(ticket_url(found[0]))
    base = reverse("workspace:search")
    return render(
        request,
        "workspace/search.html",
        {
            "query": query,
            "results": [(t, ticket_url(t)) for t in found],
            "page_number": number,
            "first_result": (number - 1) * SEARCH_PAGE_SIZE + 1,
            "search_page": PageLinks(
                previous_href=f"{base}?{page_query({'q': query}, page=str(number - 1))}"
                if number > 1
                else None,
                next_href=f"{base}?{page_query({'q': query}, page=str(number + 1))}"
                if more
                else None,
            ),
        },
    )


# --- Bulk actions ---------------------------------------------------------------------------


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("web:staff-home")


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected tickets; show what was done and what was skipped."""
    user = _person(request)
    if not queues.may_act(user):
        raise PermissionDenied(_("Your role cannot change tickets."))
    form = BulkActionForm(request.POST, user=user)
    back = _safe_next(request, request.POST.get("next"))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    data = form.cleaned_data
    outcomes = bulk_apply(
        actor=user,
        selection=data["tickets"],
        request=BulkRequest(
            action=data["action"],
            supplier=data.get("supplier"),
            resolution_code=data.get("resolution_code") or "",
            text=(data.get("reason") or "").strip(),
            public=bool(data.get("public")),
        ),
    )
    token = secrets.token_urlsafe(12)
    kept = request.session.get(_SESSION_BULK, {})
    kept = dict(list(kept.items())[-(_KEEP_BULK_RESULTS - 1) :])
    kept[token] = {
        "action": str(dict(form.fields["action"].choices)[data["action"]]),  # type: ignore[attr-defined]
        "outcomes": outcomes_as_data(outcomes),
        "back": back,
    }
    request.session[_SESSION_BULK] = kept
    return redirect("workspace:bulk-result", token=token)


@login_required
@require_GET
def bulk_result(request: HttpRequest, token: str) -> HttpResponse:
    _person(request)
    result = request.session.get(_SESSION_BULK, {}).get(token)
    if result is None:
        raise Http404
    done = [o for o in result["outcomes"] if o["done"]]
    skipped = [o for o in result["outcomes"] if not o["done"]]
    for outcome in result["outcomes"]:
        outcome["href"] = (
            ticket_url_for_reference(outcome["reference"])
            if not outcome["reference"].startswith("#")
            else None
        )
    return render(
        request,
        "workspace/bulk_result.html",
        {"action": result["action"], "done": done, "skipped": skipped, "back": result["back"]},
    )


def ticket_url_for_reference(reference: str) -> str:
    try:
        return reverse("workspace:ticket", args=[reference])
    except NoReverseMatch:
        return f"/staff/tickets/{reference}"


# --- Saved views ----------------------------------------------------------------------------


@login_required
@require_GET
def saved_views(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    views = [(v, _saved_view_url(v)) for v in SavedView.objects.filter(owner=user).order_by("name")]
    return render(request, "workspace/saved_views.html", {"views": views, "queue_key": "saved"})


def _saved_view_url(view: SavedView) -> str | None:
    queue_, _sep, code = view.queue.partition(":")
    found = queues.QUEUES.get(queue_)
    if found is None:
        return None
    base = queues.queue_url(found, code or None) if found is not queues.SUPPLIER or code else None
    if base is None:
        return None
    return f"{base}?{view.query}" if view.query else base


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    form = SaveViewForm(request.POST)
    if not form.is_valid() or form.cleaned_data["queue"] not in queues.QUEUES:
        messages.error(request, _("Enter a name for the view."))
        return redirect(_safe_next(request, request.POST.get("next")))
    data = form.cleaned_data
    key = data["queue"] + (f":{data['supplier']}" if data.get("supplier") else "")
    try:
        saved_view_create(owner=user, name=data["name"], queue=key, query=data["query"])
    except DuplicateViewName:
        messages.error(
            request,
            _("You already have a view called “%(name)s”. Choose another name.")
            % {"name": data["name"]},
        )
        return redirect(_safe_next(request, request.POST.get("next")))
    messages.success(request, _("View “%(name)s” saved.") % {"name": data["name"]})
    return redirect("workspace:saved-views")


@login_required
@require_POST
def saved_view_delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    user = _person(request)
    if not saved_view_delete(owner=user, view_id=view_id):
        raise Http404
    messages.success(request, _("View deleted."))
    return redirect("workspace:saved-views")
