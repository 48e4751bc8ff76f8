"""CSV export of the current view: streamed, scoped, capped and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from interchange.accounts.models import User
from interchange.servicedesk.models import Ticket
from interchange.suppliers.models import Supplier
from interchange.workspace import queue_views
from interchange.workspace.tests.queue_fixtures import World, make_tickets, world
from interchange.workspace.tests.test_queues import signed_in

__all__ = ["world"]

pytestmark = pytest.mark.django_db


def rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_export_holds_the_queue_as_filtered_and_sorted(
    integrator_agent: User, world: World
) -> None:
    response = signed_in(integrator_agent).get(
        "/staff/queues/desk/export.csv?sort=created&order=asc"
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = rows(response)
    assert table[0][:2] == ["Reference", "Title"]
    assert [r[0] for r in table[1:]] == [t.reference for t in world.desk]


def test_a_supplier_agent_exports_only_their_suppliers_tickets(
    supplier_a_agent: User, supplier_a: Supplier, world: World
) -> None:
    client = signed_in(supplier_a_agent)
    table = rows(client.get(f"/staff/queues/suppliers/{supplier_a.code}/export.csv"))
    assert sorted(r[0] for r in table[1:]) == sorted(t.reference for t in world.a)
    table = rows(client.get("/staff/queues/waiting/export.csv"))
    assert table[1:] == []


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(
    integrator_agent: User,
) -> None:
    make_tickets(1, holder=None, actor=integrator_agent, title='=HYPERLINK("http://x")')
    table = rows(signed_in(integrator_agent).get("/staff/queues/desk/export.csv"))
    assert table[1][1].startswith("'=HYPERLINK")


def test_the_export_stops_at_its_row_cap(
    integrator_agent: User, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_views, "EXPORT_ROW_CAP", 2)
    table = rows(signed_in(integrator_agent).get("/staff/queues/desk/export.csv"))
    assert len(table) == 3
    assert Ticket.objects.count() > 2


def test_governance_viewers_and_visitors_cannot_export(
    governance_viewer: User,
    client,
    world: World,
) -> None:
    assert signed_in(governance_viewer).get("/staff/queues/desk/export.csv").status_code == 403
    assert client.get("/staff/queues/desk/export.csv").status_code == 302
