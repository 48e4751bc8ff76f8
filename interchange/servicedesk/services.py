"""Every change to a ticket. Each function is one transaction that locks the ticket, checks
the caller's version, the state machine and who may do it, changes the ticket, bumps its
version by one and writes exactly one timeline event (the outbox) with old and new values.

A call that would change nothing (acknowledging twice, routing to the same holder, setting
the same value) writes nothing and returns the ticket as it is. Refusals raise before any
write: StaleVersion, IllegalTransition, NotPermitted or TicketValidationError.

Event payloads (`old`/`new`) never copy the reporter's details or a follower's address:
events go out to supplier systems. Keys are model field names, foreign keys as ids
(`holder_supplier`, `assignee`), times as ISO 8601; a change of holder also names the
`provision` and `sla_policy` the new holder works under (both None for the desk). Every
event also carries the ticket's state after it in columns (status, holder, priority,
whether the holder had acknowledged), which is what the SLA clocks fold over.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.accounts.models import ApiKey, User
from interchange.catalogue.areas import area_for_point
from interchange.catalogue.models import Area, Service
from interchange.core.priorities import Level, Priority, priority_for
from interchange.servicedesk import states
from interchange.servicedesk.actors import Actor, Resident, System
from interchange.servicedesk.attachments import prepare_upload
from interchange.servicedesk.errors import NotPermitted, StaleVersion, TicketValidationError
from interchange.servicedesk.models import (
    Attachment,
    ContactPreference,
    Follower,
    ResolutionCode,
    SatisfactionResponse,
    Status,
    Ticket,
    TicketEvent,
    TicketHolding,
    TicketLink,
    TicketType,
    hash_token,
)
from interchange.servicedesk.search import index_ticket
from interchange.servicedesk.selectors import private_token_from_seed, private_token_seed
from interchange.servicedesk.states import Action, WaitingOn
from interchange.servicedesk.visibility import can_change
from interchange.suppliers.models import ServiceProvision, Supplier
from interchange.suppliers.selectors import provision_for, provision_of_supplier

Kind = TicketEvent.Kind
# The model's field lengths, checked here so that an overlong value is an error, not a crash.
PRIORITY_REASON_MAX_LENGTH = 500
SUPPLIER_REFERENCE_MAX_LENGTH = 100

# What a resident may do through their private link; everything else is staff work.
_RESIDENT_ACTIONS = frozenset(
    {Action.ADD_NOTE, Action.ADD_ATTACHMENT, Action.REOPEN, Action.CANCEL}
    | {Action.FOLLOW, Action.RECORD_SATISFACTION}
)
# Priority decides every SLA target, so only the integrator sets it, never the measured.
_INTEGRATOR_ACTIONS = frozenset(
    {Action.ROUTE, Action.SET_PRIORITY, Action.OVERRIDE_PRIORITY, Action.SET_MAJOR_INCIDENT}
)
# Foreign keys appear in event payloads by field name, as ids.
_JSON_KEYS = {"holder_supplier_id": "holder_supplier", "assignee_id": "assignee"}


class Desk(Enum):
    """The integrator desk as a holder: a ticket that no supplier holds."""

    DESK = "desk"


DESK = Desk.DESK


@dataclass(frozen=True)
class Opened:
    """A new ticket and the secret for the reporter's private link, shown only this once."""

    ticket: Ticket
    private_token: str


@dataclass(frozen=True)
class Followed:
    """A follower and its unsubscribe secret; None when they already followed (the secret
    was given then, and only its hash is kept)."""

    follower: Follower
    unsubscribe_token: str | None


# --- Opening -------------------------------------------------------------------------------


