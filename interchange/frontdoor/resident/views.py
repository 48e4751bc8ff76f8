"""The residents' web pages: report a problem one question at a time, follow a report that
already exists, and track one by its reference (public view) or private link (own view)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from interchange.catalogue.forms import ServiceQuestionsForm
from interchange.core import idempotency
from interchange.frontdoor.resident import draft as drafts
from interchange.frontdoor.resident import forms, selectors, uploads, wording
from interchange.frontdoor.resident.draft import Draft
from interchange.frontdoor.resident.services import (
    NewReport,
    report_rate,
    report_reopen,
    report_send,
)
from interchange.notifications import residents as resident_mail
from interchange.servicedesk.actors import Resident
from interchange.servicedesk.errors import IllegalTransition, TicketValidationError
from interchange.servicedesk.models import Attachment, ContactPreference, Status, Ticket
from interchange.servicedesk.services import follower_add, ticket_resident_reply
from interchange.servicedesk.states import Action, allowed_actions

GET_POST = require_http_methods(["GET", "POST"])
IDEMPOTENCY_SCOPE = "frontdoor.web-report"
STEP_URLS = {
    "home": "web:home",
    "category": "frontdoor:report-category",
    "where": "frontdoor:report-where",
    "nearby": "frontdoor:report-nearby",
    "details": "frontdoor:report-details",
    "photos": "frontdoor:report-photos",
    "contact": "frontdoor:report-contact",
    "check": "frontdoor:report-check",
}
View = Callable[..., HttpResponse]


# --- Helpers -------------------------------------------------------------------------------


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _to_step(step: str) -> HttpResponseRedirect:
    return redirect(STEP_URLS[step])


def _draft_for(request: HttpRequest, step: str) -> Draft | HttpResponseRedirect:
    """The draft, if the steps before `step` are done; else a redirect to where to go on."""
    draft = drafts.load(request.session)
    if draft is None:
        return _to_step("category")
    if draft.service_obj() is None:
        draft.undo("category")
    if not drafts.ready_for(draft, step):
        return _to_step(drafts.next_step(draft))
    return draft


def _back(request: HttpRequest, previous: str) -> str:
    """Where the back link goes: the check page when changing an answer from it."""
    return reverse(STEP_URLS["check" if request.GET.get("change") else previous])


def _go_on(request: HttpRequest, draft: Draft) -> HttpResponseRedirect:
    drafts.save(request.session, draft)
    return _to_step(drafts.next_step(draft))


def private(view: View) -> View:
    """Pages behind a private link: never cached, never indexed. (The site's same-origin
    referrer policy already keeps the link from other sites; "no-referrer" would make the
    browser send `Origin: null` with the page's forms, which CSRF protection refuses.)"""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def _own_or_404(token: str) -> Ticket:
    ticket = selectors.own_report(token)
    if ticket is None:
        raise Http404
    return ticket


def _public_or_404(reference: str) -> Ticket:
    ticket = selectors.public_report(reference)
    if ticket is None:
        raise Http404
    return ticket


def _photo_response(photo: Attachment) -> HttpResponse:
    with photo.file.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type=photo.content_type)
    response["Content-Disposition"] = "inline"
    return response


# --- Report a problem ----------------------------------------------------------------------


@GET_POST
def category(request: HttpRequest) -> HttpResponse:
    services = selectors.resident_services()
    search = forms.SearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    draft = drafts.start(request.session)
    form = forms.CategoryForm(services, _posted(request), initial={"service": draft.service})
    if form.is_valid():
        draft.choose_service(form.cleaned_data["service"])
        return _go_on(request, draft)
    groups = selectors.grouped_services(services, query)
    return render(
        request,
        "frontdoor/report/category.html",
        {
            "form": form,
            "search": search,
            "query": query,
            "groups": _numbered(groups),
            "back": _back(request, "home"),
        },
    )


