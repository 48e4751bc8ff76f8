"""Reads of one ticket's own records that need no visibility decision: its timeline, paged
by sequence, the ticket behind a private link, and that link's secret rebuilt for an email.
Which tickets a caller may see at all is `visibility.visible_to`; the caller has already
fetched the ticket through it."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils.crypto import salted_hmac
from django.utils.http import urlsafe_base64_encode

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


# Private link secrets are HMACs under a key derived from SECRET_KEY with this salt, so the
# secret can be rebuilt to email the link again while only its SHA-256 is stored.
PRIVATE_LINK_SALT = "interchange.servicedesk.private-link"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def private_token_seed() -> str:
    """A new ticket's private link seed: 16 random bytes, as 32 hex characters. Known before
    the ticket is written, so the ticket is written once with the seed and its secret's hash."""
    return secrets.token_hex(16)


def private_token_from_seed(seed: str, *, secret: str | bytes | None = None) -> str:
    """The secret of a ticket's private link: HMAC-SHA256 of its random seed under `secret`
    (default SECRET_KEY), 43 URL-safe characters. Unguessable to anyone without the key, and
    to anyone without the database (the seed is 128 random bits)."""
    digest = salted_hmac(PRIVATE_LINK_SALT, f"seed:{seed}", secret=secret, algorithm="sha256")
    return urlsafe_base64_encode(digest.digest())


def private_token_derive(
    *, ticket_id: int, created_at: datetime, secret: str | bytes | None = None
) -> str:
    """The secret of the private link of a ticket opened before links had seeds: HMAC-SHA256
    of its id and creation instant (to the microsecond, so a reused id after a database is
    rebuilt gets another secret) under `secret` (default SECRET_KEY), 43 URL-safe characters."""
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    value = f"{ticket_id}:{micros}"
    digest = salted_hmac(PRIVATE_LINK_SALT, value, secret=secret, algorithm="sha256").digest()
    return urlsafe_base64_encode(digest)


def ticket_private_token(ticket: Ticket) -> str | None:
    """The secret of the reporter's private link rebuilt (under SECRET_KEY, or a key in
    SECRET_KEY_FALLBACKS after a rotation) from the ticket's seed (or, for a ticket opened
    before seeds, its id and creation instant), checked against the stored hash; None when
    it cannot be rebuilt (a link made at random before links were derived)."""
    if not ticket.private_token_hash:
        return None
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        if ticket.private_token_seed:
            token = private_token_from_seed(ticket.private_token_seed, secret=secret)
        else:
            token = private_token_derive(
                ticket_id=ticket.pk, created_at=ticket.created_at, secret=secret
            )
        if hmac.compare_digest(hash_token(token), ticket.private_token_hash):
            return token
    return None


def ticket_for_private_token(token: str) -> Ticket | None:
    """The ticket whose reporter holds this private link secret, or None."""
    if not token:
        return None
    return Ticket.objects.filter(private_token_hash=hash_token(token)).first()