def ticket_open(
    *,
    actor: Actor,
    type: str,
    service: Service,
    title: str,
    channel: str,
    impact: str,
    urgency: str,
    description: str = "",
    reporter_first_name: str = "",
    reporter_last_name: str = "",
    reporter_email: str = "",
    reporter_phone: str = "",
    reporter_contact_preference: str = ContactPreference.EMAIL,
    reporter_account: User | None = None,
    reporter_anonymous: bool = False,
    latitude: float | None = None,
    longitude: float | None = None,
    area: Area | None = None,
    address: str = "",
    address_id: str = "",
    answers: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Opened:
    """Open a ticket, place it in its area and route it: to the supplier whose provision
    covers the service there (status assigned), else to the integrator desk (status new).

    `answers` must already be checked by `catalogue.services.validate_answers`; the edges
    call it. The area comes from the point unless given.
    """
    at = _when(at)
    ticket = Ticket(
        type=type,
        service=service,
        title=(title or "").strip(),
        description=(description or "").strip(),
        channel=channel,
        impact=impact,
        urgency=urgency,
        reporter_first_name=reporter_first_name.strip(),
        reporter_last_name=reporter_last_name.strip(),
        reporter_email=reporter_email.strip(),
        reporter_phone=reporter_phone.strip(),
        reporter_contact_preference=reporter_contact_preference,
        reporter_account=reporter_account,
        reporter_anonymous=reporter_anonymous,
        latitude=latitude,
        longitude=longitude,
        address=address.strip(),
        address_id=address_id.strip(),
        answers=answers or {},
        created_at=at,
        updated_at=at,
        version=1,
    )
    _check_new_ticket(ticket, service)
    ticket.priority = priority_for(impact, urgency)
    # The link's secret comes from a random seed kept with the ticket (so emails can carry it
    # again later); only its hash is stored. Both are known before the ticket is written.
    ticket.private_token_seed = private_token_seed()
    token = private_token_from_seed(ticket.private_token_seed)
    ticket.private_token_hash = hash_token(token)
    # No savepoint inside a caller's transaction: nothing below is meant to fail and be
    # caught, and a failure fails the caller's transaction as it would have anyway.
    with transaction.atomic(savepoint=False):
        if area is None and latitude is not None and longitude is not None:
            area = area_for_point(latitude, longitude)
        ticket.area = area
        provision = provision_for(service=service, area=area, at=at)
        if provision is not None:
            ticket.holder_supplier = provision.contract.supplier
            ticket.status = Status.ASSIGNED
        else:
            ticket.status = Status.NEW
        ticket.save(force_insert=True)
        _remember_holding(ticket, at)
        # Routing is folded into the opening event: the clocks know the holder from the start.
        _write_event(
            ticket,
            kind=Kind.OPENED,
            actor=actor,
            at=at,
            old={},
            new={
                "type": ticket.type,
                "service": service.pk,
                "channel": ticket.channel,
                "status": ticket.status,
                "impact": ticket.impact,
                "urgency": ticket.urgency,
                "priority": ticket.priority,
                "area": area.pk if area else None,
                **_holder_payload(ticket.holder_supplier_id, provision),
            },
            public=True,
        )
        index_ticket(ticket, new=True)
    return Opened(ticket=ticket, private_token=token)


def _check_new_ticket(ticket: Ticket, service: Service) -> None:
    errors: dict[str, list[str]] = {}
    if not ticket.title:
        errors.setdefault("title", []).append(_("Enter a title."))
    if not service.active:
        errors.setdefault("service", []).append(_("This service is not taking new tickets."))
    if (ticket.latitude is None) != (ticket.longitude is None):
        errors.setdefault("latitude", []).append(_("Give both latitude and longitude, or neither."))
    if ticket.latitude is not None and not -90 <= ticket.latitude <= 90:
        errors.setdefault("latitude", []).append(_("Latitude must be between -90 and 90."))
    if ticket.longitude is not None and not -180 <= ticket.longitude <= 180:
        errors.setdefault("longitude", []).append(_("Longitude must be between -180 and 180."))
    if not isinstance(ticket.answers, dict):
        errors.setdefault("answers", []).append(_("Answers must be a set of codes and values."))
    # Lengths, choices and the email's form; foreign keys and uniqueness need no check here
    # (and checking them would cost queries), the rest was checked above.
    exclude = ["service", "holder_supplier", "assignee", "reporter_account", "area"]
    exclude += ["priority", "status", "answers", "latitude", "longitude"]
    if not ticket.title:
        exclude.append("title")
    try:
        ticket.clean_fields(exclude=exclude)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise TicketValidationError(errors)


# --- Holders and people --------------------------------------------------------------------


def ticket_assign(
    *,
    ticket: Ticket,
    actor: Actor,
    holder: Supplier | Desk | None = None,
    assignee: User | None = None,
    reason: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Hand the ticket to another holder (a supplier, or DESK) and/or to a person.

    `holder` None keeps the holder; `assignee` is the person after the change (None: nobody
    in particular). A new holder must acknowledge and start again. Only the integrator may
    hand a ticket to a supplier; a supplier hands back to the desk, with a reason. Every
    handover needs a reason except the first dispatch of a new ticket.
    """
    at = _when(at)
    reason = reason.strip()
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        new_holder_id = locked.holder_supplier_id
        if holder is not None:
            new_holder_id = holder.pk if isinstance(holder, Supplier) else None
        hands_over = new_holder_id != locked.holder_supplier_id
        action = Action.REASSIGN if hands_over else Action.ASSIGN_PERSON
        target = _check(locked, action, actor=actor, at=at)
        if hands_over and new_holder_id is not None and not _is_integrator(actor):
            raise NotPermitted(
                _(
                    "Only the integrator's desk can hand a ticket to a supplier. "
                    "You can hand it back to the desk."
                )
            )
        errors: dict[str, list[str]] = {}
        if isinstance(holder, Supplier) and hands_over and not holder.active:
            errors["holder"] = [_("%(supplier)s is not active.") % {"supplier": holder}]
        if assignee is not None:
            problem = _assignee_problem(assignee, new_holder_id)
            if problem:
                errors["assignee"] = [problem]
        if hands_over and not reason and locked.status != Status.NEW:
            errors["reason"] = [_("Say why the ticket is handed over.")]
        if errors:
            raise TicketValidationError(errors)
        new_assignee_id = assignee.pk if assignee is not None else None
        if not hands_over and new_assignee_id == locked.assignee_id:
            return locked
        changes: dict[str, Any] = {"assignee_id": new_assignee_id}
        extra: dict[str, Any] = {}
        if hands_over:
            provision = (
                provision_of_supplier(
                    supplier_id=new_holder_id,
                    service_id=locked.service_id,
                    area_id=locked.area_id,
                    at=at,
                )
                if new_holder_id is not None
                else None
            )
            changes.update(_handover_changes(new_holder_id, target))
            extra = _holder_payload(new_holder_id, provision, only_policy=True)
        _change(
            locked,
            kind=Kind.ASSIGNED,
            actor=actor,
            at=at,
            changes=changes,
            extra_new=extra,
            reason=reason,
        )
        if hands_over:
            _remember_holding(locked, at)
    return locked


def ticket_route(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Route the ticket again now: to the supplier whose provision covers its service and
    area at `at`, else the desk. Nothing happens when that is the holder it has."""
    at = _when(at)
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        target = _check(locked, Action.ROUTE, actor=actor, at=at)
        provision = provision_for(service=locked.service, area=locked.area, at=at)
        new_holder_id = provision.contract.supplier_id if provision is not None else None
        if new_holder_id == locked.holder_supplier_id:
            return locked
        _change(
            locked,
            kind=Kind.ROUTED,
            actor=actor,
            at=at,
            changes={"assignee_id": None, **_handover_changes(new_holder_id, target)},
            extra_new=_holder_payload(new_holder_id, provision, only_policy=True),
            reason=reason.strip(),
        )
        _remember_holding(locked, at)
    return locked


def _handover_changes(new_holder_id: int | None, target: Status) -> dict[str, Any]:
    # The new holder's response clock starts afresh; the end-to-end acknowledgement stays.
    return {"holder_supplier_id": new_holder_id, "status": target, "holder_acknowledged_at": None}


def _holder_payload(
    holder_id: int | None, provision: ServiceProvision | None, *, only_policy: bool = False
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "provision": provision.pk if provision else None,
        "sla_policy": provision.sla_policy_id if provision else None,
    }
    if not only_policy:
        payload["holder_supplier"] = holder_id
    return payload


def _assignee_problem(person: User, holder_id: int | None) -> str | None:
    if not person.is_active:
        return _("%(person)s can no longer be assigned tickets.") % {"person": _label(person)}
    if holder_id is None and not person.is_integrator:
        return _("Only the integrator's desk staff can be assigned a ticket the desk holds.")
    if holder_id is not None and person.supplier_id != holder_id:
        return _("Only the holding supplier's own people can be assigned this ticket.")
    return None


def _remember_holding(ticket: Ticket, at: datetime) -> None:
    # The supplier keeps read-only sight of the ticket after it hands it on (visibility).
    if ticket.holder_supplier_id is not None:
        TicketHolding.objects.bulk_create(
            [TicketHolding(ticket=ticket, supplier_id=ticket.holder_supplier_id, first_held_at=at)],
            ignore_conflicts=True,
        )


# --- Work ----------------------------------------------------------------------------------


def ticket_acknowledge(
    *,
    ticket: Ticket,
    actor: Actor,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """The holder has seen the ticket: stops its response clock (and the end-to-end one, the
    first time). Acknowledging again for the same holder changes nothing."""
    at = _when(at)
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        _check(locked, Action.ACKNOWLEDGE, actor=actor, at=at)
        if locked.holder_acknowledged_at is not None:
            return locked
        _change(
            locked,
            kind=Kind.ACKNOWLEDGED,
            actor=actor,
            at=at,
            changes=_acknowledgement(locked, at),
            public=True,
        )
    return locked


def ticket_start(
    *,
    ticket: Ticket,
    actor: Actor,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """The holder starts work (in progress); starting acknowledges, if not yet done."""
    return _move(
        ticket,
        Action.START,
        kind=Kind.STATUS_CHANGED,
        actor=actor,
        at=at,
        expected_version=expected_version,
        acknowledges=True,
    )


def ticket_wait(
    *,
    ticket: Ticket,
    actor: Actor,
    on: str,
    reason: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Pause work to wait on the resident or a third party (`on`: WaitingOn); the reason is
    required and pauses the clocks. Waits on the resident are public: they must act."""
    if on not in WaitingOn.values:
        raise TicketValidationError({"on": [_("Choose who the ticket waits on.")]})
    reason = _required(reason, "reason", _("Say what the ticket is waiting for."))
    action = Action.WAIT_RESIDENT if on == WaitingOn.RESIDENT else Action.WAIT_THIRD_PARTY
    return _move(
        ticket,
        action,
        kind=Kind.WAITING,
        actor=actor,
        at=at,
        expected_version=expected_version,
        reason=reason,
        public=on == WaitingOn.RESIDENT,
    )


def ticket_resume(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Work goes on after a wait (in progress); the clocks run again."""
    return _move(
        ticket,
        Action.RESUME,
        kind=Kind.RESUMED,
        actor=actor,
        at=at,
        expected_version=expected_version,
        reason=reason.strip(),
    )


def ticket_resolve(
    *,
    ticket: Ticket,
    actor: Actor,
    resolution_code: str,
    note: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Resolve with a resolution code (required) and a note for the reporter. Resolving
    acknowledges, if not yet done. Duplicates are marked with `ticket_mark_duplicate`."""
    if resolution_code == ResolutionCode.DUPLICATE:
        raise TicketValidationError(
            {"resolution_code": [_("Mark the ticket as a duplicate of another instead.")]}
        )
    if resolution_code not in ResolutionCode.values:
        raise TicketValidationError({"resolution_code": [_("Choose a resolution.")]})
    at = _when(at)
    return _move(
        ticket,
        Action.RESOLVE,
        kind=Kind.RESOLVED,
        actor=actor,
        at=at,
        expected_version=expected_version,
        acknowledges=True,
        changes={
            "resolution_code": resolution_code,
            "resolution_note": note.strip(),
            "resolved_at": at,
        },
    )


def ticket_close(
    *,
    ticket: Ticket,
    actor: Actor,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Close a resolved ticket; it can be reopened within the reopen window."""
    at = _when(at)
    return _move(
        ticket,
        Action.CLOSE,
        kind=Kind.CLOSED,
        actor=actor,
        at=at,
        expected_version=expected_version,
        changes={"closed_at": at},
    )


def ticket_reopen(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Reopen a resolved ticket, or a closed one within the reopen window (reason required).

    It goes back to the holder that resolved it, in progress; the event's holder is that
    holder, which the clocks count the reopen against. A duplicate loses its link.
    """
    reason = _required(reason, "reason", _("Say why the ticket is reopened."))
    at = _when(at)
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        target = _check(locked, Action.REOPEN, actor=actor, at=at)
        extra_old: dict[str, Any] = {}
        if locked.resolution_code == ResolutionCode.DUPLICATE:
            links = TicketLink.objects.filter(from_ticket=locked, kind=TicketLink.Kind.DUPLICATE_OF)
            extra_old["duplicate_of"] = next(
                iter(links.values_list("to_ticket_id", flat=True)), None
            )
            links.delete()
        _change(
            locked,
            kind=Kind.REOPENED,
            actor=actor,
            at=at,
            changes={
                "status": target,
                "resolution_code": "",
                "resolution_note": "",
                "resolved_at": None,
                "closed_at": None,
            },
            extra_old=extra_old,
            reason=reason,
            public=True,
        )
    return locked


def ticket_cancel(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Cancel an open ticket (reason required): it ends, and its clocks stop."""
    reason = _required(reason, "reason", _("Say why the ticket is cancelled."))
    at = _when(at)
    return _move(
        ticket,
        Action.CANCEL,
        kind=Kind.CANCELLED,
        actor=actor,
        at=at,
        expected_version=expected_version,
        reason=reason,
        changes={"closed_at": at},
    )


def ticket_mark_duplicate(
    *,
    ticket: Ticket,
    actor: Actor,
    master: Ticket,
    reason: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Close an open ticket as a duplicate of `master` (open or resolved, not itself), with a
    duplicate-of link; like resolving, it acknowledges if nobody had. The master is not
    changed."""
    at = _when(at)
    if master.pk == ticket.pk:
        raise TicketValidationError({"master": [_("A ticket cannot duplicate itself.")]})
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        target = _check(locked, Action.MARK_DUPLICATE, actor=actor, at=at)
        master_status = Ticket.objects.filter(pk=master.pk).values_list("status", flat=True).first()
        if master_status not in {*states.OPEN, Status.RESOLVED}:
            raise TicketValidationError(
                {"master": [_("The ticket it duplicates must be open or resolved.")]}
            )
        _change(
            locked,
            kind=Kind.DUPLICATE,
            actor=actor,
            at=at,
            changes={
                "status": target,
                "resolution_code": ResolutionCode.DUPLICATE,
                "resolved_at": at,
                "closed_at": at,
                **_acknowledgement(locked, at),
            },
            extra_new={"duplicate_of": master.pk, "duplicate_of_reference": master.reference},
            reason=reason.strip(),
            public=True,
        )
        TicketLink.objects.create(
            from_ticket=locked, to_ticket=master, kind=TicketLink.Kind.DUPLICATE_OF, created_at=at
        )
    return locked


def _move(
    ticket: Ticket,
    action: Action,
    *,
    kind: str,
    actor: Actor,
    at: datetime | None,
    expected_version: int | None,
    reason: str = "",
    public: bool = True,
    acknowledges: bool = False,
    changes: dict[str, Any] | None = None,
) -> Ticket:
    """A change of status by the table, with whatever else changes with it."""
    at = _when(at)
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        target = _check(locked, action, actor=actor, at=at)
        all_changes = {"status": target, **(changes or {})}
        if acknowledges:
            all_changes.update(_acknowledgement(locked, at))
        _change(
            locked, kind=kind, actor=actor, at=at, changes=all_changes, reason=reason, public=public
        )
    return locked


def _acknowledgement(ticket: Ticket, at: datetime) -> dict[str, Any]:
    return {
        "acknowledged_at": ticket.acknowledged_at or at,
        "holder_acknowledged_at": ticket.holder_acknowledged_at or at,
    }


# --- Details -------------------------------------------------------------------------------


def ticket_link(
    *,
    ticket: Ticket,
    actor: Actor,
    to_ticket: Ticket,
    kind: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Link to a problem (caused by it; `to_ticket` must be a problem) or a related ticket.
    Linking twice changes nothing; duplicates are marked with `ticket_mark_duplicate`."""
    at = _when(at)
    if kind not in {TicketLink.Kind.PROBLEM, TicketLink.Kind.RELATED}:
        raise TicketValidationError(
            {"kind": [_("Link to a problem or a related ticket; mark duplicates as such.")]}
        )
    if to_ticket.pk == ticket.pk:
        raise TicketValidationError({"to_ticket": [_("A ticket cannot be linked to itself.")]})
    if kind == TicketLink.Kind.PROBLEM and to_ticket.type != TicketType.PROBLEM:
        raise TicketValidationError(
            {
                "to_ticket": [
                    _("%(reference)s is not a problem.") % {"reference": to_ticket.reference}
                ]
            }
        )
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        _check(locked, Action.LINK, actor=actor, at=at)
        existing = Q(from_ticket=locked, to_ticket=to_ticket, kind=kind)
        if kind == TicketLink.Kind.RELATED:
            existing |= Q(from_ticket=to_ticket, to_ticket=locked, kind=kind)
        if TicketLink.objects.filter(existing).exists():
            return locked
        TicketLink.objects.create(from_ticket=locked, to_ticket=to_ticket, kind=kind, created_at=at)
        _change(
            locked,
            kind=Kind.LINKED,
            actor=actor,
            at=at,
            changes={},
            extra_new={
                "link": kind,
                "to_ticket": to_ticket.pk,
                "to_reference": to_ticket.reference,
            },
        )
    return locked


def ticket_set_priority(
    *,
    ticket: Ticket,
    actor: Actor,
    impact: str,
    urgency: str,
    reason: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Set impact and urgency; the priority follows the table (and any override ends)."""
    errors = {}
    if impact not in Level.values:
        errors["impact"] = [_("Choose an impact.")]
    if urgency not in Level.values:
        errors["urgency"] = [_("Choose an urgency.")]
    if errors:
        raise TicketValidationError(errors)
    return _edit(
        ticket,
        Action.SET_PRIORITY,
        kind=Kind.PRIORITY_CHANGED,
        actor=actor,
        at=at,
        expected_version=expected_version,
        reason=reason.strip(),
        changes={
            "impact": impact,
            "urgency": urgency,
            "priority": priority_for(impact, urgency),
            "priority_overridden": False,
            "priority_reason": "",
        },
    )


def ticket_override_priority(
    *,
    ticket: Ticket,
    actor: Actor,
    priority: int,
    reason: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Set the priority by hand, whatever the table says; the reason is required."""
    if priority not in Priority.values:
        raise TicketValidationError({"priority": [_("Choose a priority.")]})
    reason = _required(reason, "reason", _("Say why the priority is overridden."))
    if len(reason) > PRIORITY_REASON_MAX_LENGTH:
        raise TicketValidationError({"reason": [_("Keep the reason under 500 characters.")]})
    return _edit(
        ticket,
        Action.OVERRIDE_PRIORITY,
        kind=Kind.PRIORITY_CHANGED,
        actor=actor,
        at=at,
        expected_version=expected_version,
        reason=reason,
        changes={
            "priority": Priority(priority),
            "priority_overridden": True,
            "priority_reason": reason,
        },
    )


def ticket_set_major_incident(
    *,
    ticket: Ticket,
    actor: Actor,
    major: bool,
    reason: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Declare or stand down a major incident; the reason is required."""
    reason = _required(reason, "reason", _("Say why."))
    return _edit(
        ticket,
        Action.SET_MAJOR_INCIDENT,
        kind=Kind.MAJOR_INCIDENT,
        actor=actor,
        at=at,
        expected_version=expected_version,
        reason=reason,
        changes={"major_incident": bool(major)},
    )


def ticket_set_supplier_reference(
    *,
    ticket: Ticket,
    actor: Actor,
    reference: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Record the holder's own reference for the ticket (its system's id)."""
    reference = reference.strip()
    if len(reference) > SUPPLIER_REFERENCE_MAX_LENGTH:
        raise TicketValidationError({"reference": [_("Keep the reference under 100 characters.")]})
    return _edit(
        ticket,
        Action.SET_SUPPLIER_REFERENCE,
        kind=Kind.SUPPLIER_REFERENCE,
        actor=actor,
        at=at,
        expected_version=expected_version,
        changes={"supplier_reference": reference},
        reindex=True,
    )


def ticket_add_note(
    *,
    ticket: Ticket,
    actor: Actor,
    body: str,
    public: bool,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Add a note, public (the reporter sees it) or internal. A first public reply by staff
    acknowledges the ticket; by the holder's own people, for the holder too."""
    body = _required(body, "body", _("Write the note."))
    at = _when(at)
    if _speaks_for_residents(actor) and not public:
        raise NotPermitted(_("A resident's notes are always public."))
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        _check(locked, Action.ADD_NOTE, actor=actor, at=at)
        changes: dict[str, Any] = {}
        if public and locked.is_open and _is_staff(actor):
            changes["acknowledged_at"] = locked.acknowledged_at or at
            if _acts_for_holder(actor, locked):
                changes["holder_acknowledged_at"] = locked.holder_acknowledged_at or at
        _change(
            locked,
            kind=Kind.NOTE,
            actor=actor,
            at=at,
            changes=changes,
            extra_new={"body": body},
            public=public,
        )
        index_ticket(locked)
    return locked


def ticket_attach(
    *,
    ticket: Ticket,
    actor: Actor,
    name: str,
    data: bytes,
    public: bool = False,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Attachment:
    """Check an upload (`attachments.prepare_upload`: real type, size, location stripped,
    checksum) and store it on the ticket through Django's storage, with its own event.

    Every edge attaches files through this; a bad file raises ValidationError, nothing saved.
    """
    at = _when(at)
    file = prepare_upload(name, data)
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        _check(locked, Action.ADD_ATTACHMENT, actor=actor, at=at)
        event = _change(
            locked,
            kind=Kind.ATTACHMENT,
            actor=actor,
            at=at,
            changes={},
            extra_new={
                "name": file.name,
                "content_type": file.content_type,
                "size": file.size,
                "sha256": file.sha256,
            },
            public=public,
        )
        attachment = Attachment(
            ticket=locked,
            original_name=file.name,
            content_type=file.content_type,
            size=file.size,
            sha256=file.sha256,
            public=public,
            uploaded_at=at,
            event=event,
        )
        attachment.file.save(file.name, ContentFile(file.content), save=False)
        try:
            attachment.save()
        except Exception:
            # Never leave a stored file that no row points at.
            attachment.file.delete(save=False)
            raise
    return attachment


def _edit(
    ticket: Ticket,
    action: Action,
    *,
    kind: str,
    actor: Actor,
    at: datetime | None,
    expected_version: int | None,
    changes: dict[str, Any],
    reason: str = "",
    reindex: bool = False,
) -> Ticket:
    """A change of fields that leaves the status alone; nothing happens if nothing differs."""
    at = _when(at)
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        _check(locked, action, actor=actor, at=at)
        if all(getattr(locked, field) == value for field, value in changes.items()):
            return locked
        _change(locked, kind=kind, actor=actor, at=at, changes=changes, reason=reason)
        if reindex:
            index_ticket(locked)
    return locked


# --- Residents -----------------------------------------------------------------------------


def follower_add(
    *,
    ticket: Ticket,
    actor: Actor,
    email: str,
    name: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Followed:
    """Someone follows the ticket instead of reporting it again. Following twice with one
    email address changes nothing; following again after unsubscribing gives a new secret."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise TicketValidationError({"email": [_("Enter an email address.")]}) from None
    at = _when(at)
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        _check(locked, Action.FOLLOW, actor=actor, at=at)
        follower = Follower.objects.filter(ticket=locked, email__iexact=email).first()
        if follower is not None and follower.unsubscribed_at is None:
            return Followed(follower=follower, unsubscribe_token=None)
        token = secrets.token_urlsafe(32)
        if follower is None:
            follower = Follower(ticket=locked, email=email, created_at=at)
        follower.name = name.strip() or follower.name
        follower.unsubscribe_token_hash = hash_token(token)
        follower.unsubscribed_at = None
        follower.save()
        # The address stays out of the event: events go out to supplier systems.
        _change(
            locked,
            kind=Kind.FOLLOWER,
            actor=actor,
            at=at,
            changes={},
            extra_new={"follower": follower.pk},
        )
    return Followed(follower=follower, unsubscribe_token=token)


def follower_unsubscribe(*, token: str, at: datetime | None = None) -> Follower | None:
    """Stop following, by the secret from the follower's emails; None for an unknown secret.

    A mail preference, not a change to the ticket: no event, no new version, so a resident
    unsubscribing never makes a member of staff's edit stale.
    """
    at = _when(at)
    follower = Follower.objects.filter(unsubscribe_token_hash=hash_token(token)).first()
    if follower is not None and follower.unsubscribed_at is None:
        follower.unsubscribed_at = at
        follower.save(update_fields=["unsubscribed_at"])
    return follower


def follower_stop(*, follower_id: int, at: datetime | None = None) -> bool:
    """Stop following, for a caller that has already checked who asks (the signed unsubscribe
    link in notifications' emails); like `follower_unsubscribe`, no event. True if it was
    following until now."""
    at = _when(at)
    stopped = Follower.objects.filter(pk=follower_id, unsubscribed_at__isnull=True).update(
        unsubscribed_at=at
    )
    return bool(stopped)


def satisfaction_record(
    *,
    ticket: Ticket,
    actor: Actor,
    score: int,
    comment: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> SatisfactionResponse:
    """Record how satisfied the reporter is (1–5, with a comment) with a resolved or closed
    ticket."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise TicketValidationError({"score": [_("Choose a score from 1 to 5.")]})
    at = _when(at)
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        _check(locked, Action.RECORD_SATISFACTION, actor=actor, at=at)
        response = SatisfactionResponse.objects.create(
            ticket=locked, score=score, comment=comment.strip(), at=at
        )
        _change(
            locked,
            kind=Kind.SATISFACTION,
            actor=actor,
            at=at,
            changes={},
            extra_new={"score": score, "response": response.pk},
        )
    return response


# --- The machinery every change shares ------------------------------------------------------


def _when(at: datetime | None) -> datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValueError("`at` must be an aware datetime")
    return at


def _required(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise TicketValidationError({field: [message]})
    return text


def _lock(ticket: Ticket, expected_version: int | None) -> Ticket:
    """The ticket's row, locked until the transaction ends, at the version the caller saw."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(expected=expected_version, current=locked.version)
    return locked


def _speaks_for_residents(actor: Actor) -> bool:
    """A resident, or an Open311 client application acting for one (the key is recorded)."""
    if isinstance(actor, Resident):
        return True
    return isinstance(actor, ApiKey) and actor.kind == ApiKey.Kind.OPEN311_CLIENT


def _check(locked: Ticket, action: Action, *, actor: Actor, at: datetime) -> Status:
    """Who may, when, and the state machine: the status `action` leads to, or a refusal."""
    if _speaks_for_residents(actor):
        if action not in _RESIDENT_ACTIONS:
            raise NotPermitted(_("Residents cannot do that to a ticket."))
    else:
        if not can_change(actor, locked):
            raise NotPermitted(_("You cannot change this ticket."))
        if action in _INTEGRATOR_ACTIONS and not _is_integrator(actor):
            raise NotPermitted(_("Only the integrator's desk can do that."))
    if at < locked.updated_at:
        # The timeline is in time order; a change cannot come before the last one.
        raise TicketValidationError(
            {"at": [_("A change cannot be dated before the ticket's last change.")]}
        )
    return states.check(locked, action, at=at)


def _change(
    ticket: Ticket,
    *,
    kind: str,
    actor: Actor,
    at: datetime,
    changes: dict[str, Any],
    extra_new: dict[str, Any] | None = None,
    extra_old: dict[str, Any] | None = None,
    reason: str = "",
    public: bool = False,
) -> TicketEvent:
    """Apply `changes` (field attnames) to the locked ticket, save it one version on, and
    write the event with the old and new values of what differed."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    fields = []
    for field, value in changes.items():
        before = getattr(ticket, field)
        if before == value:
            continue
        key = _JSON_KEYS.get(field, field)
        old[key], new[key] = _json(before), _json(value)
        setattr(ticket, field, value)
        fields.append(field)
    ticket.version += 1
    ticket.updated_at = at
    ticket.save(update_fields=[*fields, "version", "updated_at"])
    return _write_event(
        ticket,
        kind=kind,
        actor=actor,
        at=at,
        old={**old, **(extra_old or {})},
        new={**new, **(extra_new or {})},
        reason=reason,
        public=public,
    )


def _write_event(
    ticket: Ticket,
    *,
    kind: str,
    actor: Actor,
    at: datetime,
    old: dict[str, Any],
    new: dict[str, Any],
    reason: str = "",
    public: bool = False,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        sequence=ticket.version,
        kind=kind,
        at=at,
        **_actor_fields(actor),
        status=ticket.status,
        holder_supplier_id=ticket.holder_supplier_id,
        priority=ticket.priority,
        holder_acknowledged=ticket.holder_acknowledged_at is not None,
        old=old,
        new=new,
        reason=reason,
        public=public,
    )


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _actor_fields(actor: Actor) -> dict[str, Any]:
    if isinstance(actor, User):
        return {
            "actor_kind": TicketEvent.ActorKind.PERSON,
            "actor_user": actor,
            "actor_label": _label(actor),
        }
    if isinstance(actor, ApiKey):
        return {
            "actor_kind": TicketEvent.ActorKind.API_KEY,
            "actor_key": actor,
            "actor_label": actor.name,
        }
    kind = (
        TicketEvent.ActorKind.SYSTEM
        if isinstance(actor, System)
        else TicketEvent.ActorKind.RESIDENT
    )
    return {"actor_kind": kind, "actor_label": str(actor)}


def _label(person: User) -> str:
    return person.get_full_name() or person.get_username()


def _is_integrator(actor: Actor) -> bool:
    return isinstance(actor, System) or (isinstance(actor, User) and actor.is_integrator)


def _is_staff(actor: Actor) -> bool:
    """A person at the council or a supplier, or a supplier's system: whoever's public reply
    counts as a response to the reporter."""
    if isinstance(actor, User):
        return True
    return isinstance(actor, ApiKey) and actor.kind == ApiKey.Kind.SUPPLIER_SYSTEM


def _acts_for_holder(actor: Actor, ticket: Ticket) -> bool:
    if ticket.holder_supplier_id is None:
        return isinstance(actor, User) and actor.is_integrator
    if isinstance(actor, User):
        return actor.is_supplier_person and actor.supplier_id == ticket.holder_supplier_id
    return (
        isinstance(actor, ApiKey)
        and actor.kind == ApiKey.Kind.SUPPLIER_SYSTEM
        and actor.supplier_id == ticket.holder_supplier_id
    )


# --- A resident's reply ---------------------------------------------------------------------


def ticket_resident_reply(
    *,
    ticket: Ticket,
    body: str,
    at: datetime | None = None,
    files: Iterable[tuple[str, bytes]] = (),
) -> Ticket:
    """The reporter replies through their private link: a public note by the resident, with
    any files (`(name, data)` pairs, checked like every upload), and, when the ticket is
    waiting on the resident, work resumes and its clocks run again.

    The edge has already checked the private link. Every file is checked before anything is
    written, so a bad one changes nothing.
    """
    body = _required(body, "body", _("Write your reply."))
    at = _when(at)
    resident = Resident()
    uploads = list(files)
    # Checked up front: a file refused half-way would leave the earlier ones stored.
    for name, data in uploads:
        prepare_upload(name, data)
    with transaction.atomic():
        locked = _lock(ticket, None)
        _check(locked, Action.ADD_NOTE, actor=resident, at=at)
        waiting = locked.status == Status.WAITING_RESIDENT
        note = _change(
            locked,
            kind=Kind.NOTE,
            actor=resident,
            at=at,
            changes={},
            extra_new={"body": body},
            public=True,
        )
        index_ticket(locked)
        for name, data in uploads:
            ticket_attach(ticket=locked, actor=resident, name=name, data=data, at=at)
        if uploads:
            # Each attachment moved the ticket on a version; carry on from the row as it is.
            locked = _lock(locked, None)
        if waiting:
            # Resuming is not one of the resident's own actions: only their answer to the
            # question that paused the ticket resumes it, so the state machine alone decides.
            target = states.check(locked, Action.RESUME, at=at)
            _change(
                locked,
                kind=Kind.RESUMED,
                actor=resident,
                at=at,
                changes={"status": target},
                extra_new={"reply": note.sequence},
                public=True,
            )
    return locked
