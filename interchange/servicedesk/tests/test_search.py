"""Search: an exact reference first, then full text, always inside the caller's scope."""

import pytest

from interchange.catalogue.models import Service
from interchange.servicedesk.search import index_ticket, parse_reference, search_tickets
from interchange.servicedesk.tests.test_visibility import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(supplier_a, supplier_b):
    roads = Service.objects.create(code="potholes", name="Potholes", kind="resident")
    made = {
        "deep": make_ticket(roads, supplier_a, "Deep pothole outside the library"),
        "lamp": make_ticket(roads, supplier_a, "Street lamp flickering on Mill Lane"),
        "other": make_ticket(roads, supplier_b, "Pothole by the school gates"),
    }
    made["lamp"].description = "Residents say the light buzzes at night"
    made["lamp"].save()
    for ticket in made.values():
        index_ticket(ticket)
    return made


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INC-004213", ("incident", 4213)),
        ("inc4213", ("incident", 4213)),
        (" REQ-1048576 ", ("request", 1048576)),
        ("4213", (None, 4213)),
        ("pothole", None),
        ("INC-", None),
    ],
)
def test_references_are_read_the_way_people_type_them(text, expected):
    assert parse_reference(text) == expected


def test_a_reference_finds_exactly_that_ticket(tickets, integrator_agent):
    lamp = tickets["lamp"]
    assert search_tickets(actor=integrator_agent, query=lamp.reference) == [lamp]
    assert search_tickets(
        actor=integrator_agent, query=lamp.reference.lower().replace("-", "")
    ) == [lamp]


def test_full_text_finds_words_in_title_and_description_and_word_starts(tickets, integrator_agent):
    def titles(query):
        return sorted(t.title for t in search_tickets(actor=integrator_agent, query=query))

    assert titles("pothole") == ["Deep pothole outside the library", "Pothole by the school gates"]
    assert titles("buzzes night") == ["Street lamp flickering on Mill Lane"]
    assert titles("flick") == ["Street lamp flickering on Mill Lane"]
    assert titles("pothole lamp") == []


def test_search_never_shows_a_ticket_outside_the_callers_scope(tickets, supplier_a_agent):
    found = search_tickets(actor=supplier_a_agent, query="pothole")
    assert [t.title for t in found] == ["Deep pothole outside the library"]
    assert search_tickets(actor=supplier_a_agent, query=tickets["other"].reference) == []


@pytest.mark.parametrize(
    "query", ['"', "pothole & | !", "NEAR(a b)", "lamp:*", "a AND OR NOT", "*", "'"]
)
def test_search_syntax_in_peoples_text_never_breaks_the_search(tickets, integrator_agent, query):
    search_tickets(actor=integrator_agent, query=query)


def test_results_are_paged(tickets, integrator_agent):
    first = search_tickets(actor=integrator_agent, query="pothole", limit=1)
    second = search_tickets(actor=integrator_agent, query="pothole", limit=1, offset=1)
    assert len(first) == len(second) == 1
    assert first != second
