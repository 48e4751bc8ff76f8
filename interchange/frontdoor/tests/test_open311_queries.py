"""Opening a report through Open311 costs a small, fixed number of queries: a client's
retried post and a new one alike, whatever the council already holds."""

from __future__ import annotations

import pytest

from interchange.frontdoor.models import Open311Request
from interchange.frontdoor.tests.open311_world import build_world, media_in, report
from interchange.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests.json"

# The key and its rate count; then in one transaction (begin, commit): the retry check (one
# insert that does nothing for a repeat), the service with its questions and their choices
# (one query), the area by point (boundaries already parsed in this process), the routing
# provision, the ticket (its private link's hash included), its holding, its opening event,
# its search document, the client's details, and the response kept for retries.
CREATE_QUERIES = 14


@pytest.fixture
def world(administrator, supplier_a, settings, tmp_path):
    media_in(settings, tmp_path)
    return build_world(administrator, supplier_a)


def test_a_new_report_opens_its_ticket_in_a_fixed_number_of_queries(
    client, world, django_assert_num_queries
):
    first = client.post(URL, report(world, account_id="first"))
    assert first.status_code == 201, first.content

    with django_assert_num_queries(CREATE_QUERIES):
        second = client.post(URL, report(world, account_id="second"))

    assert second.status_code == 201, second.content
    reference = second.json()[0]["service_request_id"]
    ticket = Ticket.objects.get(pk=Open311Request.objects.get(account_id="second").ticket_id)
    assert ticket.reference == reference
    assert ticket.holder_supplier is not None
    assert ticket.private_token_hash and ticket.private_token_seed


def test_a_retried_report_gets_the_first_answer_and_opens_nothing_more(
    client, world, django_assert_num_queries
):
    body = report(world, account_id="retried")
    first = client.post(URL, body)
    assert first.status_code == 201, first.content

    # The key, its rate count, then the retry check finds the kept answer.
    with django_assert_num_queries(6):
        again = client.post(URL, body)

    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Open311Request.objects.filter(account_id="retried").count() == 1
