"""Email to residents about their reports: which timeline events they hear about, who hears,
and unsubscribing.

Who: the reporter, when they gave an email address and chose to hear by email (not "no
updates", and not the phone, which the privacy notice promises is only for calls when the
team needs to know more), and have not unsubscribed from the report; and its followers
(residents who followed it instead of reporting it again) who still follow it, about what
happened after they started. Only reports of resident-facing services: staff who report
ICT faults follow them in the workspace. A follower who is also the reporter hears once, as
the reporter.

What (`resident_news`, mirroring what the resident's web view of a report shows; the words
come from the event, never from the report's later state):

| event | the reporter | followers |
|---|---|---|
| opened | "report received" | – |
| assigned or routed from new to a team | "with the team responsible" | the same |
| work started (in progress) | "work has started" | the same |
| public note by staff | the note | the note |
| waiting on the resident | "waiting on you": the question, how to reply | – |
| resolved | the outcome and the public resolution note | the same |
| closed | "closed", with the satisfaction question | "closed" |
| reopened by staff | "reopened" and why | the same |
| reopened by the reporter | – (they did it) | "reopened", without their words |
| cancelled by staff | "cancelled" and why | the same |
| cancelled by the reporter | – | "cancelled", without their words |
| marked a duplicate | "already reported as …" | the same |

Nothing else: not internal notes, not a resident's own notes (what a resident writes may hold
their details), not waits on third parties, resumptions, acknowledgements, handovers between
teams, priorities, links, attachments, SLA alerts. No message names a supplier: residents read
of "the team responsible".

A replay of history (events already dispatched) reaches residents only for events of the last
REPLAY_WINDOW: news that old would mislead, and seeded history must stay quiet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interchange.accounts.models import ApiKey
from interchange.catalogue.models import Service
from interchange.notifications.links import Recipient, recipient_for_token
from interchange.notifications.models import Notification, ReporterOptOut
from interchange.notifications.services import Planned
from interchange.servicedesk.models import (
    ContactPreference,
    Follower,
    ResolutionCode,
    Status,
    Ticket,
    TicketEvent,
)
from interchange.servicedesk.services import follower_stop

Kind = TicketEvent.Kind
MessageKind = Notification.Kind
REPLAY_WINDOW = timedelta(days=2)

# Outcomes in residents' words: the emails and the resident's web view of a report both say
# these.
RESIDENT_OUTCOMES: dict[str, Promise] = {
    ResolutionCode.FIXED: gettext_lazy("Fixed"),
    ResolutionCode.WORKAROUND: gettext_lazy("Made safe for now"),
    ResolutionCode.NO_FAULT_FOUND: gettext_lazy("No problem found"),
    ResolutionCode.DUPLICATE: gettext_lazy("Already reported"),
    ResolutionCode.NOT_COUNCIL: gettext_lazy("Not the council's responsibility"),
    ResolutionCode.NO_FURTHER_ACTION: gettext_lazy("No further action needed"),
    ResolutionCode.REQUEST_FULFILLED: gettext_lazy("Done"),
    ResolutionCode.CHANGE_IMPLEMENTED: gettext_lazy("Done"),
}


@dataclass(frozen=True)
class News:
    """What one event tells residents: the reporter's message kind (None: not them), whether
    followers hear too, and its words. `detail` may quote the event; `follower_detail` never
    holds a resident's own words."""

    reporter_kind: MessageKind | None
    to_followers: bool
    headline: str
    detail: str = ""
    follower_detail: str = ""


def _outcome(code: str) -> str:
    words = RESIDENT_OUTCOMES.get(code)
    return str(words) if words is not None else _("Resolved")


