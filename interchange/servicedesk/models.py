"""Tickets, their timeline (which is also the outbox), links, attachments, followers and feedback.

Every change to a ticket goes through `servicedesk.services`, which writes the
change and its timeline event in one transaction; nothing here has rules in
`save()`.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import ApiKey
from interchange.catalogue.models import Area, Service
from interchange.core.priorities import Level, Priority
from interchange.suppliers.models import SlaPolicyVersion, Supplier

REFERENCE_DIGITS = 6


def hash_token(token: str) -> str:
    """The SHA-256 (hex) a secret link token is stored and looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()


class TicketType(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Service request")
    PROBLEM = "problem", _("Problem")
    CHANGE = "change", _("Change")


REFERENCE_PREFIX = {
    TicketType.INCIDENT: "INC",
    TicketType.REQUEST: "REQ",
    TicketType.PROBLEM: "PRB",
    TicketType.CHANGE: "CHG",
}


class Status(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_RESIDENT = "waiting_resident", _("Waiting on resident")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting on third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.WAITING_RESIDENT,
        Status.WAITING_THIRD_PARTY,
    }
)
WAITING_STATUSES = frozenset({Status.WAITING_RESIDENT, Status.WAITING_THIRD_PARTY})


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    OPEN311 = "open311", _("Open311")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    EMAIL = "email", _("Email")
    STAFF = "staff", _("Staff")
    SUPPLIER_API = "supplier_api", _("Supplier API")
    MONITORING = "monitoring", _("Monitoring")


