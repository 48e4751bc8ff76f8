"""The self-service pages in a real browser: a supplier's administrator adds an endpoint, sees
its secret once, sends a test event and finds it delivered in the log; then rotates the
secret, creates a system key and filters the log. Every page is checked with axe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from interchange.exchange import delivery
from interchange.exchange.models import Delivery, Endpoint
from interchange.exchange.tests.outbound_helpers import local_targets  # noqa: F401 (fixture)
from interchange.exchange.tests.receiver import Receiver
from interchange.testing.people import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_an_endpoint_tests_it_and_reads_the_log(
    live_server: Any,
    page: Any,
    axe: Any,
    local_targets: Any,  # noqa: F811
    supplier_a_admin: Any,
) -> None:
    base = live_server.url
    page.goto(f"{base}/staff/sign-in?next=/staff/exchange/")
    axe(page)
    page.get_by_label("Username").fill(supplier_a_admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/exchange/streetwise/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Supplier systems")
    axe(page)

    with Receiver() as receiver:
        page.get_by_role("link", name="Add an endpoint").click()
        axe(page)
        page.get_by_role("button", name="Add endpoint").click()  # nothing filled in
        expect(page.get_by_text("There is a problem")).to_be_visible()
        axe(page)
        page.get_by_label("Web address (URL)").fill(receiver.url)
        page.get_by_label("Description (optional)").fill("Works system")
        page.get_by_label("A ticket is assigned to the supplier").check()
        page.get_by_role("button", name="Add endpoint").click()

        expect(page.get_by_role("heading", name="Endpoint added")).to_be_visible()
        secret = page.get_by_label("Signing secret").input_value()
        assert secret.startswith("whsec_")
        expect(page.get_by_text("This is the only time it is shown", exact=False)).to_be_visible()
        axe(page)
        receiver.secrets = [secret]

        page.get_by_role("link", name="I have copied it: continue").click()
        endpoint = Endpoint.objects.get()
        expect(page).to_have_url(re.compile(rf"/endpoints/{endpoint.pk}/$"))
        assert secret not in page.content()
        axe(page)

        page.get_by_role("button", name="Send a test event").click()
        expect(page.get_by_text("A test event was queued")).to_be_visible()
        expect(page.get_by_text("Pending", exact=True)).to_be_visible()
        axe(page)
        # The worker's part, done here: send what is due.
        delivery.deliver_due(budget=None)
        assert Delivery.objects.get().status == Delivery.Status.DELIVERED
        assert len(receiver.requests) == 1 and receiver.requests[0].verified_by == [0]

        page.get_by_role("link", name="Delivery log").first.click()
        row = page.get_by_role("row").filter(has_text="Test event")
        expect(row).to_contain_text("Delivered")
        expect(row).to_contain_text("HTTP 204")
        axe(page)
        page.get_by_label("Status").select_option("dead")
        page.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_text("No deliveries match.")).to_be_visible()
        axe(page)
        page.get_by_role("link", name="Clear filters").click()
        page.get_by_role("link", name=re.compile("^Test event")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Test event")
        expect(page.get_by_role("heading", name="Headers sent")).to_be_visible()
        assert secret not in page.content()
        axe(page)

    page.goto(f"{base}/staff/exchange/streetwise/endpoints/{endpoint.pk}/")
    page.get_by_role("link", name="Rotate the secret").click()
    axe(page)
    page.get_by_role("button", name="Rotate the secret").click()
    rotated = page.get_by_label("Signing secret").input_value()
    assert rotated.startswith("whsec_") and rotated != secret

    page.goto(f"{base}/staff/exchange/streetwise/keys/new")
    axe(page)
    page.get_by_label("Name of the key").fill("Highways works key")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Key created")).to_be_visible()
    assert page.get_by_label("System key").input_value().startswith("ick_")
    axe(page)
    page.get_by_role("link", name="I have copied it: continue").click()
    expect(page.get_by_role("row").filter(has_text="Highways works key")).to_contain_text("Active")
    page.get_by_role("link", name="Revoke Highways works key").click()
    axe(page)
    page.get_by_role("button", name="Revoke the key").click()
    expect(page.get_by_role("row").filter(has_text="Highways works key")).to_contain_text("Revoked")
    axe(page)
    assert page.js_errors == []
