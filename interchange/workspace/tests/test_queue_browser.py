"""The queues in a real browser: filter, sort, page, save a view, bulk-assign, each page
accessible (WCAG 2.2 A/AA, no Content Security Policy violation)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from interchange.accounts.models import User
from interchange.core.priorities import Level
from interchange.servicedesk.models import Ticket
from interchange.servicedesk.services import ticket_set_priority
from interchange.suppliers.models import Supplier
from interchange.testing.people import PASSWORD
from interchange.workspace.tests.queue_fixtures import make_tickets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/staff/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/staff/")


def test_an_integrator_filters_sorts_pages_saves_and_bulk_assigns(
    live_server, page, axe, integrator_agent: User, supplier_a: Supplier
) -> None:
    made = make_tickets(27, holder=None, actor=integrator_agent, title="Blocked drain")
    urgent = made[3]
    ticket_set_priority(
        ticket=urgent, actor=integrator_agent, impact=Level.HIGH, urgency=Level.HIGH
    )
    sign_in(page, live_server.url, integrator_agent.username)
    axe(page)
    page.get_by_role("link", name="Queues").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Integrator desk")
    expect(page.locator("#queue-count")).to_contain_text("27 tickets")
    axe(page)

    # Page with the cursor, then back to the first page.
    page.get_by_role("link", name="Next page").click()
    expect(page.locator("#queue-count")).to_contain_text("27 tickets")
    expect(page.locator("tbody tr")).to_have_count(2)
    assert "after=" in page.url
    page.get_by_role("link", name="Previous page").click()
    expect(page.locator("tbody tr")).to_have_count(25)

    # Sort by created, oldest first: the whole queue, not the page.
    page.get_by_role("link", name="Created").click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Created")
    expect(page.locator("tbody tr").first).to_contain_text(made[0].reference)

    # Filter (htmx swaps the queue in place and the address follows).
    page.get_by_label("P1 – critical").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#queue-count")).to_contain_text("1 tickets")
    expect(page.locator("tbody tr")).to_have_count(1)
    assert "priority=1" in page.url
    axe(page)

    # Save the view and open it again.
    page.get_by_text("Save this view").click()
    page.get_by_label("Name for this view").fill("Urgent drains")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved views")
    axe(page)
    page.get_by_role("link", name="Urgent drains").click()
    expect(page.locator("tbody tr")).to_have_count(1)

    # Bulk-assign two tickets to a supplier and read the summary.
    page.goto(live_server.url + "/staff/queues/desk?sort=created&order=asc")
    page.get_by_label(f"Select {made[0].reference}").check(force=True)
    page.get_by_label(f"Select {made[1].reference}").check(force=True)
    page.get_by_label("Action", exact=True).select_option("assign_supplier")
    page.get_by_label("Supplier", exact=True).select_option(str(supplier_a.pk))
    page.get_by_label("Reason or note").fill("Their contract covers drains")
    page.get_by_role("button", name="Apply to selected tickets").click()
    expect(page.locator(".govuk-panel__body")).to_contain_text("2 tickets changed")
    expect(page.locator("#changed")).to_contain_text(made[0].reference)
    axe(page)
    held = Ticket.objects.filter(pk__in=[made[0].pk, made[1].pk], holder_supplier=supplier_a)
    assert held.count() == 2

    # The search box on every page.
    page.get_by_label("Search tickets by reference or words").fill(made[5].reference)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("tbody tr")).to_have_count(1)
    axe(page)
