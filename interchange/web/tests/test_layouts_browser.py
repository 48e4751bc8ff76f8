"""The two layouts in a real browser: accessible, keyboard-usable, loopback only."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from interchange.accounts.models import Role
from interchange.web.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/", "/accessibility", "/privacy", "/cookies", "/staff/sign-in"])
def test_each_public_page_has_no_wcag_22_violations(live_server, page, axe, path):
    page.goto(live_server.url + path)
    assert page.locator("h1").count() == 1
    axe(page)
    assert page.js_errors == []


def test_the_skip_link_is_the_first_thing_a_keyboard_reaches_and_jumps_to_main(live_server, page):
    page.goto(live_server.url + "/accessibility")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main-content"


def test_gov_uk_frontend_javascript_runs_on_the_resident_layout(live_server, page):
    page.goto(live_server.url + "/")
    assert "govuk-frontend-supported" in page.evaluate("document.body.className")
    assert page.evaluate("typeof window.GOVUKFrontend.initAll") == "function"


def test_a_staff_member_signs_in_with_the_keyboard_and_sees_the_staff_layout(
    live_server, page, axe
):
    get_user_model().objects.create_user(
        "lead", role=Role.INTEGRATOR_LEAD, password=DEMO_PASSWORD, first_name="Lee"
    )
    page.goto(live_server.url + "/staff/")
    assert page.url.endswith("/staff/sign-in?next=/staff/")
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill("wrong password")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    # GOV.UK Frontend moves focus to the summary so screen readers announce it.
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    axe(page)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Lee")
    nav = page.get_by_role("navigation", name="Primary navigation")
    assert nav.get_by_role("link", name="Home").get_attribute("aria-current") == "page"
    axe(page)
    assert page.js_errors == []
    assert page.evaluate("typeof window.htmx") == "object"


def test_the_browser_never_leaves_this_machine(live_server, page):
    page.goto(live_server.url + "/")
    # A map tile is the one outside address a page may ask for (CSP img-src allows it).
    page.evaluate("new Image().src = 'https://tile.openstreetmap.org/0/0/0.png'")
    page.wait_for_timeout(300)
    assert page.blocked_requests == ["https://tile.openstreetmap.org/0/0/0.png"]