class ContactPreference(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    NONE = "none", _("No updates")


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    WORKAROUND = "workaround", _("Workaround given")
    NO_FAULT_FOUND = "no_fault_found", _("No fault found")
    DUPLICATE = "duplicate", _("Duplicate")
    NOT_COUNCIL = "not_councils_responsibility", _("Not the council's responsibility")
    NO_FURTHER_ACTION = "no_further_action", _("No further action")
    REQUEST_FULFILLED = "fulfilled", _("Request fulfilled")
    CHANGE_IMPLEMENTED = "implemented", _("Change implemented")


class Ticket(models.Model):
    type = models.CharField(_("type"), max_length=10, choices=TicketType.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("service"),
        # Served by a composite index that leads with it (Meta); its own would only cost.
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=15, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    impact = models.CharField(_("impact"), max_length=6, choices=Level.choices)
    urgency = models.CharField(_("urgency"), max_length=6, choices=Level.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    priority_overridden = models.BooleanField(_("priority set by hand"), default=False)
    priority_reason = models.CharField(_("reason for priority"), max_length=500, blank=True)

    # Who holds it: a supplier, or the integrator desk when empty.
    holder_supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="held_tickets",
        verbose_name=_("held by supplier"),
        # Served by a composite index that leads with it (Meta); its own would only cost.
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assigned to"),
        # Served by a composite index that leads with it (Meta); its own would only cost.
        db_index=False,
    )
    supplier_reference = models.CharField(_("supplier's reference"), max_length=100, blank=True)
    # The first acknowledgement of all (the end-to-end response clock), set once.
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    # The current holder's acknowledgement (its own response clock); cleared on every handover.
    holder_acknowledged_at = models.DateTimeField(
        _("acknowledged by holder"), null=True, blank=True
    )
    resolution_code = models.CharField(
        _("resolution"), max_length=30, choices=ResolutionCode.choices, blank=True
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    major_incident = models.BooleanField(_("major incident"), default=False)

    # The reporter: personal data, shown only to roles that may see it.
    reporter_first_name = models.CharField(_("first name"), max_length=100, blank=True)
    reporter_last_name = models.CharField(_("last name"), max_length=100, blank=True)
    reporter_email = models.EmailField(_("email"), blank=True)
    reporter_phone = models.CharField(_("phone"), max_length=40, blank=True)
    reporter_contact_preference = models.CharField(
        _("preferred contact"),
        max_length=10,
        choices=ContactPreference.choices,
        default=ContactPreference.EMAIL,
    )
    reporter_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_tickets",
        verbose_name=_("reporter's account"),
    )
    reporter_anonymous = models.BooleanField(
        _("anonymous"), default=False, help_text=_("Never show the reporter's name publicly.")
    )
    # SHA-256 of the secret in the reporter's private link; the secret itself is never stored.
    # Unique by a constraint (Meta), which needs no second index for LIKE as unique=True would;
    # null, not empty, where there is no link, so those never collide.
    private_token_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The random value the private link's secret is derived from under the site's key (so an
    # email can carry the link again, while the database alone cannot rebuild it). Empty for
    # tickets whose secret came from their id and creation instant.
    private_token_seed = models.CharField(max_length=32, blank=True, default="", db_default="")

    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    address_id = models.CharField(_("address id (UPRN)"), max_length=50, blank=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("area"),
        # Served by a composite index that leads with it (Meta); its own would only cost.
        db_index=False,
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)

    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], name="sd_ticket_status_created"),
            models.Index(
                fields=["holder_supplier", "status", "-created_at", "-id"],
                name="sd_ticket_holder_status",
            ),
            models.Index(fields=["assignee", "status"], name="sd_ticket_assignee_status"),
            models.Index(
                fields=["service", "-created_at", "-id"], name="sd_ticket_service_created"
            ),
            models.Index(fields=["area", "-created_at"], name="sd_ticket_area_created"),
            models.Index(fields=["-updated_at", "-id"], name="sd_ticket_updated"),
            # Open311's default list and the workspace's newest-first views.
            models.Index(fields=["-created_at", "-id"], name="sd_ticket_created"),
            # "Already reported nearby?": open tickets of one service by place.
            models.Index(
                fields=["service", "latitude", "longitude"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="sd_ticket_open_location",
            ),
            models.Index(fields=["priority", "status"], name="sd_ticket_priority_status"),
            models.Index(fields=["channel", "-created_at"], name="sd_ticket_channel_created"),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(major_incident=True),
                name="sd_ticket_major",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["private_token_hash"], name="sd_ticket_private_token"),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="sd_ticket_priority_range"
            ),
            models.CheckConstraint(
                condition=(
                    Q(latitude__isnull=True, longitude__isnull=True)
                    | Q(
                        latitude__gte=-90,
                        latitude__lte=90,
                        longitude__gte=-180,
                        longitude__lte=180,
                    )
                ),
                name="sd_ticket_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        """The public reference: type prefix and the id, at least six digits (INC-004213)."""
        return f"{REFERENCE_PREFIX[TicketType(self.type)]}-{self.pk:0{REFERENCE_DIGITS}d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def held_by_desk(self) -> bool:
        return self.holder_supplier_id is None

    @property
    def reporter_name(self) -> str:
        return f"{self.reporter_first_name} {self.reporter_last_name}".strip()


class TicketEvent(models.Model):
    """One change on a ticket's append-only timeline; also the outbox the dispatcher reads."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ROUTED = "routed", _("Routed")
        ASSIGNED = "assigned", _("Assigned")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        STATUS_CHANGED = "status_changed", _("Status changed")
        WAITING = "waiting", _("Waiting")
        RESUMED = "resumed", _("Resumed")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        CANCELLED = "cancelled", _("Cancelled")
        DUPLICATE = "duplicate", _("Marked duplicate")
        LINKED = "linked", _("Linked")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed")
        NOTE = "note", _("Note")
        SUPPLIER_REFERENCE = "supplier_reference", _("Supplier reference set")
        MAJOR_INCIDENT = "major_incident", _("Major incident changed")
        ATTACHMENT = "attachment", _("Attachment added")
        FOLLOWER = "follower", _("Follower added")
        SATISFACTION = "satisfaction", _("Satisfaction recorded")
        DETAILS_CHANGED = "details_changed", _("Details changed")
        # Raised by the SLA clocks (issue: clocks); here so the timeline knows every kind.
        SLA_WARNING = "sla_warning", _("SLA breach warning")
        SLA_BREACH = "sla_breach", _("SLA breached")

    class ActorKind(models.TextChoices):
        PERSON = "person", _("Person")
        API_KEY = "api_key", _("API key")
        SYSTEM = "system", _("System")
        RESIDENT = "resident", _("Resident")

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("ticket"),
        # Served by the unique (ticket, sequence) constraint's index.
        db_index=False,
    )
    # The ticket's version after this change: the events of a ticket are numbered 1, 2, 3…
    sequence = models.PositiveIntegerField(_("sequence"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("when"))
    actor_kind = models.CharField(_("actor kind"), max_length=10, choices=ActorKind.choices)
    # Read only when a person or key is deleted (PROTECT), through partial indexes (Meta):
    # most events are by the system, residents or the other kind of actor.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
        db_index=False,
    )
    actor_key = models.ForeignKey(
        ApiKey,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("API key"),
        db_index=False,
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    # The ticket's state after this change, on every event, so the SLA clocks and holder
    # segments are a fold over plain columns rather than a replay of the old/new diffs.
    status = models.CharField(_("status after"), max_length=20, choices=Status.choices)
    holder_supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("holder after (empty: integrator desk)"),
        # Read per ticket, never by supplier across the timeline; an index would only cost.
        db_index=False,
    )
    priority = models.PositiveSmallIntegerField(_("priority after"), choices=Priority.choices)
    holder_acknowledged = models.BooleanField(_("holder had acknowledged"), default=False)
    old = models.JSONField(_("old values"), default=dict, blank=True)
    new = models.JSONField(_("new values"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    public = models.BooleanField(_("public"), default=False)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["ticket", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "sequence"], name="sd_event_ticket_sequence"),
        ]
        # Every read of the timeline is by ticket (the unique constraint's index) or of what
        # is left to dispatch. Reports across tickets read the stored clocks; one that needs
        # events by kind and time brings its index with it.
        indexes = [
            models.Index(
                fields=["id"], condition=Q(dispatched_at__isnull=True), name="sd_event_undispatched"
            ),
            models.Index(
                fields=["actor_user"],
                condition=Q(actor_user__isnull=False),
                name="sd_event_actor_user",
            ),
            models.Index(
                fields=["actor_key"],
                condition=Q(actor_key__isnull=False),
                name="sd_event_actor_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}#{self.sequence} {self.kind}"


class TicketLink(models.Model):
    class Kind(models.TextChoices):
        PROBLEM = "problem", _("Caused by problem")
        DUPLICATE_OF = "duplicate_of", _("Duplicate of")
        RELATED = "related", _("Related to")

    # Each served by an index that leads with it: sd_link_unique and sd_link_to_kind.
    from_ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="links_out",
        verbose_name=_("ticket"),
        db_index=False,
    )
    to_ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="links_in",
        verbose_name=_("linked ticket"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(
                fields=["from_ticket", "to_ticket", "kind"], name="sd_link_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_ticket=models.F("to_ticket")), name="sd_link_not_self"
            ),
        ]
        indexes = [models.Index(fields=["to_ticket", "kind"], name="sd_link_to_kind")]

    def __str__(self) -> str:
        return f"{self.from_ticket_id} {self.kind} {self.to_ticket_id}"


class Attachment(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket")
    )
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    # A record of the content as received (shown in the API), never looked up by.
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    public = models.BooleanField(_("public"), default=False)
    uploaded_at = models.DateTimeField(_("uploaded"))
    event = models.OneToOneField(
        TicketEvent, on_delete=models.PROTECT, related_name="attachment", null=True, blank=True
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["ticket", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class Follower(models.Model):
    """A resident who follows a report instead of reporting it again."""

    # No index of its own: sd_follower_once leads with the ticket.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="followers",
        verbose_name=_("ticket"),
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"))
    # Unique by a constraint, not `unique=True`: looked up by equality only, so it needs no
    # second index for LIKE.
    unsubscribe_token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("started following"))
    unsubscribed_at = models.DateTimeField(_("stopped following"), null=True, blank=True)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "email"], name="sd_follower_once"),
            models.UniqueConstraint(
                fields=["unsubscribe_token_hash"], name="sd_follower_unsubscribe_token"
            ),
        ]

    def __str__(self) -> str:
        return self.email


