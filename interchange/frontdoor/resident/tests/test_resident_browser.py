"""The residents' web service in a real browser: reporting a pothole with the map and without
it (once with the keyboard alone, once without JavaScript), the duplicate suggestion,
tracking, a status change by staff, replying while waiting, reopening and rating. Every page
is checked with axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from interchange.accounts.models import Role
from interchange.catalogue.models import Service
from interchange.frontdoor.resident.tests.conftest import (
    build_world,
    north_of_here,
    open_report,
    photo_bytes,
)
from interchange.servicedesk.models import Follower, Status, Ticket
from interchange.servicedesk.services import (
    ticket_close,
    ticket_resolve,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import WaitingOn
from interchange.suppliers.models import Supplier
from interchange.testing.people import make_person, make_supplier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agent():
    supplier = make_supplier(
        "streetwise", "Streetwise Roads Ltd", "Streetwise Roads", Supplier.Tower.HIGHWAYS
    )
    build_world(supplier)
    return make_person("sam", Role.SUPPLIER_AGENT, supplier=supplier)


def continue_(page: Any, axe: Any, name: str = "Continue") -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()
    axe(page)


def start(page: Any, base: str, axe: Any) -> None:
    page.goto(base + "/")
    axe(page)
    page.get_by_role("button", name="Start now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What is the problem?")
    axe(page)


def choose_pothole(page: Any, axe: Any) -> None:
    page.get_by_label("Search for a type of problem").fill("hole")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_label("Street light not working")).to_have_count(0)
    axe(page)
    page.get_by_label("Pothole").check()
    continue_(page, axe)


def answer_questions(page: Any, axe: Any) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us about the problem")
    page.get_by_label("Describe the problem").fill("A deep hole by the kerb")
    page.get_by_label("How deep is it, in centimetres?").fill("15")
    continue_(page, axe)


def send_and_read_confirmation(page: Any, axe: Any) -> tuple[str, str]:
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your report"
    )
    continue_(page, axe, "Send report")
    expect(page.locator(".govuk-panel__title")).to_have_text("Report sent")
    reference = page.locator(".govuk-panel__body strong").inner_text()
    link = page.locator(".app-private-link a").get_attribute("href")
    assert re.fullmatch(r"INC-\d{6}", reference) and link
    return reference, link


def test_a_pothole_reported_on_the_map_after_seeing_a_duplicate(live_server, page, axe, agent):
    potholes = Service.objects.get(code="potholes")
    existing = open_report(potholes, point=north_of_here(15)).ticket
    start(page, live_server.url, axe)
    choose_pothole(page, axe)

    expect(page.get_by_role("heading", level=1)).to_have_text("Where is the problem?")
    picker = page.locator(".app-location-picker__map")
    expect(picker).to_be_visible()
    picker.click()  # the map opens on Corn Street; a click puts the pin there
    expect(page.locator(".app-location-picker__status")).to_contain_text("Pin placed at latitude")
    axe(page)
    continue_(page, axe)

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Has your problem already been reported?"
    )
    expect(page.locator("main")).to_contain_text(existing.reference)
    page.get_by_label("No, my problem is not one of these").check()
    continue_(page, axe)

    answer_questions(page, axe)
    page.set_input_files(
        "#id_photo", files=[{"name": "hole.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}]
    )
    continue_(page, axe, "Upload photo and add another")
    expect(page.get_by_role("img", name="Photo 1 you added")).to_be_visible()
    continue_(page, axe)

    page.get_by_label("Full name (optional)").fill("Rita Patel")
    page.get_by_label("By email").check()
    page.get_by_label("Email address").fill("rita@example.org")
    continue_(page, axe)
    expect(page.locator("main")).to_contain_text("Yes, at latitude 51.45")
    reference, _link = send_and_read_confirmation(page, axe)

    ticket = Ticket.objects.exclude(pk=existing.pk).get()
    assert ticket.reference == reference and ticket.latitude is not None
    assert ticket.attachments.count() == 1
    assert page.js_errors == []


def test_following_the_duplicate_instead_of_reporting(live_server, page, axe, agent):
    potholes = Service.objects.get(code="potholes")
    existing = open_report(potholes, point=north_of_here(5)).ticket
    start(page, live_server.url, axe)
    choose_pothole(page, axe)
    page.locator(".app-location-picker__map").click()
    continue_(page, axe)
    page.get_by_label(re.compile(re.escape(existing.reference))).check()
    continue_(page, axe)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Follow report {existing.reference}")
    page.get_by_label("Email address").fill("sam@example.org")
    continue_(page, axe, "Follow report")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "You are now following this report"
    )
    assert Follower.objects.get().ticket_id == existing.pk
    assert Ticket.objects.count() == 1


def test_a_pothole_reported_without_the_map_is_tracked_through_its_life(
    live_server, page, axe, agent
):
    start(page, live_server.url, axe)
    choose_pothole(page, axe)
    page.get_by_label("Address or postcode").fill("12 Corn Street, BS1 1JQ")
    page.get_by_label("Describe exactly where it is").fill("Outside the bank")
    continue_(page, axe)
    answer_questions(page, axe)
    continue_(page, axe)  # no photos
    page.get_by_label("Do not contact me").check()
    continue_(page, axe)
    reference, link = send_and_read_confirmation(page, axe)
    ticket = Ticket.objects.get()
    assert (
        ticket.latitude is None and ticket.address == "12 Corn Street, BS1 1JQ – Outside the bank"
    )

    # Anyone can track it by reference.
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="track a report").click()
    axe(page)
    page.get_by_label("Reference number").fill(reference.lower())
    continue_(page, axe, "Find report")
    expect(page.locator("main .govuk-tag")).to_have_text("With the team responsible")

    # Staff start work: the reporter sees it through the private link.
    ticket_start(ticket=ticket, actor=agent)
    page.goto(link)
    axe(page)
    expect(page.locator("main .govuk-tag")).to_have_text("In progress")
    expect(page.locator(".app-updates")).to_contain_text("Work started")

    # Staff ask a question: the reporter replies and work resumes.
    ticket_wait(
        ticket=Ticket.objects.get(), actor=agent, on=WaitingOn.RESIDENT, reason="Which lane?"
    )
    page.reload()
    axe(page)
    banner = page.get_by_role("region", name="Important")
    expect(banner).to_contain_text("Which lane?")
    banner.get_by_role("link", name="Reply to the team").click()
    axe(page)
    page.get_by_label("Your reply").fill("The left lane, going north")
    continue_(page, axe, "Send reply")
    expect(page.locator("main .govuk-tag")).to_have_text("In progress")
    expect(page.locator(".app-updates")).to_contain_text("The left lane, going north")
    assert Ticket.objects.get().status == Status.IN_PROGRESS

    # Resolved, but not fixed: the reporter reopens it with a photo.
    ticket_resolve(ticket=Ticket.objects.get(), actor=agent, resolution_code="fixed")
    page.reload()
    axe(page)
    expect(page.locator("main .govuk-tag")).to_have_text("Resolved")
    page.get_by_role("button", name="Tell us it is not fixed").click()
    axe(page)
    page.get_by_label("Tell us what is still wrong").fill("It has opened up again")
    page.set_input_files(
        "#id_photo",
        files=[{"name": "again.png", "mimeType": "image/png", "buffer": photo_bytes("PNG")}],
    )
    continue_(page, axe, "Reopen report")
    expect(page.locator("main .govuk-tag")).to_have_text("In progress")
    expect(page.get_by_role("img", name=re.compile("Photo 1"))).to_be_visible()

    # Closed at last: the reporter says how we did, once.
    ticket = ticket_resolve(ticket=Ticket.objects.get(), actor=agent, resolution_code="fixed")
    ticket_close(ticket=ticket, actor=agent)
    page.reload()
    axe(page)
    page.get_by_role("button", name="Give feedback").click()
    axe(page)
    continue_(page, axe, "Send feedback")  # nothing chosen: an error, focus on the summary
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    page.get_by_label("Satisfied", exact=True).check()
    continue_(page, axe, "Send feedback")
    expect(page.locator("main")).to_contain_text("Thank you for your feedback")
    expect(page.get_by_role("button", name="Give feedback")).to_have_count(0)
    assert page.js_errors == []


def tab_to(page: Any, locator: Any, limit: int = 80) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")


def test_the_no_map_report_can_be_made_with_the_keyboard_alone(live_server, page, axe, agent):
    page.goto(live_server.url + "/")
    axe(page)
    tab_to(page, page.get_by_role("button", name="Start now"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/report/")
    axe(page)

    tab_to(page, page.get_by_label("Pothole"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/report/where")
    axe(page)

    tab_to(page, page.get_by_label("Address or postcode"))
    page.keyboard.type("12 Corn Street")
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/report/details")
    axe(page)

    tab_to(page, page.get_by_label("Describe the problem"))
    page.keyboard.type("A deep hole")
    tab_to(page, page.get_by_label("How deep is it, in centimetres?"))
    page.keyboard.type("10")
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/report/photos")
    axe(page)

    tab_to(page, page.get_by_role("button", name="Continue", exact=True))
    page.keyboard.press("Enter")
    page.wait_for_url("**/report/contact")
    axe(page)

    tab_to(page, page.get_by_label("By email"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type("rita@example.org")
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/report/check")
    axe(page)

    tab_to(page, page.get_by_role("button", name="Send report"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/report/sent")
    axe(page)
    expect(page.locator(".govuk-panel__title")).to_have_text("Report sent")
    assert Ticket.objects.get().reporter_email == "rita@example.org"


def test_the_report_works_without_javascript(live_server, browser, agent):
    # axe-core is itself a script, so it cannot run here; the same pages are checked with it
    # in the tests above, where the only difference is the map, which is hidden here.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/report/")
        page.get_by_label("Search for a type of problem").fill("lamp")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("link", name="Show every type of problem").click()
        page.get_by_label("Pothole").check()
        page.get_by_role("button", name="Continue").click()
        expect(page.locator(".app-location-picker")).to_be_hidden()
        page.get_by_role("button", name="Continue").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Enter the address or postcode"
        )
        page.get_by_label("Address or postcode").fill("BS1 1JQ")
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Describe the problem").fill("Hole")
        page.get_by_label("How deep is it, in centimetres?").fill("5")
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Continue", exact=True).click()
        # Without JavaScript the email field is shown all along.
        page.get_by_label("By email").check()
        page.get_by_label("Email address").fill("rita@example.org")
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Send report").click()
        expect(page.locator(".govuk-panel__title")).to_have_text("Report sent")
    finally:
        context.close()
    assert Ticket.objects.get().address == "BS1 1JQ"