def resident_news(event: TicketEvent, *, by_resident: bool) -> News | None:
    """What `event` tells residents (see the module's table), or None. `by_resident`: the
    reporter (or a client application speaking for residents) made the change."""
    new = event.new or {}
    old = event.old or {}
    match event.kind:
        case Kind.OPENED:
            detail = (
                _("We have passed it to the team that deals with this kind of problem.")
                if event.status == Status.ASSIGNED
                else _("We will pass it to the team that deals with this kind of problem.")
            )
            return News(MessageKind.REPORT_RECEIVED, False, _("Report received"), detail)
        case Kind.ASSIGNED | Kind.ROUTED if (
            old.get("status") == Status.NEW and event.status == Status.ASSIGNED
        ):
            text = _("The team that deals with this kind of problem has the report.")
            return News(MessageKind.REPORT_UPDATE, True, _("With the team responsible"), text, text)
        case Kind.STATUS_CHANGED if event.status == Status.IN_PROGRESS:
            text = _("The team responsible is working on the problem.")
            return News(MessageKind.REPORT_UPDATE, True, _("Work has started"), text, text)
        case Kind.NOTE if event.public and not by_resident:
            body = str(new.get("body", ""))
            return News(MessageKind.REPORT_UPDATE, True, _("New update"), body, body)
        case Kind.WAITING if event.status == Status.WAITING_RESIDENT:
            return News(
                MessageKind.REPORT_WAITING, False, _("We need more information"), event.reason
            )
        case Kind.RESOLVED:
            outcome = _outcome(str(new.get("resolution_code", "")))
            note = str(new.get("resolution_note", ""))
            headline = _("Resolved: %(outcome)s") % {"outcome": outcome}
            return News(MessageKind.REPORT_UPDATE, True, headline, note, note)
        case Kind.CLOSED:
            return News(MessageKind.REPORT_CLOSED, True, _("Report closed"))
        case Kind.REOPENED | Kind.CANCELLED:
            headline = (
                _("Report reopened") if event.kind == Kind.REOPENED else _("Report cancelled")
            )
            if by_resident:
                return News(None, True, headline)
            return News(MessageKind.REPORT_UPDATE, True, headline, event.reason, event.reason)
        case Kind.DUPLICATE:
            reference = str(new.get("duplicate_of_reference", ""))
            headline = _("Already reported as %(reference)s") % {"reference": reference}
            text = _("The team is dealing with the problem under report %(reference)s.") % {
                "reference": reference
            }
            return News(MessageKind.REPORT_UPDATE, True, headline, text, text)
    return None


def _too_old_to_tell(event: TicketEvent, now: datetime) -> bool:
    """A replayed event (dispatched already) from before the replay window."""
    return event.dispatched_at is not None and event.at < now - REPLAY_WINDOW


def resident_candidates(events: list[TicketEvent]) -> list[tuple[TicketEvent, News]]:
    """The events of `events` that tell residents something, with what they tell, before
    anything about the report is read: the table decides from each event alone (one query
    for the batch when a client application made some of them, to know whether it speaks for
    residents). Events of other kinds cost no query at all."""
    now = timezone.now()
    hearable = [
        e for e in events if e.kind in _KINDS_RESIDENTS_HEAR and not _too_old_to_tell(e, now)
    ]
    keys = {
        e.actor_key_id
        for e in hearable
        if e.actor_kind == TicketEvent.ActorKind.API_KEY and e.actor_key_id is not None
    }
    for_residents = (
        set(
            ApiKey.objects.filter(pk__in=keys, kind=ApiKey.Kind.OPEN311_CLIENT).values_list(
                "pk", flat=True
            )
        )
        if keys
        else set()
    )
    found: list[tuple[TicketEvent, News]] = []
    with translation.override(settings.LANGUAGE_CODE):
        for event in hearable:
            by_resident = event.actor_kind == TicketEvent.ActorKind.RESIDENT or (
                event.actor_kind == TicketEvent.ActorKind.API_KEY
                and event.actor_key_id in for_residents
            )
            news = resident_news(event, by_resident=by_resident)
            if news is not None and (news.to_followers or _may_tell_reporter(event)):
                found.append((event, news))
    return found


def _may_tell_reporter(event: TicketEvent) -> bool:
    """Whether the reporter might hear of `event`, from the ticket the dispatcher loaded with
    it (False only when it is loaded and says they gave no address or chose otherwise)."""
    if not TicketEvent.ticket.is_cached(event):
        return True
    return _reporter_choice(event.ticket) is not None


def resident_messages(
    candidates: list[tuple[TicketEvent, News]], tickets: dict[int, Ticket]
) -> dict[int, list[Planned]]:
    """The messages each of `candidates` (from `resident_candidates`) sends residents, by
    event id; `tickets` holds their tickets with their services. Reads the batch's reporter
    unsubscriptions and followers in a query each."""
    mine = [
        (event, news)
        for event, news in candidates
        if tickets[event.ticket_id].service.kind == Service.Kind.RESIDENT
    ]
    if not mine:
        return {}
    ticket_ids = {event.ticket_id for event, _news in mine}
    opted_out = (
        set(
            ReporterOptOut.objects.filter(ticket_id__in=ticket_ids).values_list(
                "ticket_id", flat=True
            )
        )
        if any(
            news.reporter_kind is not None and _reporter_choice(tickets[event.ticket_id])
            for event, news in mine
        )
        else set()
    )
    followed = {event.ticket_id for event, news in mine if news.to_followers}
    followers: dict[int, list[Follower]] = {}
    if followed:
        for follower in (
            Follower.objects.filter(ticket_id__in=followed, unsubscribed_at__isnull=True)
            .only("id", "ticket_id", "email", "created_at")
            .order_by("pk")
        ):
            followers.setdefault(follower.ticket_id, []).append(follower)
    planned: dict[int, list[Planned]] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for event, news in mine:
            ticket = tickets[event.ticket_id]
            planned[event.pk] = _messages(
                event,
                news,
                ticket,
                reporter=None if ticket.pk in opted_out else _reporter_choice(ticket),
                followers=[f for f in followers.get(ticket.pk, []) if f.created_at <= event.at],
            )
    return planned


