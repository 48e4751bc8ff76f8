"""Sign-in pages in a real browser: the locked-out page and changing a password, accessible."""

import pytest
from django.conf import settings
from django.core.cache import cache
from playwright.sync_api import expect

from interchange.testing.people import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fresh_cache():
    # The lockout lives in the shared cache, which a transactional test does not roll back.
    cache.clear()
    yield
    cache.clear()


def test_repeated_failures_show_the_locked_out_page(
    live_server, page, axe, fresh_cache, integrator_agent
):
    page.goto(live_server.url + "/staff/sign-in")
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        page.get_by_label("Username").fill(integrator_agent.username)
        page.get_by_label("Password").fill(f"wrong guess {attempt}")
        with page.expect_response(
            lambda r: r.url.endswith("/staff/sign-in") and r.request.method == "POST"
        ) as answer:
            page.get_by_role("button", name="Sign in").click()
        if attempt < settings.AXES_FAILURE_LIMIT:
            assert answer.value.status == 200
            expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    assert answer.value.status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot sign in at the moment")
    expect(page.locator("main")).to_contain_text("Wait 15 minutes, then try again.")
    assert page.title().startswith("You cannot sign in at the moment")
    axe(page)
    assert page.js_errors == []


def test_changing_a_password_in_the_browser_is_accessible(
    live_server, page, axe, fresh_cache, supplier_a_agent
):
    page.goto(live_server.url + "/staff/sign-in?next=/staff/account/")
    page.get_by_label("Username").fill(supplier_a_agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/staff/account/")
    axe(page)
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Confirm new password").fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("This password is too short")
    axe(page)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("violet-harbour-lantern-42")
    page.get_by_label("Confirm new password").fill("violet-harbour-lantern-42")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")
    axe(page)
    assert page.js_errors == []
