"""A report is checked against the service as it is now: one query reads the service with its
questions and their choices on every post, so an administrator's change applies to the very
next report, and a withdrawn service takes none."""

from __future__ import annotations

import pytest

from interchange.catalogue.models import Question, QuestionChoice
from interchange.frontdoor.models import Open311Request
from interchange.frontdoor.tests.open311_world import World, build_world, media_in, report
from interchange.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests.json"


@pytest.fixture
def world(administrator, supplier_a, settings, tmp_path) -> World:
    media_in(settings, tmp_path)
    return build_world(administrator, supplier_a)


def test_a_new_required_question_applies_to_the_next_report(client, world):
    assert client.post(URL, report(world, account_id="before")).status_code == 201
    Question.objects.create(
        service=world.pothole, code="lane", label="Which lane?", datatype="string", required=True
    )

    refused = client.post(URL, report(world, account_id="after"))

    assert refused.status_code == 400, refused.content
    assert "attribute[lane]" in refused.content.decode()
    answered = client.post(URL, report(world, account_id="answered", **{"attribute[lane]": "Left"}))
    assert answered.status_code == 201, answered.content
    opened = Open311Request.objects.get(account_id="answered").ticket
    assert opened.answers["lane"] == "Left"


def test_a_new_choice_is_accepted_and_a_removed_one_refused_at_once(client, world):
    depth = Question.objects.get(service=world.pothole, code="depth")
    QuestionChoice.objects.create(question=depth, key="crater", name="A crater", order=3)
    assert client.post(URL, report(world, **{"attribute[depth]": "crater"})).status_code == 201

    QuestionChoice.objects.filter(question=depth, key="crater").delete()
    refused = client.post(URL, report(world, account_id="x", **{"attribute[depth]": "crater"}))
    assert refused.status_code == 400, refused.content
    assert "attribute[depth]" in refused.content.decode()


@pytest.mark.parametrize("change", [{"active": False}, {"open311_exposed": False}])
def test_a_withdrawn_service_takes_no_more_reports(client, world, change):
    assert client.post(URL, report(world, account_id="before")).status_code == 201
    type(world.pothole).objects.filter(pk=world.pothole.pk).update(**change)

    refused = client.post(URL, report(world, account_id="after"))

    assert refused.status_code == 400, refused.content
    assert "service_code" in refused.content.decode()
    assert Ticket.objects.count() == 1


def test_a_service_without_questions_takes_reports_without_attributes(client, world):
    body = report(world, service_code="graffiti", **{"attribute[depth]": None})
    body.pop("attribute[hazards][]")
    answer = client.post(URL, body)
    assert answer.status_code == 201, answer.content
    ticket = Open311Request.objects.get(account_id="acct-42").ticket
    assert ticket.service == world.graffiti
    assert ticket.answers == {}