def _numbered(groups: list[selectors.ServiceGroupChoices]) -> list[dict[str, Any]]:
    # One radio group across the headings: ids run on so the error summary finds the first.
    counter = 0
    numbered = []
    for group in groups:
        items = []
        for service in group.services:
            items.append({"index": counter, "service": service})
            counter += 1
        numbered.append({"name": group.name, "items": items})
    return numbered


@GET_POST
def where(request: HttpRequest) -> HttpResponse:
    draft = _draft_for(request, "where")
    if isinstance(draft, HttpResponseRedirect):
        return draft
    initial = {k: getattr(draft, k) for k in ("latitude", "longitude", "address", "place")}
    form = forms.LocationForm(_posted(request), initial=initial)
    if form.is_valid():
        if any(form.cleaned_data[k] != initial[k] for k in initial):
            draft.undo("nearby")
        for key in initial:
            setattr(draft, key, form.cleaned_data[key])
        draft.finish("where")
        return _go_on(request, draft)
    lat, lon = (
        (draft.latitude, draft.longitude) if draft.has_point else settings.FRONTDOOR_MAP_CENTRE
    )
    context = {"form": form, "back": _back(request, "category"), "centre": (lat, lon)}
    context["zoom"] = 17 if draft.has_point else settings.FRONTDOOR_MAP_ZOOM
    return render(request, "frontdoor/report/where.html", context)


@GET_POST
def nearby(request: HttpRequest) -> HttpResponse:
    draft = _draft_for(request, "nearby")
    if isinstance(draft, HttpResponseRedirect):
        return draft
    reports = drafts.nearby_for(draft)
    form = forms.NearbyForm([r.ticket.pk for r in reports], _posted(request))
    if not reports or (form.is_valid() and form.cleaned_data["report"] == form.NEW):
        draft.finish("nearby")
        return _go_on(request, draft)
    if form.is_valid():
        chosen = next(r.ticket for r in reports if str(r.ticket.pk) == form.cleaned_data["report"])
        follow = reverse("frontdoor:track-follow", args=[chosen.reference])
        return redirect(f"{follow}?from=report")
    items = [{"report": r, "status": wording.plain_status(r.ticket, own=False)} for r in reports]
    context = {"form": form, "items": items, "chosen": draft.service_obj()}
    context["back"] = _back(request, "where")
    return render(request, "frontdoor/report/nearby.html", context)


@GET_POST
def details(request: HttpRequest) -> HttpResponse:
    draft = _draft_for(request, "details")
    if isinstance(draft, HttpResponseRedirect):
        return draft
    service = draft.service_obj()
    assert service is not None
    posted = _posted(request)
    form = forms.DescriptionForm(posted, initial={"description": draft.description})
    questions = ServiceQuestionsForm(service, posted, initial=_answers_initial(draft, service))
    if posted is not None and all([form.is_valid(), questions.is_valid()]):
        draft.description = form.cleaned_data["description"]
        prefix = f"{questions.prefix}-"
        draft.answers = {k: posted.getlist(k) for k in posted if k.startswith(prefix)}
        draft.finish("details")
        return _go_on(request, draft)
    back = _back(request, "nearby" if drafts.nearby_for(draft, service) else "where")
    context = {"form": form, "questions": questions, "chosen": service, "back": back}
    context["forms"] = [form, questions]
    context["forms_have_errors"] = bool(form.errors or questions.errors)
    return render(request, "frontdoor/report/details.html", context)


def _answers_initial(draft: Draft, service: Any) -> dict[str, Any]:
    """The saved answers as a fresh form's initial values (lists for multiple choice)."""
    empty = ServiceQuestionsForm(service)
    initial: dict[str, Any] = {}
    for name, field in empty.fields.items():
        values = draft.answers.get(empty.add_prefix(name), [])
        if values:
            multiple = getattr(field.widget, "allow_multiple_selected", False)
            initial[name] = values if multiple else values[0]
    return initial


