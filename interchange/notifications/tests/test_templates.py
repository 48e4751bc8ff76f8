"""Every kind of message has a one-line subject, plain text and HTML; the staff messages'
values are escaped in the HTML and left as they are in the text (residents' messages:
test_residents)."""

from __future__ import annotations

import pytest
from django.template.loader import get_template

from interchange.notifications.models import Notification
from interchange.notifications.services import render_message

TICKET = {
    "reference": "INC-000042",
    "title": "Street light out",
    "ticket_type": "Incident",
    "priority": "P1 – critical",
    "service": "Street lights",
    "area": "Ward harbour",
    "address": "1 Quay Street",
    "link": "https://interchange.example.gov.uk/staff/tickets/INC-000042",
}
CONTEXTS = {
    Notification.Kind.SUPPLIER_ASSIGNED: {**TICKET, "supplier": "Streetwise Roads Ltd"},
    Notification.Kind.SLA_WARNING: {
        **TICKET,
        "clock": "Resolution, the holder’s own target",
        "holder": "Streetwise Roads Ltd",
        "deadline": "Monday 2 March 2026, 17:00 GMT",
        "reason": "75% used",
    },
    Notification.Kind.SLA_BREACH: {
        **TICKET,
        "clock": "Response, end to end (the council’s promise)",
        "holder": "the integrator’s desk",
        "deadline": "",
        "reason": "",
    },
}
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@pytest.mark.parametrize("kind", list(Notification.Kind))
def test_every_kind_has_its_three_templates(kind):
    # Staff messages are rendered below; residents' in test_residents.
    for name in ("subject.txt", "body.txt", "body.html"):
        assert get_template(f"notifications/{kind}/{name}")


@pytest.mark.parametrize("kind", list(CONTEXTS))
def test_every_kind_renders_a_subject_plain_text_and_html(kind):
    message = render_message(kind, CONTEXTS[kind])

    assert "\n" not in message.subject
    assert "INC-000042" in message.subject
    assert "Street light out" in message.subject
    assert message.text.strip() and message.html.strip()
    assert "<" not in message.text
    assert message.html.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="en-gb">' in message.html
    for text in (message.text, message.html):
        assert "Street lights" in text
        assert "P1 – critical" in text
        assert TICKET["link"] in text
        assert "sent automatically by Interchange for Harbourside City Council" in text
    # The HTML stands alone: no scripts, no outside style sheets or images.
    assert "<script" not in message.html
    assert "<link" not in message.html
    assert "<img" not in message.html


@pytest.mark.parametrize("kind", list(CONTEXTS))
def test_a_title_with_html_in_it_is_escaped_in_html_and_verbatim_in_text(kind):
    message = render_message(kind, {**CONTEXTS[kind], "title": HOSTILE})

    assert HOSTILE in message.subject
    assert HOSTILE in message.text
    assert HOSTILE not in message.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in (
        message.html
    )


def test_a_reason_with_html_in_it_is_escaped_and_keeps_its_lines():
    context = {**CONTEXTS[Notification.Kind.SLA_BREACH], "reason": "<i>late</i>\nsecond line"}
    message = render_message(Notification.Kind.SLA_BREACH, context)

    assert "&lt;i&gt;late&lt;/i&gt;<br>second line" in message.html
    assert "<i>late</i>\nsecond line" in message.text


def test_empty_optional_values_leave_no_empty_rows():
    message = render_message(Notification.Kind.SLA_BREACH, CONTEXTS[Notification.Kind.SLA_BREACH])

    assert "Deadline" not in message.text
    assert "Reason" not in message.text
    assert "Deadline" not in message.html


def test_only_the_parts_asked_for_are_rendered():
    message = render_message(
        Notification.Kind.SUPPLIER_ASSIGNED,
        CONTEXTS[Notification.Kind.SUPPLIER_ASSIGNED],
        parts=("subject",),
    )
    assert message.subject and message.text == message.html == ""
