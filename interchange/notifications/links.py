"""The links in a message to a resident: the reporter's private link (rebuilt, never stored),
the report's public page, and an unsubscribe link signed for one recipient of one ticket.

The links are made when a message is rendered, not when it is queued, so the record of what
was sent holds no secret: only the ticket and who the recipient is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from interchange.servicedesk.models import Ticket
from interchange.servicedesk.selectors import ticket_private_token

# A key of its own (derived from SECRET_KEY, and checked against SECRET_KEY_FALLBACKS too),
# so an unsubscribe signature can never stand for any other signed value of the site.
UNSUBSCRIBE_SALT = "interchange.notifications.unsubscribe"
# The signature follows the last dot; the value ("<ticket>-r" or "<ticket>-f<follower>") has
# none, and neither has URL-safe base64.
_SEPARATOR = "."
_REPORTER = "r"
_FOLLOWER = "f"


@dataclass(frozen=True)
class Recipient:
    """Who a resident message goes to: the reporter of a ticket, or one of its followers."""

    ticket_id: int
    follower_id: int | None = None

    @property
    def is_reporter(self) -> bool:
        return self.follower_id is None

    def as_context(self) -> dict[str, Any]:
        return {"ticket": self.ticket_id, "follower": self.follower_id}

    @classmethod
    def from_context(cls, value: Any) -> Recipient | None:
        if not isinstance(value, dict) or not isinstance(value.get("ticket"), int):
            return None
        follower = value.get("follower")
        return cls(ticket_id=value["ticket"], follower_id=follower if follower else None)


def _signer() -> signing.Signer:
    return signing.Signer(salt=UNSUBSCRIBE_SALT, sep=_SEPARATOR, algorithm="sha256")


def unsubscribe_token(recipient: Recipient) -> str:
    """The signed token of `recipient`'s unsubscribe link: it names the ticket and the
    recipient (not their address) and is valid for that recipient and ticket only."""
    who = _REPORTER if recipient.is_reporter else f"{_FOLLOWER}{recipient.follower_id}"
    return _signer().sign(f"{recipient.ticket_id}-{who}")


def recipient_for_token(token: str) -> Recipient | None:
    """The recipient an unsubscribe token was signed for, or None for a forged, altered or
    malformed one."""
    try:
        value = _signer().unsign(token or "")
    except signing.BadSignature:
        return None
    ticket, _dash, who = value.partition("-")
    if not ticket.isdigit():
        return None
    if who == _REPORTER:
        return Recipient(ticket_id=int(ticket))
    if who.startswith(_FOLLOWER) and who[1:].isdigit():
        return Recipient(ticket_id=int(ticket), follower_id=int(who[1:]))
    return None


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def message_links(context: dict[str, Any]) -> dict[str, str]:
    """The links a resident message shows, from its stored values: always the unsubscribe
    link; the report's public page when the public may see it; for the reporter, the private
    link and its pages (reply, not fixed, feedback) when its secret can be rebuilt."""
    recipient = Recipient.from_context(context.get("recipient"))
    if recipient is None:
        return {}
    links = {
        "unsubscribe_link": absolute(
            reverse("frontdoor:unsubscribe", args=[unsubscribe_token(recipient)])
        )
    }
    if context.get("public") and context.get("reference"):
        links["public_link"] = absolute(
            reverse("frontdoor:track-report", args=[context["reference"]])
        )
    if recipient.is_reporter:
        ticket = (
            Ticket.objects.filter(pk=recipient.ticket_id)
            .only("id", "created_at", "private_token_hash", "private_token_seed")
            .first()
        )
        token = ticket_private_token(ticket) if ticket is not None else None
        if token:
            for name, url_name in (
                ("private_link", "frontdoor:own-report"),
                ("reply_link", "frontdoor:own-reply"),
                ("reopen_link", "frontdoor:own-reopen"),
                ("feedback_link", "frontdoor:own-feedback"),
            ):
                links[name] = absolute(reverse(url_name, args=[token]))
    return links