@GET_POST
def photos(request: HttpRequest) -> HttpResponse:
    draft = _draft_for(request, "photos")
    if isinstance(draft, HttpResponseRedirect):
        return draft
    form = forms.PhotoForm(_posted(request), request.FILES or None)
    if form.is_valid():
        photo = form.cleaned_data["photo"]
        if photo is not None and len(draft.photos) >= settings.FRONTDOOR_MAX_PHOTOS:
            form.add_error("photo", _too_many_photos())
        elif photo is not None:
            draft.photos.append(uploads.hold(photo).as_dict())
        elif request.POST.get("action") == "upload":
            form.add_error("photo", _("Select a photo to upload"))
    if form.is_valid():
        if request.POST.get("action") == "upload":
            drafts.save(request.session, draft)
            return redirect(request.get_full_path())
        draft.finish("photos")
        return _go_on(request, draft)
    context = {"form": form, "photos": draft.photos, "back": _back(request, "details")}
    context["room"] = settings.FRONTDOOR_MAX_PHOTOS - len(draft.photos)
    context["max_photos"] = settings.FRONTDOOR_MAX_PHOTOS
    return render(request, "frontdoor/report/photos.html", context)


def _too_many_photos() -> str:
    return _("You can add up to %(count)d photos. Remove one to add another.") % {
        "count": settings.FRONTDOOR_MAX_PHOTOS
    }


def _held(request: HttpRequest, key: str) -> tuple[Draft, dict[str, Any]]:
    draft = drafts.load(request.session)
    photo = next((p for p in draft.photos if p["key"] == key), None) if draft else None
    if draft is None or photo is None:
        raise Http404
    return draft, photo


@require_GET
def held_photo(request: HttpRequest, key: str) -> HttpResponse:
    """A photo the resident has added to their draft, shown back to them."""
    _draft, photo = _held(request, key)
    data = uploads.read(key)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type=photo["content_type"])
    add_never_cache_headers(response)
    return response


@require_POST
def remove_photo(request: HttpRequest, key: str) -> HttpResponse:
    draft, photo = _held(request, key)
    draft.photos.remove(photo)
    uploads.discard(key)
    drafts.save(request.session, draft)
    messages.success(request, _("Photo %(name)s removed") % {"name": photo["name"]})
    return redirect(STEP_URLS["photos"])


@GET_POST
def contact(request: HttpRequest) -> HttpResponse:
    draft = _draft_for(request, "contact")
    if isinstance(draft, HttpResponseRedirect):
        return draft
    initial = {k: getattr(draft, k) for k in ("name", "contact", "email", "phone")}
    form = forms.ContactForm(_posted(request), initial=initial)
    if form.is_valid():
        for key in initial:
            setattr(draft, key, form.cleaned_data[key])
        draft.finish("contact")
        return _go_on(request, draft)
    context = {"form": form, "back": _back(request, "photos")}
    return render(request, "frontdoor/report/contact.html", context)


@GET_POST
def check(request: HttpRequest) -> HttpResponse:
    draft = _draft_for(request, "check")
    if isinstance(draft, HttpResponseRedirect):
        return draft
    service = draft.service_obj()
    assert service is not None
    questions = ServiceQuestionsForm(service, draft.answers_data())
    if not questions.is_valid():
        # The service's questions changed since they were answered: ask them again.
        draft.undo("details")
        messages.info(
            request, _("The questions about this problem have changed. Answer them again.")
        )
        return _go_on(request, draft)
    # Photos are read only to send them; showing the page only needs them to be there.
    photos = _held_photos(draft, read=request.method == "POST")
    if photos is None:
        messages.info(request, _("A photo you added has expired. Add it again."))
        return _go_on(request, draft)
    report = _new_report(draft, service, questions.answers, photos)
    sent_or_errors = _send(request, draft, report) if request.method == "POST" else []
    if isinstance(sent_or_errors, HttpResponse):
        return sent_or_errors
    answers = wording.answer_rows(service, questions.answers)
    context = {"sections": _check_sections(report, answers), "errors": sent_or_errors}
    context["back"] = reverse(STEP_URLS["contact"])
    context["photos"] = draft.photos
    return render(request, "frontdoor/report/check.html", context)


