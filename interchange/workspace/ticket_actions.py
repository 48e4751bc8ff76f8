"""The ticket page's actions: which the signed-in person is offered, and how each is carried
out through the service desk's domain functions (which refuse what is not allowed anyway)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import User
from interchange.servicedesk import services
from interchange.servicedesk.models import Ticket
from interchange.servicedesk.states import Action, WaitingOn, allowed_actions
from interchange.servicedesk.visibility import can_change
from interchange.workspace import ticket_forms as f
from interchange.workspace.ticket_forms import DESK

Perform = Callable[[Ticket, User, dict[str, Any]], str]


@dataclass(frozen=True)
class ActionSpec:
    """One action: its URL slug, wording, form, the state-machine actions that make it
    possible (any of them), whether only the integrator may, and how it is done."""

    key: str
    label: str | Promise
    title: str | Promise
    form: type[f.VersionedForm]
    needs: tuple[Action, ...]
    perform: Perform
    integrator_only: bool = False
    # Drawn as a single button on the ticket page (nothing to fill in).
    one_click: bool = False
    move: bool = False
    button: str | Promise | None = None

    @property
    def button_text(self) -> str:
        return str(self.button or _("Save"))


def _assign(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    holder = data["holder"]
    services.ticket_assign(
        ticket=ticket,
        actor=user,
        holder=services.DESK if holder == DESK else holder,
        assignee=data["assignee"],
        reason=data["reason"],
        expected_version=data["version"],
    )
    return _g("The ticket's holder and person are saved.")


def _priority(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    changed = services.ticket_set_priority(
        ticket=ticket,
        actor=user,
        impact=data["impact"],
        urgency=data["urgency"],
        reason=data["reason"],
        expected_version=data["version"],
    )
    return _g("Impact and urgency saved: the priority is P%(p)s.") % {"p": changed.priority}


def _override(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    services.ticket_override_priority(
        ticket=ticket,
        actor=user,
        priority=data["priority"],
        reason=data["reason"],
        expected_version=data["version"],
    )
    return _g("The priority is now P%(p)s.") % {"p": data["priority"]}


def _acknowledge(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    services.ticket_acknowledge(ticket=ticket, actor=user, expected_version=data["version"])
    return _g("Ticket acknowledged.")


def _start(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    services.ticket_start(ticket=ticket, actor=user, expected_version=data["version"])
    return _g("Work started: the ticket is in progress.")


def _waiter(on: WaitingOn) -> Perform:
    def wait(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
        services.ticket_wait(
            ticket=ticket,
            actor=user,
            on=on,
            reason=data["reason"],
            expected_version=data["version"],
        )
        return _g("The ticket is waiting on %(who)s; its clocks are paused.") % {"who": on.label}

    return wait


def _resume(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    services.ticket_resume(
        ticket=ticket, actor=user, reason=data["reason"], expected_version=data["version"]
    )
    return _g("Work resumed: the ticket is in progress.")


def _resolve(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    services.ticket_resolve(
        ticket=ticket,
        actor=user,
        resolution_code=data["resolution_code"],
        note=data["note"],
        expected_version=data["version"],
    )
    return _g("Ticket resolved.")


def _close(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    services.ticket_close(ticket=ticket, actor=user, expected_version=data["version"])
    return _g("Ticket closed.")


def _note(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    public = data["visibility"] == "public"
    services.ticket_add_note(
        ticket=ticket,
        actor=user,
        body=data["body"],
        public=public,
        expected_version=data["version"],
    )
    return _g("Public note added.") if public else _g("Internal note added.")


def _link(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    services.ticket_link(
        ticket=ticket,
        actor=user,
        to_ticket=data["reference"],
        kind=data["kind"],
        expected_version=data["version"],
    )
    return _g("Linked to %(reference)s.") % {"reference": data["reference"].reference}


def _duplicate(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    services.ticket_mark_duplicate(
        ticket=ticket,
        actor=user,
        master=data["reference"],
        reason=data["reason"],
        expected_version=data["version"],
    )
    return _g("Closed as a duplicate of %(reference)s.") % {
        "reference": data["reference"].reference
    }


def _major(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    major = not ticket.major_incident
    services.ticket_set_major_incident(
        ticket=ticket,
        actor=user,
        major=major,
        reason=data["reason"],
        expected_version=data["version"],
    )
    return _g("Major incident raised.") if major else _g("Major incident cleared.")


def _reopen(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    services.ticket_reopen(
        ticket=ticket, actor=user, reason=data["reason"], expected_version=data["version"]
    )
    return _g("Ticket reopened.")


def _cancel(ticket: Ticket, user: User, data: dict[str, Any]) -> str:
    services.ticket_cancel(
        ticket=ticket, actor=user, reason=data["reason"], expected_version=data["version"]
    )
    return _g("Ticket cancelled.")


ACTIONS: dict[str, ActionSpec] = {
    spec.key: spec
    for spec in [
        ActionSpec(
            "acknowledge",
            _("Acknowledge"),
            _("Acknowledge the ticket"),
            f.ConfirmForm,
            (Action.ACKNOWLEDGE,),
            _acknowledge,
            one_click=True,
            button=_("Acknowledge"),
        ),
        ActionSpec(
            "assign",
            _("Assign"),
            _("Assign the ticket"),
            f.AssignForm,
            (Action.REASSIGN, Action.ASSIGN_PERSON),
            _assign,
            button=_("Assign"),
        ),
        ActionSpec(
            "priority",
            _("Change impact and urgency"),
            _("Change impact and urgency"),
            f.PriorityForm,
            (Action.SET_PRIORITY,),
            _priority,
            integrator_only=True,
        ),
        ActionSpec(
            "override-priority",
            _("Override priority"),
            _("Override the priority"),
            f.OverridePriorityForm,
            (Action.OVERRIDE_PRIORITY,),
            _override,
            integrator_only=True,
        ),
        ActionSpec(
            "start",
            _("Start work"),
            _("Start work"),
            f.ConfirmForm,
            (Action.START,),
            _start,
            one_click=True,
            move=True,
            button=_("Start work"),
        ),
        ActionSpec(
            "wait-resident",
            _("Wait on the resident"),
            _("Wait on the resident"),
            f.WaitForm,
            (Action.WAIT_RESIDENT,),
            _waiter(WaitingOn.RESIDENT),
            move=True,
            button=_("Wait on the resident"),
        ),
        ActionSpec(
            "wait-third-party",
            _("Wait on a third party"),
            _("Wait on a third party"),
            f.WaitForm,
            (Action.WAIT_THIRD_PARTY,),
            _waiter(WaitingOn.THIRD_PARTY),
            move=True,
            button=_("Wait on a third party"),
        ),
        ActionSpec(
            "resume",
            _("Resume work"),
            _("Resume work"),
            f.OptionalReasonForm,
            (Action.RESUME,),
            _resume,
            move=True,
            button=_("Resume work"),
        ),
        ActionSpec(
            "resolve",
            _("Resolve"),
            _("Resolve the ticket"),
            f.ResolveForm,
            (Action.RESOLVE,),
            _resolve,
            move=True,
            button=_("Resolve"),
        ),
        ActionSpec(
            "close",
            _("Close"),
            _("Close the ticket"),
            f.ConfirmForm,
            (Action.CLOSE,),
            _close,
            one_click=True,
            move=True,
            button=_("Close"),
        ),
        ActionSpec(
            "reopen",
            _("Reopen"),
            _("Reopen the ticket"),
            f.ReasonForm,
            (Action.REOPEN,),
            _reopen,
            button=_("Reopen"),
        ),
        ActionSpec(
            "note",
            _("Add a note"),
            _("Add a note"),
            f.NoteForm,
            (Action.ADD_NOTE,),
            _note,
            button=_("Add note"),
        ),
        ActionSpec(
            "link",
            _("Link to a problem or ticket"),
            _("Link to a problem or a related ticket"),
            f.LinkForm,
            (Action.LINK,),
            _link,
            button=_("Link"),
        ),
        ActionSpec(
            "duplicate",
            _("Mark as duplicate"),
            _("Mark as a duplicate"),
            f.DuplicateForm,
            (Action.MARK_DUPLICATE,),
            _duplicate,
            button=_("Mark as duplicate"),
        ),
        ActionSpec(
            "major-incident",
            _("Raise or clear major incident"),
            _("Major incident"),
            f.ReasonForm,
            (Action.SET_MAJOR_INCIDENT,),
            _major,
            integrator_only=True,
        ),
        ActionSpec(
            "cancel",
            _("Cancel"),
            _("Cancel the ticket"),
            f.ReasonForm,
            (Action.CANCEL,),
            _cancel,
            button=_("Cancel the ticket"),
        ),
    ]
}


def offered(user: User, ticket: Ticket, *, at: datetime | None = None) -> list[ActionSpec]:
    """The actions to offer `user` on `ticket` as it stands: none to whoever may not change
    it, the integrator's own only to the integrator, and only moves the state machine allows."""
    if not can_change(user, ticket):
        return []
    allowed = set(allowed_actions(ticket, at=at))
    return [
        spec
        for spec in ACTIONS.values()
        if allowed.intersection(spec.needs) and (user.is_integrator or not spec.integrator_only)
    ]


def major_incident_wording(ticket: Ticket) -> tuple[str, str]:
    """(page title, button) for the major incident action, by the ticket's current state."""
    if ticket.major_incident:
        return _g("Clear the major incident"), _g("Clear major incident")
    return _g("Raise a major incident"), _g("Raise major incident")
