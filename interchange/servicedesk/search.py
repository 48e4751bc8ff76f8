"""Finding tickets: the search document each ticket keeps, and the scoped search selector."""

from __future__ import annotations

from interchange.servicedesk.models import SearchDocument, Ticket, TicketEvent


def document_text(ticket: Ticket) -> str:
    """Reference, title, description, reporter and the notes: what a ticket is found by."""
    notes = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE).values_list(
        "new__body", flat=True
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


def index_ticket(ticket: Ticket) -> None:
    """Bring the ticket's search document up to date (called by the domain functions)."""
    SearchDocument.objects.update_or_create(ticket=ticket, defaults={"body": document_text(ticket)})