def _check_sections(report: NewReport, answers: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The check-answers page: each answer with a link back to the step that asked it."""

    def row(key: str, value: str, step: str) -> dict[str, str]:
        href = reverse(STEP_URLS[step]) + "?change=1"
        return {
            "key": key,
            "value": value or _("Not given"),
            "action_href": href,
            "action_text": _("Change"),
        }

    point = _("No")
    if report.latitude is not None and report.longitude is not None:
        point = _("Yes, at latitude %(lat).5f, longitude %(lon).5f") % {
            "lat": report.latitude,
            "lon": report.longitude,
        }
    count = len(report.photos)
    photos = ngettext("%(count)d photo", "%(count)d photos", count) % {"count": count}
    ways: dict[str, str] = {
        ContactPreference.EMAIL: _("By email: %(email)s") % {"email": report.email},
        ContactPreference.PHONE: _("By phone: %(phone)s") % {"phone": report.phone},
    }
    contact = ways.get(report.contact, _("Do not contact me"))
    return [
        {
            "heading": _("The problem"),
            "rows": [
                row(_("Type of problem"), report.service.name, "category"),
                row(_("Description"), report.description, "details"),
                *[row(question, answer, "details") for question, answer in answers],
            ],
        },
        {
            "heading": _("Where it is"),
            "rows": [
                row(_("Address or postcode"), report.address, "where"),
                row(_("Description of the place"), report.place, "where"),
                row(_("Marked on a map"), point, "where"),
            ],
        },
        {
            "heading": _("Photos"),
            "rows": [row(_("Photos"), photos if count else _("None"), "photos")],
        },
        {
            "heading": _("Your details"),
            "rows": [
                row(_("Full name"), report.name, "contact"),
                row(_("How we contact you"), contact, "contact"),
            ],
        },
    ]


def _held_photos(draft: Draft, *, read: bool) -> list[tuple[str, bytes]] | None:
    """The draft's photos (their content when `read`), or None when one has gone (held too
    long and cleared away): it is dropped from the draft and the photos step asked again."""
    photos = []
    for photo in list(draft.photos):
        key = photo["key"]
        data = uploads.read(key) if read else (b"" if uploads.exists(key) else None)
        if data is None:
            draft.photos.remove(photo)
            draft.undo("photos")
            return None
        photos.append((photo["name"], data))
    return photos


def _new_report(
    draft: Draft, service: Any, answers: dict[str, Any], photos: list[tuple[str, bytes]]
) -> NewReport:
    fields = ("latitude", "longitude", "address", "place", "name", "contact", "email", "phone")
    return NewReport(
        service=service,
        description=draft.description,
        answers=answers,
        photos=photos,
        **{key: getattr(draft, key) for key in fields},
    )


def _send(request: HttpRequest, draft: Draft, report: NewReport) -> HttpResponse | list[str]:
    """Open the ticket once: a second press of the button, or a retry, gets the first. The
    desk's own refusals come back as messages for the page."""
    try:
        return _open_once(request, draft, report)
    except TicketValidationError as exc:
        return list(exc.messages)


def _open_once(request: HttpRequest, draft: Draft, report: NewReport) -> HttpResponse:
    with transaction.atomic():
        try:
            record = idempotency.begin(
                scope=IDEMPOTENCY_SCOPE, key=draft.id, request_fingerprint=draft.id
            )
        except idempotency.IdempotencyConflict:
            return redirect("frontdoor:report-sent")
        if isinstance(record, idempotency.SavedResponse):
            return redirect("frontdoor:report-sent")
        opened = report_send(report=report)
        reference = opened.ticket.reference
        idempotency.finish(record, status_code=303, headers={}, body=reference.encode())
    request.session[drafts.SENT_KEY] = {"reference": reference, "token": opened.private_token}
    drafts.discard(request.session)
    return redirect("frontdoor:report-sent")


