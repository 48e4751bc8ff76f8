"""What residents read: every status in plain words, and answers as the question put them."""

from __future__ import annotations

import pytest

from interchange.catalogue.models import Question, QuestionChoice
from interchange.frontdoor.resident.wording import answer_rows, plain_status
from interchange.servicedesk.models import Status, Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_plain_words(status):
    ticket = Ticket(status=status)
    public, own = plain_status(ticket, own=False), plain_status(ticket, own=True)
    assert public["text"] and public["explanation"]
    if status == Status.WAITING_RESIDENT:
        assert "from you" in own["explanation"] and "from you" not in public["explanation"]


def test_answers_read_as_the_questions_put_them(potholes):
    hazards = Question.objects.create(
        service=potholes, code="who", label="Who is at risk?", datatype="multivaluelist", order=3
    )
    QuestionChoice.objects.create(question=hazards, key="cyclists", name="Cyclists", order=1)
    QuestionChoice.objects.create(question=hazards, key="walkers", name="People walking", order=2)
    Question.objects.create(
        service=potholes, code="seen", label="When did you see it?", datatype="datetime", order=4
    )
    answers = {
        "depth": 12,
        "lane": "pavement",
        "who": ["cyclists", "walkers"],
        "seen": "2026-07-01T13:30:00+00:00",
    }
    assert answer_rows(potholes, answers) == [
        ("How deep is it, in centimetres?", "12"),
        ("Where in the road is it?", "On the pavement"),
        ("Who is at risk?", "Cyclists, People walking"),
        # Shown in the council's time zone (British Summer Time in July).
        ("When did you see it?", "1 July 2026, 14:30"),
    ]
