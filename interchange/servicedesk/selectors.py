"""Reads of one ticket's own records that need no visibility decision: its timeline, paged
by sequence, and the ticket behind a private link. Which tickets a caller may see at all is
`visibility.visible_to`; the caller has already fetched the ticket through it."""

from __future__ import annotations

from django.db.models import QuerySet

from interchange.servicedesk.models import Ticket, TicketEvent, hash_token

TIMELINE_PAGE = 50


def ticket_timeline(
    *,
    ticket: Ticket,
    after: int = 0,
    before: int | None = None,
    limit: int = TIMELINE_PAGE,
    newest_first: bool = False,
    public_only: bool = False,
) -> list[TicketEvent]:
    """Up to `limit` events of `ticket` with sequence in (after, before), oldest first (or
    newest first). Keyset paging by sequence, so any page is one index range scan; pass the
    last sequence of a page as `after` (or `before`, newest first) for the next."""
    events: QuerySet[TicketEvent] = TicketEvent.objects.filter(ticket=ticket, sequence__gt=after)
    if before is not None:
        events = events.filter(sequence__lt=before)
    if public_only:
        events = events.filter(public=True)
    order = "-sequence" if newest_first else "sequence"
    return list(events.select_related("actor_user", "actor_key").order_by(order)[:limit])


def ticket_for_private_token(token: str) -> Ticket | None:
    """The ticket whose reporter holds this private link secret, or None."""
    if not token:
        return None
    return Ticket.objects.filter(private_token_hash=hash_token(token)).first()