@private
@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    report = request.session.get(drafts.SENT_KEY)
    if not isinstance(report, dict):
        return redirect("web:home")
    link = request.build_absolute_uri(reverse("frontdoor:own-report", args=[report["token"]]))
    context = {"reference": report["reference"], "private_link": link}
    return render(request, "frontdoor/report/sent.html", context)


# --- Follow a report -----------------------------------------------------------------------


@GET_POST
def follow(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _public_or_404(reference)
    from_report = request.GET.get("from") == "report"
    form = forms.FollowForm(_posted(request))
    can_follow = Action.FOLLOW in allowed_actions(ticket)
    if can_follow and form.is_valid():
        try:
            follower_add(ticket=ticket, actor=Resident(), **form.cleaned_data)
        except (IllegalTransition, TicketValidationError):
            can_follow = False
        else:
            if from_report:
                drafts.discard(request.session)
            messages.success(request, _("You are now following this report"))
            return redirect("frontdoor:track-report", ticket.reference)
    back = reverse(STEP_URLS["nearby"]) if from_report else _report_url(ticket)
    context = {"form": form, "ticket": ticket, "can_follow": can_follow, "back": back}
    context["status"] = wording.plain_status(ticket, own=False)
    return render(request, "frontdoor/track/follow.html", context)


def _report_url(ticket: Ticket) -> str:
    return reverse("frontdoor:track-report", args=[ticket.reference])


# --- Track a report ------------------------------------------------------------------------


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    form = forms.ReferenceForm(request.GET if "reference" in request.GET else None)
    if form.is_valid():
        ticket = selectors.public_report(form.cleaned_data["reference"])
        if ticket is not None:
            return redirect(_report_url(ticket))
        form.add_error(
            "reference",
            _("No report was found with that reference. Check it and try again, like INC-004213"),
        )
    return render(request, "frontdoor/track/find.html", {"form": form})


@require_GET
def track_report(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _public_or_404(reference)
    if reference != ticket.reference:
        return redirect(_report_url(ticket))
    return render(request, "frontdoor/track/report.html", _report_context(ticket, own=False))


@require_GET
def public_photo(request: HttpRequest, reference: str, photo_id: int) -> HttpResponse:
    photo = selectors.report_photo(_public_or_404(reference), photo_id, own=False)
    if photo is None:
        raise Http404
    return _photo_response(photo)


def _report_context(ticket: Ticket, *, own: bool) -> dict[str, Any]:
    context: dict[str, Any] = {
        "ticket": ticket,
        "own": own,
        "status": wording.plain_status(ticket, own=own),
        "updates": wording.report_updates(ticket, own=own),
        "photos": selectors.report_photos(ticket, own=own),
        "expected": selectors.expected_resolution(ticket) if ticket.is_open else None,
        "can_follow": not own and Action.FOLLOW in allowed_actions(ticket),
    }
    context["about"] = _rows(
        (_("Reference"), ticket.reference),
        (_("Type of problem"), ticket.service.name),
        (_("Where"), ticket.address or _("Marked on the map")),
        (_("Reported"), date_format(localtime(ticket.created_at), "j F Y")),
    )
    if own:
        context["yours"] = _rows(
            (_("Description"), ticket.description or _("Not given")),
            *wording.answer_rows(ticket.service, ticket.answers or {}),
        )
        context["details"] = _rows(*wording.reporter_rows(ticket))
        context["question"] = (
            wording.waiting_question(ticket) if ticket.status == Status.WAITING_RESIDENT else ""
        )
        context["can_reopen"] = Action.REOPEN in allowed_actions(ticket)
        context["can_rate"] = _can_rate(ticket)
        context["rated"] = selectors.satisfaction_given(ticket)
    return context


def _rows(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    """Rows for the shared summary list include."""
    return [{"key": key, "value": value} for key, value in pairs]


def _can_rate(ticket: Ticket) -> bool:
    return ticket.status == Status.CLOSED and not selectors.satisfaction_given(ticket)


# --- The reporter's own view (private link) -------------------------------------------------


@private
@require_GET
def own_report(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _own_or_404(token)
    context = _report_context(ticket, own=True) | {"token": token}
    return render(request, "frontdoor/track/report.html", context)


@private
@require_GET
def own_photo(request: HttpRequest, token: str, photo_id: int) -> HttpResponse:
    photo = selectors.report_photo(_own_or_404(token), photo_id, own=True)
    if photo is None:
        raise Http404
    return _photo_response(photo)


def _own_url(token: str) -> str:
    return reverse("frontdoor:own-report", args=[token])


@private
@GET_POST
def own_reply(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _own_or_404(token)
    if ticket.status != Status.WAITING_RESIDENT:
        messages.info(request, _("This report is not waiting for a reply from you"))
        return redirect(_own_url(token))
    form = forms.ReplyForm(_posted(request), request.FILES or None)
    if form.is_valid():
        photo = form.cleaned_data["photo"]
        files = [(photo[0], photo[1])] if photo else []
        ticket_resident_reply(ticket=ticket, body=form.cleaned_data["body"], files=files)
        messages.success(request, _("Your reply has been sent"))
        return redirect(_own_url(token))
    context = {"form": form, "ticket": ticket, "token": token}
    context["question"] = wording.waiting_question(ticket)
    return render(request, "frontdoor/track/reply.html", context)


@private
@GET_POST
def own_reopen(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _own_or_404(token)
    if Action.REOPEN not in allowed_actions(ticket):
        messages.info(request, _("This report cannot be reopened. Report the problem again."))
        return redirect(_own_url(token))
    form = forms.ReopenForm(_posted(request), request.FILES or None)
    if form.is_valid():
        photo = form.cleaned_data["photo"]
        reason = form.cleaned_data["reason"]
        try:
            report_reopen(ticket=ticket, reason=reason, photo=photo[:2] if photo else None)
        except IllegalTransition:
            messages.info(request, _("This report cannot be reopened. Report the problem again."))
        else:
            messages.success(request, _("Thank you. We have reopened your report"))
        return redirect(_own_url(token))
    context = {"form": form, "ticket": ticket, "token": token}
    return render(request, "frontdoor/track/reopen.html", context)


@private
@GET_POST
def own_feedback(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _own_or_404(token)
    if not _can_rate(ticket):
        messages.info(request, _("You cannot give feedback on this report now"))
        return redirect(_own_url(token))
    form = forms.FeedbackForm(_posted(request))
    if form.is_valid():
        given = report_rate(ticket=ticket, **form.cleaned_data)
        if given is None:
            messages.info(request, _("You have already told us what you think about this report"))
        else:
            messages.success(request, _("Thank you for your feedback"))
        return redirect(_own_url(token))
    context = {"form": form, "ticket": ticket, "token": token}
    return render(request, "frontdoor/track/feedback.html", context)


# --- Stop emails about a report (the link in every email to a resident) ---------------------


# The signed link is the only proof asked for, so a forged cross-site request gains nothing;
# and mail programs' one-click unsubscribe (RFC 8058) posts without a CSRF token.
@csrf_exempt
@private
@GET_POST
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners that fetch links change nothing); POST stops the
    emails to the recipient the link was signed for, then shows that it is done."""
    subscription = resident_mail.subscription_for(token)
    if subscription is None:
        raise Http404
    if request.method == "POST":
        resident_mail.unsubscribe(token=token)
        return redirect("frontdoor:unsubscribe", token)
    context: dict[str, Any] = {"subscription": subscription, "token": token}
    if subscription.public:
        context["report_url"] = reverse("frontdoor:track-report", args=[subscription.reference])
    return render(request, "frontdoor/track/unsubscribe.html", context)
