"""Discovery, the service list and service definitions, in XML and JSON."""

from datetime import timedelta

import pytest

from interchange.catalogue.models import Question, QuestionChoice, Service, ServiceGroup
from interchange.frontdoor.tests import open311_shapes as shapes

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    roads = ServiceGroup.objects.create(code="roads", name="Roads and pavements", order=1)
    street = ServiceGroup.objects.create(code="street", name="Street scene", order=2)
    pothole = Service.objects.create(
        code="pothole",
        name="Pothole",
        description="A hole in a road or pavement",
        kind=Service.Kind.RESIDENT,
        open311_exposed=True,
        keywords=["road", "hole"],
    )
    pothole.groups.add(roads, street)
    depth = Question.objects.create(
        service=pothole,
        code="depth",
        label="How deep is it?",
        datatype="singlevaluelist",
        required=True,
        order=1,
    )
    QuestionChoice.objects.create(question=depth, key="shallow", name="Less than 5cm", order=1)
    QuestionChoice.objects.create(question=depth, key="deep", name="5cm or more", order=2)
    Question.objects.create(
        service=pothole, code="notes", label="Anything else?", datatype="text", order=2
    )
    Service.objects.create(code="graffiti", name="Graffiti", kind="resident", open311_exposed=True)
    Service.objects.create(code="laptop", name="Laptop fault", kind="ict")  # not offered
    Service.objects.create(
        code="old", name="Retired service", kind="resident", open311_exposed=True, active=False
    )
    return pothole


def test_the_service_list_offers_only_active_open311_services_in_xml(client, catalogue):
    response = client.get("/open311/v2/services.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    found = shapes.services_xml(response.content)
    assert [s["service_code"] for s in found] == ["graffiti", "pothole"]
    pothole = found[1]
    assert pothole["metadata"] == "true"
    assert pothole["group"] == "Roads and pavements"
    assert pothole["groups"] == ["Roads and pavements", "Street scene"]
    assert pothole["keywords"] == "road, hole"
    assert found[0]["metadata"] == "false"


def test_the_service_list_in_json_has_string_codes_and_real_booleans(client, catalogue):
    response = client.get("/open311/v2/services.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    found = shapes.services_json(response.json())
    assert found[1]["service_code"] == "pothole" and found[1]["metadata"] is True


def test_the_service_list_costs_four_queries(client, catalogue, django_assert_num_queries):
    # The rate limit's counter (one upsert), services, their groups, which have questions.
    with django_assert_num_queries(4):
        client.get("/open311/v2/services.xml")


def test_a_service_definition_lists_its_attributes_with_values_for_lists_only(client, catalogue):
    xml = shapes.definition_xml(client.get("/open311/v2/services/pothole.xml").content)
    assert xml["service_code"] == "pothole"
    depth, notes = xml["attributes"]
    assert depth["code"] == "depth" and depth["required"] == "true"
    assert depth["values"] == [("shallow", "Less than 5cm"), ("deep", "5cm or more")]
    assert notes["datatype"] == "text" and "values" not in notes
    data = shapes.definition_json(client.get("/open311/v2/services/pothole.json").json())
    assert [a["code"] for a in data["attributes"]] == ["depth", "notes"]


@pytest.mark.parametrize("code", ["laptop", "old", "nope"])
def test_an_unknown_or_unoffered_service_is_a_404_error_document(client, catalogue, code):
    response = client.get(f"/open311/v2/services/{code}.xml")
    assert response.status_code == 404
    assert shapes.errors_xml(response.content) == [
        ("404", f"There is no service with code {code}.")
    ]
    response = client.get(f"/open311/v2/services/{code}.json")
    assert shapes.errors_json(response.json()) == [(404, f"There is no service with code {code}.")]


def test_discovery_has_bare_content_types_and_iso_changesets(client, catalogue):
    response = client.get("/open311/v2/discovery.xml")
    assert response["Content-Type"] == "text/xml"
    found = shapes.discovery_xml(response.content)
    (endpoint,) = found["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert client.get("/open311/v2/discovery.json")["Content-Type"] == "application/json"


def test_the_changeset_moves_when_the_catalogue_changes(client, catalogue):
    before = client.get("/open311/v2/discovery.json").json()["changeset"]
    Service.objects.filter(code="pothole").update(
        updated_at=catalogue.updated_at + timedelta(hours=1)
    )
    after = client.get("/open311/v2/discovery.json").json()["changeset"]
    assert after > before


def test_a_wrong_jurisdiction_is_refused_and_the_right_one_accepted(client, catalogue):
    response = client.get("/open311/v2/services.xml", {"jurisdiction_id": "elsewhere.gov.uk"})
    assert response.status_code == 400
    assert shapes.errors_xml(response.content)[0][0] == "400"
    ok = client.get("/open311/v2/services.xml", {"jurisdiction_id": "harbourside.gov.uk"})
    assert ok.status_code == 200


def test_only_get_is_allowed_on_the_catalogue(client, catalogue):
    assert client.post("/open311/v2/services.xml").status_code == 405


def test_an_unknown_format_is_not_found(client, catalogue):
    assert client.get("/open311/v2/services.csv").status_code == 404
