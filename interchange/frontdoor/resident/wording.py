"""What residents read about a report: its status in plain words, its public updates and its
answers, worded for the public view (by reference) or the reporter's own (private link)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interchange.catalogue.models import Question, Service
from interchange.catalogue.selectors import service_questions
from interchange.notifications.residents import RESIDENT_OUTCOMES
from interchange.servicedesk.models import (
    ContactPreference,
    Status,
    Ticket,
    TicketEvent,
)
from interchange.servicedesk.selectors import ticket_timeline

Kind = TicketEvent.Kind
# Residents see the latest updates; a report with more than this has a long story already.
UPDATES_SHOWN = 50


@dataclass(frozen=True)
class PlainStatus:
    label: Promise
    colour: str
    explanation: Promise


_STATUS: dict[str, PlainStatus] = {
    Status.NEW: PlainStatus(
        gettext_lazy("Received"),
        "",
        gettext_lazy(
            "We have received the report and will pass it to the team that deals with it."
        ),
    ),
    Status.ASSIGNED: PlainStatus(
        gettext_lazy("With the team responsible"),
        "purple",
        gettext_lazy("The team that deals with this kind of problem has the report."),
    ),
    Status.IN_PROGRESS: PlainStatus(
        gettext_lazy("In progress"),
        "turquoise",
        gettext_lazy("The team is working on it."),
    ),
    Status.WAITING_RESIDENT: PlainStatus(
        gettext_lazy("Waiting for information"),
        "yellow",
        gettext_lazy(
            "The team needs more information from the person who reported it before it can "
            "carry on."
        ),
    ),
    Status.WAITING_THIRD_PARTY: PlainStatus(
        gettext_lazy("Waiting for someone else"),
        "orange",
        gettext_lazy("The team is waiting for another organisation before it can carry on."),
    ),
    Status.RESOLVED: PlainStatus(
        gettext_lazy("Resolved"),
        "green",
        gettext_lazy("The team says the problem has been dealt with."),
    ),
    Status.CLOSED: PlainStatus(
        gettext_lazy("Closed"), "grey", gettext_lazy("This report is closed.")
    ),
    Status.CANCELLED: PlainStatus(
        gettext_lazy("Cancelled"), "grey", gettext_lazy("This report was cancelled.")
    ),
}
_OWN_WAITING = gettext_lazy("We need more information from you before we can carry on.")


def plain_status(ticket: Ticket, *, own: bool) -> dict[str, str]:
    """The status as a tag (label and colour) and a sentence, for the public or the reporter."""
    status = _STATUS[ticket.status]
    explanation = str(status.explanation)
    if own and ticket.status == Status.WAITING_RESIDENT:
        explanation = str(_OWN_WAITING)
    resolution = RESIDENT_OUTCOMES.get(ticket.resolution_code)
    if resolution and ticket.status in {Status.RESOLVED, Status.CLOSED}:
        explanation = f"{explanation} {_('Outcome: %(outcome)s.') % {'outcome': resolution}}"
    return {"text": str(status.label), "colour": status.colour, "explanation": explanation}


@dataclass(frozen=True)
class Update:
    at: datetime
    title: str
    body: str = ""


def _by_resident(event: TicketEvent) -> bool:
    return event.actor_kind == TicketEvent.ActorKind.RESIDENT


def _update(event: TicketEvent, *, own: bool) -> Update | None:
    """One public event in plain words, or None for events residents need not read. What a
    resident wrote is shown only to them: it may hold their own details."""
    new: dict[str, Any] = event.new or {}
    theirs = _by_resident(event)
    text = ""
    match event.kind:
        case Kind.OPENED:
            title = _("Report received")
        case Kind.ACKNOWLEDGED:
            title = _("The team responsible has seen the report")
        case Kind.STATUS_CHANGED if event.status == Status.IN_PROGRESS:
            title = _("Work started")
        case Kind.WAITING:
            if own:
                title, text = _("We asked you for more information"), event.reason
            else:
                title = _("Waiting for more information from the person who reported it")
        case Kind.RESUMED:
            title = _("Work started again")
        case Kind.RESOLVED:
            outcome = RESIDENT_OUTCOMES.get(str(new.get("resolution_code", "")), _("Resolved"))
            title = _("Resolved: %(outcome)s") % {"outcome": outcome}
            text = str(new.get("resolution_note", ""))
        case Kind.CLOSED:
            title = _("Report closed")
        case Kind.REOPENED:
            title = _("Reported as not fixed, and reopened") if theirs else _("Report reopened")
            text = event.reason if own or not theirs else ""
        case Kind.CANCELLED:
            title = _("Report cancelled")
            text = event.reason if own or not theirs else ""
        case Kind.DUPLICATE:
            reference = new.get("duplicate_of_reference", "")
            title = _("Already reported as %(reference)s") % {"reference": reference}
        case Kind.NOTE if theirs:
            if own:
                title, text = _("You sent more information"), str(new.get("body", ""))
            else:
                title = _("The person who reported it sent more information")
        case Kind.NOTE:
            title, text = _("Update"), str(new.get("body", ""))
        case Kind.ATTACHMENT if own or not theirs:
            title = (
                _("Photo added")
                if str(new.get("content_type", "")).startswith("image/")
                else (_("File added"))
            )
        case _:
            return None
    return Update(at=event.at, title=title, body=text)


def report_updates(ticket: Ticket, *, own: bool) -> list[Update]:
    """The report's public updates, newest first, in plain words."""
    events = ticket_timeline(
        ticket=ticket, public_only=True, newest_first=True, limit=UPDATES_SHOWN
    )
    return [u for u in (_update(e, own=own) for e in events) if u is not None]


def waiting_question(ticket: Ticket) -> str:
    """What the team asked the reporter when it put the report to wait on them."""
    event = ticket.events.filter(kind=Kind.WAITING, status=Status.WAITING_RESIDENT).last()
    return event.reason if event is not None else ""


# --- Answers -------------------------------------------------------------------------------


def _answer_text(question: Question, value: object) -> str:
    names = {choice.key: choice.name for choice in question.choices.all()}
    if question.datatype == Question.Datatype.SINGLE_CHOICE:
        return names.get(str(value), str(value))
    if question.datatype == Question.Datatype.MULTIPLE_CHOICE and isinstance(value, list):
        return ", ".join(names.get(str(v), str(v)) for v in value)
    if question.datatype == Question.Datatype.DATETIME:
        moment = parse_datetime(str(value)) if not isinstance(value, datetime) else value
        if moment is not None:
            return date_format(localtime(moment), "j F Y, H:i")
    return str(value)


def answer_rows(service: Service, answers: dict[str, object]) -> list[tuple[str, str]]:
    """(question, answer) for each question answered, in the service's order."""
    return [
        (question.label, _answer_text(question, answers[question.code]))
        for question in service_questions(service)
        if question.variable and answers.get(question.code) not in (None, "", [])
    ]


def reporter_rows(ticket: Ticket) -> list[tuple[str, str]]:
    """The reporter's own details, for their private view only."""
    ways: dict[str, str] = {
        ContactPreference.EMAIL: _("By email"),
        ContactPreference.PHONE: _("By phone"),
    }
    contact = ways.get(ticket.reporter_contact_preference, _("Do not contact me"))
    not_given = _("Not given")
    return [
        (_("Full name"), ticket.reporter_name or not_given),
        (_("Email address"), ticket.reporter_email or not_given),
        (_("Phone number"), ticket.reporter_phone or not_given),
        (_("How we contact you"), contact),
    ]
