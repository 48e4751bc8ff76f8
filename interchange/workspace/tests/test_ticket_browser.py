"""The ticket page in a real browser: an integrator triages a new resident report and hands it
to supplier A; A's agent signs in, acknowledges and resolves it; the integrator closes it; an
agent of supplier B gets 404. Once more by keyboard alone. Every page is checked with axe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from interchange.accounts.models import User
from interchange.core.priorities import Level
from interchange.servicedesk.actors import Resident
from interchange.servicedesk.models import Channel, Status, Ticket, TicketType
from interchange.servicedesk.services import ticket_open
from interchange.testing.people import PASSWORD
from interchange.workspace.tests.ticket_world import TicketWorld, world_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def resident_report(world: TicketWorld) -> Ticket:
    """A resident's web report of a laptop fault: no supplier provides laptops, so the
    integrator's desk holds it, new."""
    return ticket_open(
        actor=Resident(),
        type=TicketType.INCIDENT,
        service=world.sla.laptops,
        title="Library laptop will not start",
        description="The one by the window",
        channel=Channel.WEB,
        impact=Level.LOW,
        urgency=Level.MEDIUM,
        reporter_first_name="Rita",
        reporter_email="rita@example.org",
        address="Central Library",
        latitude=51.45,
        longitude=-2.59,
    ).ticket


def sign_in(page: Any, base: str, person: User, axe: Any, then: str) -> None:
    page.goto(f"{base}/staff/sign-in?next={then}")
    axe(page)
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(then) + "$"))


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_triage_assign_acknowledge_resolve_close(
    live_server, page, axe, world, integrator_agent, supplier_a_agent, supplier_b_agent
):
    ticket = resident_report(world)
    path = f"/staff/tickets/{ticket.reference}"

    sign_in(page, live_server.url, integrator_agent, axe, path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Library laptop will not start")
    expect(page.get_by_text("Rita", exact=True)).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Change impact and urgency").click()
    axe(page)
    page.get_by_role("group", name="Impact").get_by_label("High").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("the priority is P2")).to_be_visible()
    page.get_by_role("button", name="Assign").click()
    axe(page)
    page.get_by_label("Holder").select_option(label="Streetwise Roads Ltd")
    page.get_by_label("Reason").fill("Their contract covers it")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("holder and person are saved")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Timeline").click()
    expect(page.get_by_text("Holder: Integrator desk → Streetwise Roads Ltd")).to_be_visible()
    axe(page)
    sign_out(page)

    sign_in(page, live_server.url, supplier_a_agent, axe, path)
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Ticket acknowledged.")).to_be_visible()
    page.get_by_role("button", name="Resolve").click()
    axe(page)
    page.get_by_role("button", name="Resolve").click()  # nothing chosen yet
    expect(page.get_by_role("alert").get_by_text("Choose a resolution.")).to_be_visible()
    axe(page)
    page.get_by_label("Fixed").check()
    page.get_by_label("Resolution note").fill("Replaced the power supply")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("Ticket resolved.")).to_be_visible()
    axe(page)
    sign_out(page)

    sign_in(page, live_server.url, integrator_agent, axe, path)
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_text("Ticket closed.")).to_be_visible()
    axe(page)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    sign_out(page)

    sign_in(page, live_server.url, supplier_b_agent, axe, "/staff/")
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 404
    assert not page.js_errors


def tab_to(page: Any, pattern: str, limit: int = 200) -> None:
    """Press Tab until the focused element's accessible text matches `pattern`."""
    wanted = re.compile(pattern)
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate(
            "() => { const e = document.activeElement;"
            " return (e.labels && e.labels[0] ? e.labels[0].innerText : '') + ' '"
            " + (e.innerText || e.value || ''); }"
        )
        if wanted.search(text.strip()):
            return
        seen.append(text.strip())
    pytest.fail(f"Tab never reached {pattern!r}; focus went through {seen}")


def test_triage_by_keyboard_alone(live_server, page, axe, world, integrator_agent):
    ticket = resident_report(world)
    path = f"/staff/tickets/{ticket.reference}"
    page.goto(f"{live_server.url}/staff/sign-in?next={path}")
    tab_to(page, "^Username$")
    page.keyboard.type(integrator_agent.username)
    tab_to(page, "^Password$")
    page.keyboard.type(PASSWORD)
    tab_to(page, "^Sign in$")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))

    tab_to(page, "^Assign$")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="Assign the ticket")).to_be_visible()
    axe(page)
    tab_to(page, r"^Holder\b")
    page.keyboard.type("Streetwise")
    tab_to(page, "^Reason$")
    page.keyboard.type("Their contract covers it")
    tab_to(page, "^Assign$")
    page.keyboard.press("Space")
    expect(page.get_by_text("holder and person are saved")).to_be_visible()

    tab_to(page, "^Note$")
    page.keyboard.type("Triaged by phone")
    tab_to(page, "^Add note$")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Internal note added.")).to_be_visible()
    axe(page)
    changed = Ticket.objects.get(pk=ticket.pk)
    assert changed.holder_supplier_id == world.sla.a.pk
    assert changed.events.filter(new__body="Triaged by phone").exists()


def test_logging_a_phone_call(live_server, page, axe, world, integrator_agent):
    sign_in(page, live_server.url, integrator_agent, axe, "/staff/tickets/new")
    axe(page)
    page.get_by_label("Search for a service").fill("pothole")
    page.get_by_role("button", name="Find services").click()
    page.get_by_role("link", name="Potholes").click()
    axe(page)
    page.get_by_role("group", name="How did they contact us?").get_by_label("Phone").check()
    page.get_by_label("Title").fill("Pothole on Mill Lane")
    page.get_by_label("5cm or more").check()
    page.get_by_label("Address or place").fill("Mill Lane")
    page.get_by_label("Caller's phone number").fill("0117 496 0123")
    page.get_by_role("button", name="Log the ticket").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pothole on Mill Lane")
    expect(page.get_by_text("5cm or more")).to_be_visible()
    axe(page)
