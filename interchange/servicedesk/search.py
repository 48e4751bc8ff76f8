"""Finding tickets: the search document each ticket keeps, and the scoped search selector."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from interchange.servicedesk.actors import Actor
from interchange.servicedesk.models import (
    REFERENCE_PREFIX,
    SearchDocument,
    Ticket,
    TicketEvent,
)
from interchange.servicedesk.visibility import visible_to


def document_text(ticket: Ticket, *, new: bool = False) -> str:
    """Reference, title, description, reporter and the notes: what a ticket is found by.
    A `new` ticket has no notes yet, so none are read."""
    notes: Iterable[object] = (
        ()
        if new
        else TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE).values_list(
            "new__body", flat=True
        )
    )
    parts = [
        ticket.reference,
        ticket.title,
        ticket.description,
        ticket.reporter_name,
        ticket.reporter_email,
        ticket.address,
        ticket.supplier_reference,
        *[str(n) for n in notes if n],
    ]
    return "\n".join(p for p in parts if p)


def index_ticket(ticket: Ticket, *, new: bool = False) -> None:
    """Bring the ticket's search document up to date (called by the domain functions). A
    `new` ticket, just written in this transaction, has no document yet: it gets one in a
    single insert. Any other ticket is locked by its caller, so its document is written
    without a lock of its own: one update, or an insert when it has none yet."""
    body = document_text(ticket, new=new)
    if new or not SearchDocument.objects.filter(ticket=ticket).update(body=body):
        SearchDocument.objects.create(ticket=ticket, body=body)


_REFERENCE = re.compile(r"^\s*(?:(INC|REQ|PRB|CHG)\s*-?\s*)?0*(\d{1,12})\s*$", re.IGNORECASE)
_PREFIX_TYPE = {prefix: ticket_type for ticket_type, prefix in REFERENCE_PREFIX.items()}
_WORD = re.compile(r"\w+", re.UNICODE)
_PG_MATCH = (
    "SELECT ticket_id FROM servicedesk_searchdocument WHERE vector @@ to_tsquery('english', %s)"
)
_PG_RANK = (
    "SELECT ts_rank(vector, to_tsquery('english', %s)) FROM servicedesk_searchdocument "
    "WHERE ticket_id = servicedesk_ticket.id"
)
_SQLITE_MATCH = "SELECT rowid FROM servicedesk_search_fts WHERE servicedesk_search_fts MATCH %s"


def parse_reference(text: str) -> tuple[str | None, int] | None:
    """(ticket type or None, id) for text like "INC-004213", "inc4213" or "4213"; else None."""
    match = _REFERENCE.match(text)
    if not match:
        return None
    prefix, number = match.groups()
    return (_PREFIX_TYPE[prefix.upper()] if prefix else None, int(number))


def search_tickets(*, actor: Actor, query: str, limit: int = 50, offset: int = 0) -> list[Ticket]:
    """Tickets matching `query` that `actor` may see: an exact reference first, then full text
    (ranked on PostgreSQL, newest first on SQLite), paged by limit and offset."""
    query = query.strip()
    if not query:
        return []
    visible = visible_to(actor).select_related("service", "holder_supplier")
    reference = parse_reference(query)
    exact = None
    if reference is not None:
        ticket_type, pk = reference
        exact = visible.filter(pk=pk, **({"type": ticket_type} if ticket_type else {})).first()
        if exact is not None and ticket_type is not None:
            # A whole reference names one ticket.
            return [exact] if offset == 0 else []
    words = _WORD.findall(query)
    matches = _full_text(visible, words) if words else visible.none()
    if exact is None:
        return list(matches[offset : offset + limit])
    # The exact match takes the first place of the first page.
    matches = matches.exclude(pk=exact.pk)
    if offset == 0:
        return [exact, *matches[: limit - 1]]
    return list(matches[offset - 1 : offset - 1 + limit])


def _full_text(visible: QuerySet[Ticket], words: list[str]) -> QuerySet[Ticket]:
    if connection.vendor == "postgresql":
        # Every word must match; the last may be the start of a word, as people type.
        terms = " & ".join(
            f"{_pg_lexeme(w)}:*" if i == len(words) - 1 else _pg_lexeme(w)
            for i, w in enumerate(words)
        )
        # Constant SQL; the words travel as a bound parameter.
        return (
            visible.filter(pk__in=RawSQL(_PG_MATCH, [terms]))  # noqa: S611
            .annotate(rank=RawSQL(_PG_RANK, [terms]))  # noqa: S611
            .order_by("-rank", "-id")
        )
    # FTS5: each word quoted (so its syntax never reaches the engine), the last as a prefix.
    fts = " ".join(
        '"' + w.replace('"', '""') + '"' + ("*" if i == len(words) - 1 else "")
        for i, w in enumerate(words)
    )
    return visible.filter(pk__in=RawSQL(_SQLITE_MATCH, [fts])).order_by("-id")  # noqa: S611


def _pg_lexeme(word: str) -> str:
    # Quoted, so characters like & | ! : in people's text are taken literally.
    return "'" + word.replace("'", "''").replace("\\", "\\\\") + "'"