def _messages(
    event: TicketEvent,
    news: News,
    ticket: Ticket,
    *,
    reporter: str | None,
    followers: list[Follower],
) -> list[Planned]:
    """The messages `event` sends: `reporter` is the reporter's address if they are to hear
    about the report; `followers` those who still follow it and already did then."""
    base = {
        "reference": ticket.reference,
        "service": ticket.service.name,
        "headline": news.headline,
        "event": event.kind,
        "public": ticket.service.open311_exposed,
    }
    messages: list[Planned] = []
    if reporter is not None and news.reporter_kind is not None:
        messages.append(
            Planned(
                kind=news.reporter_kind,
                recipient=reporter,
                context={
                    **base,
                    "detail": news.detail,
                    "recipient": Recipient(ticket_id=ticket.pk).as_context(),
                },
                event=event,
            )
        )
    if not news.to_followers:
        return messages
    told = (reporter or _reporter_email(ticket)).lower()
    for follower in followers:
        if follower.email.strip().lower() == told:
            continue
        messages.append(
            Planned(
                kind=MessageKind.FOLLOWER_UPDATE,
                recipient=follower.email,
                context={
                    **base,
                    "detail": news.follower_detail,
                    "recipient": Recipient(
                        ticket_id=ticket.pk, follower_id=follower.pk
                    ).as_context(),
                },
                event=event,
            )
        )
    return messages


# The event kinds in the table: any other is passed over before a query is made.
_KINDS_RESIDENTS_HEAR = frozenset(
    {
        Kind.OPENED,
        Kind.ASSIGNED,
        Kind.ROUTED,
        Kind.STATUS_CHANGED,
        Kind.NOTE,
        Kind.WAITING,
        Kind.RESOLVED,
        Kind.CLOSED,
        Kind.REOPENED,
        Kind.CANCELLED,
        Kind.DUPLICATE,
    }
)


def _reporter_email(ticket: Ticket) -> str:
    return ticket.reporter_email.strip()


def _reporter_choice(ticket: Ticket) -> str | None:
    """The reporter's address if they chose to hear by email (unsubscribing aside)."""
    email = _reporter_email(ticket)
    # Only by the way they chose: the privacy notice promises that a reporter who chose the
    # phone is only called, and one who chose no updates hears nothing.
    if not email or ticket.reporter_contact_preference != ContactPreference.EMAIL:
        return None
    return email


# --- Unsubscribing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """One recipient's email about one report, as an unsubscribe link names it."""

    recipient: Recipient
    reference: str
    public: bool
    active: bool


def subscription_for(token: str) -> Subscription | None:
    """The subscription an unsubscribe link's token stands for, or None (bad signature, or
    the ticket or follower is gone)."""
    recipient = recipient_for_token(token)
    if recipient is None:
        return None
    ticket = (
        Ticket.objects.select_related("service")
        .only("id", "type", "service__open311_exposed")
        .filter(pk=recipient.ticket_id)
        .first()
    )
    if ticket is None:
        return None
    if recipient.is_reporter:
        active = not ReporterOptOut.objects.filter(ticket_id=ticket.pk).exists()
    else:
        assert recipient.follower_id is not None
        follower = (
            Follower.objects.filter(pk=recipient.follower_id, ticket_id=ticket.pk)
            .only("unsubscribed_at")
            .first()
        )
        if follower is None:
            return None
        active = follower.unsubscribed_at is None
    return Subscription(
        recipient=recipient,
        reference=ticket.reference,
        public=ticket.service.open311_exposed,
        active=active,
    )


def unsubscribe(*, token: str, at: datetime | None = None) -> Subscription | None:
    """Send no more email about the report to the recipient the token was signed for; None
    for a bad token. Unsubscribing twice changes nothing.

    A mail preference, not a change to the ticket: no event, no new version.
    """
    subscription = subscription_for(token)
    if subscription is None:
        return None
    at = at or timezone.now()
    recipient = subscription.recipient
    with transaction.atomic():
        if recipient.is_reporter:
            ReporterOptOut.objects.get_or_create(
                ticket_id=recipient.ticket_id, defaults={"created_at": at}
            )
        elif recipient.follower_id is not None:
            follower_stop(follower_id=recipient.follower_id, at=at)
    return Subscription(
        recipient=recipient,
        reference=subscription.reference,
        public=subscription.public,
        active=False,
    )
