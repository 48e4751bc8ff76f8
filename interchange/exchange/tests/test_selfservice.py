"""The supplier self-service pages: endpoints, signing secrets, system keys, test events, the
delivery log and replays, and who may use each page."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from interchange.accounts.models import ApiKey, Role, User
from interchange.accounts.services import api_key_authenticate, api_key_create
from interchange.exchange import services
from interchange.exchange.models import Delivery, Endpoint, EndpointSecret, EventType
from interchange.exchange.selectors import encode_cursor
from interchange.servicedesk.tests.factories import make_provision, make_service, make_ticket
from interchange.suppliers.models import Supplier
from interchange.testing.people import make_person

URL = "https://hooks.streetwise.example/interchange"


@pytest.fixture
def supplier_b_admin(supplier_b: Supplier) -> User:
    return make_person("supplier_b_admin", Role.SUPPLIER_ADMIN, supplier=supplier_b)


@pytest.fixture
def endpoint(supplier_a: Supplier, integrator_lead: User) -> Endpoint:
    return services.endpoint_create(
        actor=integrator_lead,
        supplier=supplier_a,
        url=URL,
        event_types=[EventType.ASSIGNED, EventType.NOTE_ADDED],
        description="Works system",
    ).endpoint


def signed_in(client: Client, person: User) -> Client:
    client.force_login(person)
    return client


def page(client: Client, name: str, *args: Any, **query: Any) -> Any:
    return client.get(reverse(f"exchange:{name}", args=args), query)


def text(response: Any) -> str:
    return str(response.content.decode())


def make_delivery(endpoint: Endpoint, *, status: str, minutes_ago: int = 0, **fields: Any) -> Any:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    fields.setdefault("message_id", f"evt_t{Delivery.objects.count() + 1}")
    return Delivery.objects.create(
        event_type=fields.pop("event_type", EventType.ASSIGNED),
        endpoint=endpoint,
        supplier_id=endpoint.supplier_id,
        occurred_at=at,
        body=json.dumps({"id": fields["message_id"], "type": "ticket.assigned"}),
        status=status,
        created_at=at,
        **fields,
    )


# --- Endpoints and secrets ----------------------------------------------------------------


def test_supplier_admin_goes_straight_to_their_own_supplier(client, supplier_a_admin):
    response = signed_in(client, supplier_a_admin).get(reverse("exchange:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("exchange:supplier", args=["streetwise"])


def test_integrator_staff_choose_between_every_supplier(
    client, integrator_agent, supplier_a, supplier_b
):
    response = signed_in(client, integrator_agent).get(reverse("exchange:index"))
    assert "Streetwise Roads Ltd" in text(response)
    assert "Cleanway Environmental Ltd" in text(response)


def test_supplier_admin_adds_an_endpoint_and_sees_its_secret_once(client, supplier_a_admin):
    signed_in(client, supplier_a_admin)
    response = client.post(
        reverse("exchange:endpoint-create", args=["streetwise"]),
        {"url": URL, "description": "Works", "event_types": ["ticket.assigned", "ticket.closed"]},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    made = Endpoint.objects.get()
    assert made.supplier.code == "streetwise"
    assert made.event_types == ["ticket.assigned", "ticket.closed"]
    shown = response.context["secret"]
    assert shown.startswith("whsec_") and shown in text(response)
    assert "the only time it is shown" in text(response)
    again = page(client, "endpoint", "streetwise", made.pk)
    assert shown not in text(again)
    assert shown.rstrip("=")[-4:] in text(again)  # its hint tells it apart


def test_an_endpoint_without_events_or_with_a_bad_address_is_refused_beside_the_field(
    client, supplier_a_admin
):
    signed_in(client, supplier_a_admin)
    response = client.post(
        reverse("exchange:endpoint-create", args=["streetwise"]), {"url": "http://10.0.0.1/x"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"url", "event_types"}
    assert "There is a problem" in text(response)
    assert not Endpoint.objects.exists()


def test_changing_an_endpoint_keeps_its_secret(client, supplier_a_admin, endpoint):
    before = list(EndpointSecret.objects.values_list("salt", flat=True))
    signed_in(client, supplier_a_admin).post(
        reverse("exchange:endpoint-edit", args=["streetwise", endpoint.pk]),
        {"url": URL + "/v2", "description": "", "event_types": ["ticket.updated"]},
    )
    endpoint.refresh_from_db()
    assert endpoint.url == URL + "/v2"
    assert endpoint.event_types == ["ticket.updated"]
    assert list(EndpointSecret.objects.values_list("salt", flat=True)) == before


def test_turning_an_endpoint_off_needs_a_reason_and_it_can_be_turned_back_on(
    client, supplier_a_admin, endpoint
):
    signed_in(client, supplier_a_admin)
    off = reverse("exchange:endpoint-disable", args=["streetwise", endpoint.pk])
    assert client.post(off, {"reason": ""}).status_code == 400
    client.post(off, {"reason": "Moving servers"})
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason == "Moving servers"
    assert "Moving servers" in text(page(client, "endpoint", "streetwise", endpoint.pk))
    client.post(reverse("exchange:endpoint-enable", args=["streetwise", endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.active


def test_rotating_shows_the_new_secret_once_and_both_sign_for_a_while(
    client, supplier_a_admin, endpoint
):
    signed_in(client, supplier_a_admin)
    rotate = reverse("exchange:secret-rotate", args=["streetwise", endpoint.pk])
    assert "Rotate the signing secret?" in text(client.get(rotate))
    assert EndpointSecret.objects.count() == 1  # asking changes nothing
    response = client.post(rotate)
    assert response.context["secret"].startswith("whsec_")
    assert len(services.active_secrets(endpoint)) == 2


def test_retiring_the_last_active_secret_is_refused_with_a_message(
    client, supplier_a_admin, endpoint
):
    secret = EndpointSecret.objects.get()
    signed_in(client, supplier_a_admin)
    response = client.post(
        reverse("exchange:secret-retire", args=["streetwise", endpoint.pk, secret.pk]), follow=True
    )
    assert "only active secret" in text(response)
    secret.refresh_from_db()
    assert secret.retired_at is None


def test_a_second_secret_can_be_added_and_then_one_retired(client, supplier_a_admin, endpoint):
    signed_in(client, supplier_a_admin)
    response = client.post(reverse("exchange:secret-add", args=["streetwise", endpoint.pk]))
    assert response.context["secret"].startswith("whsec_")
    first = EndpointSecret.objects.order_by("id").first()
    assert first is not None
    client.post(reverse("exchange:secret-retire", args=["streetwise", endpoint.pk, first.pk]))
    first.refresh_from_db()
    assert first.retired_at is not None


# --- Test events, the log and replays -----------------------------------------------------


def test_a_test_event_is_queued_and_shown_in_the_log(client, supplier_a_admin, endpoint):
    signed_in(client, supplier_a_admin)
    response = client.post(reverse("exchange:endpoint-test", args=["streetwise", endpoint.pk]))
    sent = Delivery.objects.get()
    assert sent.event_type == EventType.TEST and sent.status == Delivery.Status.PENDING
    assert response["Location"] == reverse("exchange:delivery", args=["streetwise", sent.pk])
    log = page(client, "deliveries", "streetwise")
    assert "Test event" in text(log)


def test_a_delivery_shows_what_was_sent_without_any_secret(client, supplier_a_admin, endpoint):
    made = services.secret_add(actor=supplier_a_admin, endpoint=endpoint)
    failed = make_delivery(
        endpoint,
        status=Delivery.Status.DEAD,
        attempts=12,
        last_status_code=503,
        last_error="The receiver answered HTTP 503: busy",
        last_response_ms=42,
    )
    response = signed_in(client, supplier_a_admin).get(
        reverse("exchange:delivery", args=["streetwise", failed.pk])
    )
    body = text(response)
    for expected in (
        "webhook-id",
        failed.message_id,
        "HTTP 503",
        "answered HTTP 503: busy",
        "42 ms",
    ):
        assert expected in body
    assert made.secret not in body
    assert made.record.salt not in body


def test_the_log_filters_by_status_event_endpoint_ticket_and_date(
    client, supplier_a_admin, endpoint, integrator_lead
):
    service = make_service()
    make_provision(service=service, supplier=endpoint.supplier)
    ticket = make_ticket(service=service)
    other = services.endpoint_create(
        actor=integrator_lead,
        supplier=endpoint.supplier,
        url=URL + "/other",
        event_types=[EventType.CLOSED],
    ).endpoint
    dead = make_delivery(endpoint, status=Delivery.Status.DEAD, ticket=ticket)
    delivered = make_delivery(endpoint, status=Delivery.Status.DELIVERED, minutes_ago=3 * 24 * 60)
    elsewhere = make_delivery(other, status=Delivery.Status.DELIVERED, event_type=EventType.CLOSED)
    signed_in(client, supplier_a_admin)

    def shown(**query: Any) -> set[int]:
        response = page(client, "deliveries", "streetwise", **query)
        assert response.status_code == 200
        return {d.pk for d in response.context["page"].items}

    assert shown() == {dead.pk, delivered.pk, elsewhere.pk}
    assert shown(status="dead") == {dead.pk}
    assert shown(endpoint=other.pk) == {elsewhere.pk}
    assert shown(event_type="ticket.closed") == {elsewhere.pk}
    assert shown(ticket=ticket.reference) == {dead.pk}
    today = timezone.localdate()
    assert shown(since=today.isoformat()) == {dead.pk, elsewhere.pk}
    assert shown(until=(today - timedelta(days=2)).isoformat()) == {delivered.pk}


def test_a_bad_filter_is_an_error_next_to_the_field(client, supplier_a_admin, endpoint):
    response = signed_in(client, supplier_a_admin).get(
        reverse("exchange:deliveries", args=["streetwise"]), {"ticket": "not a reference"}
    )
    assert response.status_code == 400
    assert "ticket" in response.context["form"].errors


def test_the_log_pages_with_a_keyset_cursor(
    client, supplier_a_admin, endpoint, django_assert_num_queries
):
    rows = [make_delivery(endpoint, status="delivered", minutes_ago=i) for i in range(53)]
    signed_in(client, supplier_a_admin)
    first = page(client, "deliveries", "streetwise", status="delivered")
    assert [d.pk for d in first.context["page"].items] == [d.pk for d in rows[:50]]
    older = first.context["older_href"]
    assert "status=delivered" in older and "after=" in older
    second = client.get(reverse("exchange:deliveries", args=["streetwise"]) + older)
    assert [d.pk for d in second.context["page"].items] == [d.pk for d in rows[50:]]
    assert second.context["older_href"] is None
    assert second.context["newest_href"] == "?status=delivered"
    # The same number at any depth: session, person, supplier, endpoints, one page of the log,
    # and the navigation's own look-up of the person's supplier.
    cursor = encode_cursor(rows[10])
    with django_assert_num_queries(6):
        page(client, "deliveries", "streetwise", after=cursor)


def test_a_dead_delivery_is_replayed_after_confirmation(client, supplier_a_admin, endpoint):
    dead = make_delivery(endpoint, status=Delivery.Status.DEAD, attempts=12)
    signed_in(client, supplier_a_admin)
    replay = reverse("exchange:delivery-replay", args=["streetwise", dead.pk])
    assert "Replay this delivery?" in text(client.get(replay))
    dead.refresh_from_db()
    assert dead.status == Delivery.Status.DEAD
    client.post(replay)
    dead.refresh_from_db()
    assert dead.status == Delivery.Status.PENDING and dead.attempts == 0
    assert dead.next_attempt_at is not None


def test_a_failed_delivery_waiting_for_its_backoff_is_tried_again_now(
    client, supplier_a_admin, endpoint
):
    later = timezone.now() + timedelta(hours=1)
    failed = make_delivery(endpoint, status=Delivery.Status.FAILED, attempts=3)
    Delivery.objects.filter(pk=failed.pk).update(next_attempt_at=later)
    signed_in(client, supplier_a_admin)
    replay = reverse("exchange:delivery-replay", args=["streetwise", failed.pk])
    assert "tried again now instead" in text(client.get(replay))
    response = client.post(replay, follow=True)
    assert "will be tried again now" in text(response)
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.FAILED and failed.attempts == 3
    assert failed.next_attempt_at is not None and failed.next_attempt_at < later


def test_every_dead_delivery_of_an_endpoint_is_replayed_after_confirmation(
    client, supplier_a_admin, endpoint
):
    dead = [make_delivery(endpoint, status=Delivery.Status.DEAD) for _ in range(3)]
    kept = make_delivery(endpoint, status=Delivery.Status.DELIVERED)
    signed_in(client, supplier_a_admin)
    replay = reverse("exchange:endpoint-replay-dead", args=["streetwise", endpoint.pk])
    assert "3 dead-lettered deliveries" in text(client.get(replay))
    response = client.post(replay, follow=True)
    assert "3 dead deliveries will be sent again" in text(response)
    assert {d.status for d in Delivery.objects.filter(pk__in=[d.pk for d in dead])} == {"pending"}
    kept.refresh_from_db()
    assert kept.status == Delivery.Status.DELIVERED


# --- System keys --------------------------------------------------------------------------


def test_supplier_admin_creates_a_key_that_works_and_is_shown_once(client, supplier_a_admin):
    signed_in(client, supplier_a_admin)
    response = client.post(
        reverse("exchange:key-create", args=["streetwise"]), {"name": "Works system"}
    )
    plaintext = response.context["secret"]
    key = api_key_authenticate(plaintext)
    assert key is not None and key.supplier_id == supplier_a_admin.supplier_id
    overview = text(page(client, "supplier", "streetwise"))
    assert "Works system" in overview and plaintext not in overview


def test_a_revoked_key_stops_working(client, supplier_a_admin, supplier_a):
    key, plaintext = api_key_create(
        actor=supplier_a_admin, name="Old", kind=ApiKey.Kind.SUPPLIER_SYSTEM, supplier=supplier_a
    )
    signed_in(client, supplier_a_admin)
    revoke = reverse("exchange:key-revoke", args=["streetwise", key.pk])
    assert "Revoke this key?" in text(client.get(revoke))
    assert api_key_authenticate(plaintext) is not None
    client.post(revoke)
    assert api_key_authenticate(plaintext) is None


def test_a_rotated_key_gives_a_new_secret_and_the_old_one_retires(
    client, supplier_a_admin, supplier_a
):
    key, _plaintext = api_key_create(
        actor=supplier_a_admin, name="Works", kind=ApiKey.Kind.SUPPLIER_SYSTEM, supplier=supplier_a
    )
    signed_in(client, supplier_a_admin)
    response = client.post(reverse("exchange:key-rotate", args=["streetwise", key.pk]))
    assert api_key_authenticate(response.context["secret"]) is not None
    key.refresh_from_db()
    assert key.expires_at is not None


def test_integrator_agents_manage_webhooks_but_not_keys(client, integrator_agent, supplier_a):
    signed_in(client, integrator_agent)
    assert "System keys" not in text(page(client, "supplier", "streetwise"))
    assert page(client, "key-create", "streetwise").status_code == 403


# --- Who may use the pages ----------------------------------------------------------------

PAGES: list[tuple[str, tuple[str, ...]]] = [
    ("supplier", ()),
    ("endpoint-create", ()),
    ("endpoint", ("endpoint",)),
    ("endpoint-edit", ("endpoint",)),
    ("endpoint-disable", ("endpoint",)),
    ("endpoint-replay-dead", ("endpoint",)),
    ("secret-rotate", ("endpoint",)),
    ("secret-retire", ("endpoint", "secret")),
    ("deliveries", ()),
    ("delivery", ("delivery",)),
    ("delivery-replay", ("delivery",)),
    ("key-create", ()),
    ("key-rotate", ("key",)),
    ("key-revoke", ("key",)),
]
POSTS: list[tuple[str, tuple[str, ...]]] = [
    ("endpoint-enable", ("endpoint",)),
    ("endpoint-test", ("endpoint",)),
    ("secret-add", ("endpoint",)),
]


@pytest.fixture
def records(endpoint: Endpoint, integrator_lead: User) -> dict[str, int]:
    key, _plain = api_key_create(
        actor=integrator_lead,
        name="K",
        kind=ApiKey.Kind.SUPPLIER_SYSTEM,
        supplier=endpoint.supplier,
    )
    return {
        "endpoint": endpoint.pk,
        "secret": EndpointSecret.objects.get(endpoint=endpoint).pk,
        "delivery": make_delivery(endpoint, status=Delivery.Status.DEAD).pk,
        "key": key.pk,
    }


def _url(name: str, parts: tuple[str, ...], records: dict[str, int]) -> str:
    return reverse(f"exchange:{name}", args=["streetwise", *[records[p] for p in parts]])


@pytest.mark.parametrize(("name", "parts"), PAGES + POSTS)
def test_anonymous_people_are_sent_to_sign_in(client, records, name, parts):
    url = _url(name, parts, records)
    response = client.post(url) if (name, parts) in POSTS else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:sign-in"))


@pytest.mark.parametrize(
    "person", ["supplier_a_agent", "governance_viewer", "service_owner", "commissioner"]
)
@pytest.mark.parametrize(("name", "parts"), PAGES + POSTS)
def test_people_who_manage_no_supplier_systems_are_refused(
    client, records, request, person, name, parts
):
    signed_in(client, request.getfixturevalue(person))
    url = _url(name, parts, records)
    response = client.post(url) if (name, parts) in POSTS else client.get(url)
    assert response.status_code == 403
    assert Delivery.objects.count() == 1 and EndpointSecret.objects.count() == 1


@pytest.mark.parametrize(("name", "parts"), PAGES + POSTS)
def test_another_suppliers_administrator_finds_nothing(
    client, records, supplier_b_admin, name, parts
):
    signed_in(client, supplier_b_admin)
    url = _url(name, parts, records)
    response = client.post(url) if (name, parts) in POSTS else client.get(url)
    assert response.status_code == 404
    assert Delivery.objects.count() == 1 and EndpointSecret.objects.count() == 1


def test_records_are_found_only_under_their_own_supplier(
    client, records, supplier_b, integrator_lead
):
    signed_in(client, integrator_lead)
    for name, parts in PAGES:
        if parts:
            url = reverse(f"exchange:{name}", args=["cleanway", *[records[p] for p in parts]])
            assert client.get(url).status_code == 404, name


def test_people_who_may_not_use_the_pages_see_no_navigation_entry(
    client, supplier_a_agent, supplier_a_admin
):
    home = reverse("web:staff-home")
    assert "Supplier systems" not in text(signed_in(client, supplier_a_agent).get(home))
    assert "Supplier systems" in text(signed_in(Client(), supplier_a_admin).get(home))


def test_the_supplier_chooser_sends_anonymous_people_to_sign_in(client):
    response = client.get(reverse("exchange:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:sign-in"))


@pytest.mark.parametrize("person", ["supplier_a_agent", "governance_viewer", "commissioner"])
def test_the_supplier_chooser_refuses_people_who_manage_no_supplier_systems(
    client, request, person
):
    response = signed_in(client, request.getfixturevalue(person)).get(reverse("exchange:index"))
    assert response.status_code == 403
