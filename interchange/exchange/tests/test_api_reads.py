"""Reading tickets through the supplier API: the list with its filters and cursor, one
ticket (TMF621-shaped, its version as ETag), and its notes paged on their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings

from interchange.exchange.tests.api_helpers import World, call, is_problem, world_fixture  # noqa: F401
from interchange.servicedesk.actors import System
from interchange.servicedesk.models import Status, Ticket
from interchange.servicedesk.services import (
    DESK,
    ticket_add_note,
    ticket_assign,
    ticket_set_supplier_reference,
    ticket_start,
)
from interchange.servicedesk.tests.factories import T0, make_ticket

pytestmark = pytest.mark.django_db


def test_a_supplier_reads_its_ticket_shaped_like_tmf621(client, world: World) -> None:
    ticket = world.ticket_a
    response = call(client, "GET", f"/tickets/{ticket.reference}", world.secret_a)
    assert response.status_code == 200
    body = response.json()
    assert response["ETag"] == f'"{ticket.version}"'
    assert body["id"] == ticket.reference
    assert body["@type"] == "TroubleTicket"
    assert body["href"] == f"{settings.SITE_URL}/api/v1/tickets/{ticket.reference}"
    assert body["name"] == "Pothole outside number 12"
    assert (body["status"], body["interchangeStatus"]) == ("acknowledged", Status.ASSIGNED)
    assert body["externalId"] is None
    assert body["priority"] == f"P{ticket.priority}"
    assert body["severity"] == ticket.impact
    assert body["service"] == {"id": "pothole", "name": "Pothole"}
    assert body["characteristic"] == [{"name": "depth", "value": "deep"}]
    assert body["version"] == ticket.version
    assert body["yours"] is True
    assert body["creationDate"].endswith("Z")
    integrator, holder, reporter = body["relatedParty"]
    assert integrator["role"] == "serviceIntegrator"
    assert holder == {
        "@type": "RelatedParty",
        "role": "assignee",
        "id": world.supplier_a.code,
        "name": world.supplier_a.public_name,
        "contactMedium": None,
        "contactPreference": None,
    }
    # The holder may need to reach the reporter to do the work.
    assert reporter["role"] == "reporter"
    assert reporter["contactMedium"] == [
        {"mediumType": "email", "characteristic": {"emailAddress": "rita@example.org"}},
        {"mediumType": "phone", "characteristic": {"phoneNumber": "01632 960001"}},
    ]
    assert body["notes"] == {"href": f"{settings.SITE_URL}/api/v1/tickets/{ticket.reference}/notes"}
    assert body["note"] is None


def test_the_holder_sees_the_reporter_of_an_anonymous_report(client, world: World) -> None:
    # "Anonymous" hides the name from the public, not from the supplier working the ticket.
    Ticket.objects.filter(pk=world.ticket_a.pk).update(reporter_anonymous=True)
    body = call(client, "GET", f"/tickets/{world.ticket_a.reference}", world.secret_a).json()
    reporter = body["relatedParty"][-1]
    assert reporter["role"] == "reporter"
    assert reporter["name"] and reporter["contactMedium"]


def test_a_ticket_handed_back_stays_readable_without_the_reporters_details(
    client, world: World
) -> None:
    ticket = ticket_assign(ticket=world.ticket_a, actor=System(), holder=DESK, reason="Not ours")
    response = call(client, "GET", f"/tickets/{ticket.reference}", world.secret_a)
    body = response.json()
    assert body["yours"] is False
    roles = [party["role"] for party in body["relatedParty"]]
    assert roles == ["serviceIntegrator", "assignee"]
    assert body["relatedParty"][1]["id"] == "integrator"


def test_a_reference_is_read_whatever_its_case_but_not_with_another_types_prefix(
    client, world: World
) -> None:
    reference = world.ticket_a.reference
    assert call(client, "GET", f"/tickets/{reference.lower()}", world.secret_a).status_code == 200
    other_type = reference.replace("INC", "REQ")
    is_problem(call(client, "GET", f"/tickets/{other_type}", world.secret_a), 404)
    is_problem(call(client, "GET", "/tickets/INC-99999999999999999999", world.secret_a), 404)


def test_an_unchanged_ticket_answers_304_to_its_etag(client, world: World) -> None:
    path = f"/tickets/{world.ticket_a.reference}"
    etag = call(client, "GET", path, world.secret_a)["ETag"]
    again = call(client, "GET", path, world.secret_a, headers={"If-None-Match": etag})
    assert again.status_code == 304
    ticket_start(ticket=world.ticket_a, actor=System())
    changed = call(client, "GET", path, world.secret_a, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_the_list_holds_only_the_suppliers_own_tickets(client, world: World) -> None:
    response = call(client, "GET", "/tickets", world.secret_a)
    assert [t["id"] for t in response.json()["items"]] == [world.ticket_a.reference]
    assert response.json()["next"] is None


def _tickets(world: World, count: int) -> list[str]:
    service = world.ticket_a.service
    made = [
        make_ticket(service=service, title=f"Pothole {n}", at=T0 + timedelta(minutes=n))
        for n in range(count)
    ]
    return [world.ticket_a.reference] + [t.reference for t in made]


def test_the_cursor_pages_through_every_ticket_once_in_update_order(client, world: World) -> None:
    expected = _tickets(world, 6)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = call(client, "GET", f"/tickets{params}", world.secret_a).json()
        seen += [t["id"] for t in body["items"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 3


def test_a_ticket_changed_while_paging_comes_again_at_the_end(client, world: World) -> None:
    references = _tickets(world, 3)
    first = call(client, "GET", "/tickets?limit=2", world.secret_a).json()
    assert [t["id"] for t in first["items"]] == references[:2]
    ticket_add_note(ticket=world.ticket_a, actor=System(), body="Inspected", public=False)
    rest = call(client, "GET", f"/tickets?limit=10&cursor={first['next']}", world.secret_a)
    assert [t["id"] for t in rest.json()["items"]] == [*references[2:], references[0]]


def test_a_forged_cursor_is_invalid_input(client, world: World) -> None:
    response = call(client, "GET", "/tickets?cursor=eyJ1IjoxfQ:forged", world.secret_a)
    body = is_problem(response, 422)
    assert body["errors"][0]["field"] == "cursor"


def test_the_limit_has_a_maximum(client, world: World) -> None:
    body = is_problem(call(client, "GET", "/tickets?limit=201", world.secret_a), 422)
    assert body["errors"][0]["location"] == "query"
    assert body["errors"][0]["field"] == "limit"


def test_the_list_filters_by_status_priority_service_reference_and_update(
    client, world: World
) -> None:
    references = _tickets(world, 3)
    started = ticket_start(ticket=world.ticket_a, actor=System())
    ticket_set_supplier_reference(ticket=started, actor=System(), reference="SW-1")

    def ids(query: str) -> list[str]:
        response = call(client, "GET", f"/tickets?{query}", world.secret_a)
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["items"]]

    assert ids("status=in_progress") == [references[0]]
    assert ids("status=assigned&status=in_progress") == [*references[1:], references[0]]
    assert ids("hasSupplierReference=true") == [references[0]]
    assert ids("hasSupplierReference=false") == references[1:]
    assert ids(f"priority={world.ticket_a.priority}") == [*references[1:], references[0]]
    assert ids("priority=1") == []
    assert ids("service=pothole&limit=1") == [references[1]]
    assert ids("service=missed-bin") == []
    since = (T0 + timedelta(minutes=2)).isoformat().replace("+00:00", "Z")
    assert ids(f"updatedSince={since}") == [references[3], references[0]]
    assert ids("yours=false") == []


def test_notes_are_paged_apart_from_the_ticket(client, world: World) -> None:
    ticket = world.ticket_a
    for n in range(5):
        ticket = ticket_add_note(ticket=ticket, actor=System(), body=f"Note {n}", public=n % 2 == 0)
    path = f"/tickets/{ticket.reference}/notes"
    first = call(client, "GET", f"{path}?limit=3", world.secret_a).json()
    assert [n["text"] for n in first["items"]] == ["Note 0", "Note 1", "Note 2"]
    assert [n["public"] for n in first["items"]] == [True, False, True]
    rest = call(client, "GET", f"{path}?cursor={first['next']}", world.secret_a).json()
    assert [n["text"] for n in rest["items"]] == ["Note 3", "Note 4"]
    assert rest["next"] is None
    # A cursor belongs to its own ticket's notes.
    other = make_ticket(service=world.ticket_a.service)
    misused = call(
        client, "GET", f"/tickets/{other.reference}/notes?cursor={first['next']}", world.secret_a
    )
    is_problem(misused, 422)


# The key (with its supplier), the rate limit's counter (one upsert without Redis), then the
# ticket (with its service, holder and area); none for its notes.
TICKET_GET_QUERIES = 3


@pytest.mark.parametrize("notes", [0, 1, 60])
def test_reading_a_ticket_costs_the_same_queries_however_many_notes_it_has(
    client, world: World, django_assert_num_queries, notes: int
) -> None:
    ticket = world.ticket_a
    for n in range(notes):
        ticket = ticket_add_note(ticket=ticket, actor=System(), body=f"Note {n}", public=True)
    path = f"/tickets/{ticket.reference}"
    call(client, "GET", path, world.secret_a)  # records the key's use, at most once a minute
    with django_assert_num_queries(TICKET_GET_QUERIES):
        response = call(client, "GET", path, world.secret_a)
    assert response.json()["version"] == ticket.version


def test_another_holders_internal_notes_stay_hidden(client, world: World) -> None:
    ticket = ticket_add_note(
        ticket=world.ticket_a, actor=System(), body="Ours, internal", public=False
    )
    ticket = ticket_assign(ticket=ticket, actor=System(), holder=DESK, reason="Back to the desk")
    ticket = ticket_add_note(ticket=ticket, actor=System(), body="Desk only", public=False)
    ticket_add_note(ticket=ticket, actor=System(), body="For everyone", public=True)
    notes = call(client, "GET", f"/tickets/{ticket.reference}/notes", world.secret_a).json()
    assert [n["text"] for n in notes["items"]] == ["Ours, internal", "For everyone"]


def test_updated_since_takes_any_offset_and_refuses_times_out_of_range(
    client, world: World
) -> None:
    far = call(client, "GET", "/tickets?updatedSince=3682-05-30T00:42:15%2B22:06", world.secret_a)
    assert far.status_code == 200
    assert far.json()["items"] == []
    early = call(client, "GET", "/tickets?updatedSince=0001-01-01T00:00:00%2B01:00", world.secret_a)
    assert is_problem(early, 422)["errors"][0]["field"] == "updatedSince"
