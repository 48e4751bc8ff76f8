"""A resident's update to their report, sent on by a client (mySociety's POST
servicerequestupdates): a public note, or a reopen when they say it is not fixed.

What each status does is `statuses.TABLE`. The commenter's name and email are not kept:
the note is public, and the ticket already has its reporter. A photo the client holds is
linked from the note rather than fetched (fetching URLs a client names would let it make
this server call anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from interchange.accounts.models import ApiKey
from interchange.frontdoor.open311.params import Problems
from interchange.frontdoor.open311.statuses import ENDED, INBOUND, Inbound, incoming
from interchange.servicedesk.errors import IllegalTransition
from interchange.servicedesk.models import Ticket, TicketEvent
from interchange.servicedesk.services import ticket_add_note, ticket_reopen

MAX_DESCRIPTION = 10_000


class UpdateForm(forms.Form):
    """The update's parameters as FixMyStreet sends them: the input schema."""

    service_request_id = forms.CharField(max_length=30)
    update_id = forms.CharField(max_length=100)
    status = forms.CharField(max_length=40)
    description = forms.CharField(max_length=MAX_DESCRIPTION)
    media_url = forms.URLField(required=False, max_length=1000, assume_scheme="https")


@dataclass(frozen=True)
class Update:
    reference: str
    update_id: str
    inbound: Inbound
    text: str


def read_update(post: QueryDict) -> Update:
    """The update in a POST body, or Invalid with every problem by parameter name."""
    problems = Problems()
    form = UpdateForm(post)
    form.is_valid()
    for name, messages in form.errors.items():
        for message in messages:
            problems.add(name, str(message))
    status = (post.get("status") or "").strip()
    inbound = incoming(status) if status else None
    if status and inbound is None:
        problems.add(
            "status",
            _("%(status)s is not a status this service knows. Use one of: %(known)s.")
            % {"status": status, "known": ", ".join(s.upper() for s in INBOUND)},
        )
    problems.raise_any()
    assert inbound is not None
    data = form.cleaned_data
    text = data["description"].strip()
    if data["media_url"]:
        text += "\n\n" + _("Photo: %(url)s") % {"url": data["media_url"]}
    return Update(
        reference=data["service_request_id"].strip(),
        update_id=data["update_id"].strip(),
        inbound=inbound,
        text=text,
    )


def update_apply(*, ticket: Ticket, update: Update, key: ApiKey) -> TicketEvent:
    """Record the update on the ticket and return its event (whose id is the update's id
    here). One transaction."""
    # The client application acts for the resident: the timeline records its key.
    reporter = key
    with transaction.atomic():
        if update.inbound == Inbound.REOPEN and ticket.status in ENDED:
            try:
                changed = ticket_reopen(ticket=ticket, actor=reporter, reason=update.text)
            except IllegalTransition:
                # Closed too long ago to reopen: the desk still hears it, as a note.
                changed = ticket_add_note(
                    ticket=ticket, actor=reporter, body=update.text, public=True
                )
        else:
            changed = ticket_add_note(ticket=ticket, actor=reporter, body=update.text, public=True)
        return TicketEvent.objects.get(ticket=changed, sequence=changed.version)
