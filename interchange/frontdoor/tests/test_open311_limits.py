"""Rate limits: each key at its own limit, keyless traffic per client address, 429 with
Retry-After in the caller's format, and nothing created by a refused request."""

from __future__ import annotations

import pytest

from interchange.accounts.models import ApiKey
from interchange.frontdoor.tests import open311_shapes as shapes
from interchange.frontdoor.tests.open311_world import build_world, media_in, report
from interchange.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(administrator, supplier_a, settings, tmp_path):
    media_in(settings, tmp_path)
    return build_world(administrator, supplier_a)


def test_a_key_over_its_own_limit_gets_429_with_retry_after_and_creates_nothing(client, world):
    ApiKey.objects.filter(pk=world.key.pk).update(rate_limit_per_minute=2)
    for n in range(2):
        body = report(world, description=f"Pothole {n}")
        assert client.post("/open311/v2/requests.xml", body).status_code == 201
    refused = client.post("/open311/v2/requests.xml", report(world, description="Third"))
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    ((code, text),) = shapes.errors_xml(refused.content)
    assert code == "429" and "Too many requests" in text
    assert Ticket.objects.count() == 2
    as_json = client.get("/open311/v2/requests.json", {"api_key": world.secret})
    assert as_json.status_code == 429
    assert shapes.errors_json(as_json.json())[0][0] == 429


def test_one_keys_traffic_does_not_use_up_anothers(client, world, administrator):
    from interchange.accounts.services import api_key_create

    ApiKey.objects.filter(pk=world.key.pk).update(rate_limit_per_minute=1)
    _, other = api_key_create(
        actor=administrator, name="Other app", kind=ApiKey.Kind.OPEN311_CLIENT
    )
    assert client.get("/open311/v2/services.xml", {"api_key": world.secret}).status_code == 200
    assert client.get("/open311/v2/services.xml", {"api_key": world.secret}).status_code == 429
    assert client.get("/open311/v2/services.xml", {"api_key": other}).status_code == 200


def test_keyless_traffic_is_limited_per_client_address(client, world, settings):
    settings.OPEN311_ANONYMOUS_RATE_PER_MINUTE = 2
    here = {"REMOTE_ADDR": "192.0.2.10"}
    for _ in range(2):
        assert client.get("/open311/v2/requests.json", **here).status_code == 200
    refused = client.get("/open311/v2/requests.json", **here)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert client.get("/open311/v2/discovery.xml", **here).status_code == 429
    assert client.get("/open311/v2/requests.json", REMOTE_ADDR="192.0.2.11").status_code == 200
    # A client with its key is counted against the key, not the address.
    assert (
        client.get("/open311/v2/requests.json", {"api_key": world.secret}, **here).status_code
        == 200
    )


def test_guessing_keys_counts_against_the_address(client, world, settings):
    settings.OPEN311_ANONYMOUS_RATE_PER_MINUTE = 2
    here = {"REMOTE_ADDR": "192.0.2.20"}
    for _ in range(2):
        response = client.post("/open311/v2/requests.xml", report(world, api_key="guess"), **here)
        assert response.status_code == 403
    response = client.post("/open311/v2/requests.xml", report(world, api_key="guess"), **here)
    assert response.status_code == 429
