"""The deadline calculator in a real browser, with and without JavaScript."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from interchange.accounts.models import Role
from interchange.core import demo as core_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "calendar-pass-2026"


@pytest.fixture
def lead(db):
    core_demo.load()
    return get_user_model().objects.create_user(
        "lead", role=Role.INTEGRATOR_LEAD, password=PASSWORD
    )


def sign_in(page, base_url):
    page.goto(base_url + "/staff/sign-in")
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/staff/")


def fill_calculator(page):
    page.get_by_label("Start date").fill("24/12/2026")
    page.get_by_label("Start time").fill("17:00")
    page.get_by_label("Business hours").fill("3")


def test_the_calculator_answers_in_place_and_the_address_can_be_shared(
    live_server, page, axe, lead
):
    sign_in(page, live_server.url)
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Business calendars"
    ).click()
    axe(page)
    page.get_by_role("link", name="Council office hours (England and Wales)").click()
    fill_calculator(page)
    page.get_by_role("button", name="Work out the deadline").click()
    # Christmas Eve 17:00 + 3 hours: 1 hour on the 24th; Christmas, the substitute Boxing
    # Day (28th), the demo closure (29th-31st) and New Year's Day off; 2 hours on 4 January.
    expect(page.locator("#deadline-result .govuk-panel__title")).to_have_text(
        "Monday 4 January 2027, 10:00"
    )
    assert "hours=3" in page.url
    axe(page)
    assert page.js_errors == []


def test_the_calculator_works_without_javascript(live_server, browser, lead):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server.url)
        page.goto(live_server.url + "/staff/calendars/office-hours/")
        fill_calculator(page)
        page.get_by_role("button", name="Work out the deadline").click()
        expect(page.locator(".govuk-panel__title")).to_have_text("Monday 4 January 2027, 10:00")
    finally:
        context.close()
