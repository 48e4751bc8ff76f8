"""In a real browser: a resident follows the unsubscribe link from an email they were sent,
confirms, and hears no more; the private link from the same email opens their report. Every
page is checked with axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from interchange.notifications.models import Notification, ReporterOptOut
from interchange.notifications.services import render_message
from interchange.servicedesk.actors import Resident, System
from interchange.servicedesk.models import Follower
from interchange.servicedesk.services import follower_add, ticket_add_note, ticket_start
from interchange.servicedesk.tests.factories import make_provision, make_service, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _link(body: str, part: str) -> str:
    [link] = [link for link in re.findall(r"https?://\S+", body) if part in link]
    return link


@pytest.fixture
def report(live_server, settings, supplier_a):
    settings.SITE_URL = live_server.url
    roads = make_service("roads", name="Pothole", open311_exposed=True)
    make_provision(service=roads, supplier=supplier_a)
    return make_ticket(
        service=roads,
        title="Pothole: Corn Street",
        reporter_email="rita@example.org",
        at=timezone.now() - timedelta(hours=1),
    )


def test_a_reporter_unsubscribes_from_the_link_in_their_email(report, page, axe, deliver):
    deliver()
    [received] = mail.outbox
    body = str(received.body)

    page.goto(_link(body, "/my-report/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pothole: Corn Street")
    expect(page.locator("main")).to_contain_text("rita@example.org")  # their own view
    axe(page)

    page.goto(_link(body, "/unsubscribe/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop emails about this report")
    expect(page.locator("main")).to_contain_text(report.reference)
    axe(page)
    assert not ReporterOptOut.objects.exists()

    page.get_by_role("button", name="Stop emails").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Emails stopped")
    axe(page)
    page.get_by_role("link", name="see the report and its progress").click()
    expect(page.locator("main")).to_contain_text(report.reference)
    expect(page.locator("main")).not_to_contain_text("rita@example.org")  # the public view

    mail.outbox.clear()
    ticket_start(ticket=report, actor=System())
    ticket_add_note(ticket=report, actor=System(), body="Filling it on Tuesday", public=True)
    deliver()
    assert mail.outbox == []
    assert page.js_errors == []


def test_a_follower_unsubscribes_with_the_link_from_the_record_of_what_was_sent(
    report, page, axe, deliver
):
    follower_add(ticket=report, actor=Resident(), email="fred@example.net")
    ticket_start(ticket=report, actor=System())
    deliver()
    # The record renders the very links the email carried (they are never stored).
    recorded = Notification.objects.get(recipient="fred@example.net")
    link = render_message(recorded.kind, recorded.context).unsubscribe_link
    [sent] = [m for m in mail.outbox if m.to == ["fred@example.net"]]
    assert link in str(sent.body)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop emails about this report")
    expect(page.locator("main")).to_contain_text("stop following report")
    axe(page)
    page.get_by_role("button", name="Stop emails").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Emails stopped")
    axe(page)

    assert Follower.objects.get(email="fred@example.net").unsubscribed_at is not None
    mail.outbox.clear()
    ticket_add_note(ticket=report, actor=System(), body="Filling it on Tuesday", public=True)
    deliver()
    assert [m.to for m in mail.outbox] == [["rita@example.org"]]