class SatisfactionResponse(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="satisfaction", verbose_name=_("ticket")
    )
    score = models.PositiveSmallIntegerField(_("score (1–5)"))
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("satisfaction response")
        verbose_name_plural = _("satisfaction responses")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="sd_satisfaction_score"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}"


class SearchDocument(models.Model):
    """The text a ticket is found by (reference, title, description, notes, reporter).

    On PostgreSQL a stored tsvector with a GIN index sits beside it (added by migration);
    on SQLite an FTS5 table mirrors it. Kept current by `servicedesk.search`.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    body = models.TextField()

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return str(self.ticket_id)


class TicketHolding(models.Model):
    """A supplier that has held the ticket: it keeps read-only access to its own history."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="holdings", verbose_name=_("ticket")
    )
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("supplier"),
        # Served by sd_holding_once, which leads with it.
        db_index=False,
    )
    first_held_at = models.DateTimeField(_("first held"))

    class Meta:
        verbose_name = _("ticket holding")
        verbose_name_plural = _("ticket holdings")
        constraints = [
            # Leads with the supplier: the visibility scope looks up (supplier, ticket).
            models.UniqueConstraint(fields=["supplier", "ticket"], name="sd_holding_once"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id} held {self.ticket_id}"


# --- SLA clocks (derived from the timeline by `servicedesk.sla`; never edited by hand) ------


class ClockKind(models.TextChoices):
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    STOPPED = "stopped", _("Stopped")


class TicketClock(models.Model):
    """One of a ticket's two end-to-end clocks (the council's promise to the reporter), as last
    recomputed from the timeline. `breached` is elapsed > target, whatever the state."""

    # Derived rows, rewritten in bulk: no database foreign keys (checking them at commit
    # costs more than the rest of a recompute); the ORM still cascades a ticket's deletion.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="clocks",
        verbose_name=_("ticket"),
        # The unique constraint below leads with the ticket and serves its look-ups.
        db_index=False,
        db_constraint=False,
    )
    clock = models.CharField(_("clock"), max_length=10, choices=ClockKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices)
    elapsed = models.DurationField(_("elapsed business time"))
    paused = models.DurationField(_("paused business time"))
    target = models.DurationField(_("target"), null=True, blank=True)
    # When the target runs out if the clock keeps running; only a running clock has one.
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    breached = models.BooleanField(_("breached"), default=False)
    warning_raised_at = models.DateTimeField(_("breach warning raised"), null=True, blank=True)
    breach_raised_at = models.DateTimeField(_("breach raised"), null=True, blank=True)
    # The earliest warning or breach still to raise: what the periodic scan looks for.
    alert_due_at = models.DateTimeField(_("alert due"), null=True, blank=True)
    measured_at = models.DateTimeField(_("measured at"))

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "clock"], name="sd_clock_ticket_clock"),
        ]
        indexes = [
            models.Index(
                fields=["alert_due_at"],
                condition=Q(alert_due_at__isnull=False),
                name="sd_clock_alert_due",
            ),
            models.Index(
                fields=["deadline"], condition=Q(state="running"), name="sd_clock_running_deadline"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.clock} {self.state}"


class HolderSegment(models.Model):
    """One uninterrupted hold of a ticket by one holder (a supplier, or the integrator desk
    when empty), measured against that holder's own targets, as last recomputed from the
    timeline. The segments of a ticket, in order, cover its whole life."""

    # As on TicketClock, foreign keys the ORM keeps (cascading, protecting), not the database.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="holder_segments",
        verbose_name=_("ticket"),
        db_index=False,
        db_constraint=False,
    )
    number = models.PositiveSmallIntegerField(_("number"))
    holder_supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("holder (empty: integrator desk)"),
        # The (holder, started) index serves look-ups by supplier.
        db_index=False,
        db_constraint=False,
    )
    policy_version = models.ForeignKey(
        SlaPolicyVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SLA policy version"),
        # Read through the segment, never by version at scale (versions are never deleted).
        db_index=False,
        db_constraint=False,
    )
    started_at = models.DateTimeField(_("from"))
    # Empty while the ticket is still with this holder and not closed or cancelled.
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    reopens = models.PositiveIntegerField(_("reopens counted against the holder"), default=0)
    paused = models.DurationField(_("paused business time"))

    response_state = models.CharField(
        _("response state"), max_length=10, choices=ClockState.choices
    )
    response_elapsed = models.DurationField(_("response elapsed"))
    response_target = models.DurationField(_("response target"), null=True, blank=True)
    response_deadline = models.DateTimeField(_("response deadline"), null=True, blank=True)
    response_breached = models.BooleanField(_("response breached"), default=False)
    response_warning_raised_at = models.DateTimeField(null=True, blank=True)
    response_breach_raised_at = models.DateTimeField(null=True, blank=True)

    resolution_state = models.CharField(
        _("resolution state"), max_length=10, choices=ClockState.choices
    )
    resolution_elapsed = models.DurationField(_("business time held"))
    resolution_target = models.DurationField(_("resolution target"), null=True, blank=True)
    resolution_deadline = models.DateTimeField(_("resolution deadline"), null=True, blank=True)
    resolution_breached = models.BooleanField(_("resolution breached"), default=False)
    resolution_warning_raised_at = models.DateTimeField(null=True, blank=True)
    resolution_breach_raised_at = models.DateTimeField(null=True, blank=True)

    alert_due_at = models.DateTimeField(_("alert due"), null=True, blank=True)
    measured_at = models.DateTimeField(_("measured at"))

    class Meta:
        verbose_name = _("holder segment")
        verbose_name_plural = _("holder segments")
        ordering = ["ticket", "number"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "number"], name="sd_segment_ticket_number"),
        ]
        indexes = [
            # A supplier's results over a period (commissioning, scorecards).
            models.Index(fields=["holder_supplier", "started_at"], name="sd_segment_holder"),
            models.Index(
                fields=["alert_due_at"],
                condition=Q(alert_due_at__isnull=False),
                name="sd_segment_alert_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.number} {self.holder_supplier_id or 'desk'}"
