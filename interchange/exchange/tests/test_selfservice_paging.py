"""Paging through the delivery log: whatever the times (ties included) and the filter, the
pages give every matching delivery once, newest first, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interchange.accounts.models import Role, User
from interchange.exchange import selectors, services
from interchange.exchange.models import Delivery, Endpoint, EventType
from interchange.suppliers.models import Supplier
from interchange.testing.people import make_person, make_supplier

T = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
STATUSES = [Delivery.Status.DELIVERED, Delivery.Status.DEAD, Delivery.Status.FAILED]


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(st.tuples(st.integers(0, 5), st.sampled_from(STATUSES)), min_size=0, max_size=14),
    status=st.sampled_from(["", *STATUSES]),
    limit=st.integers(1, 4),
)
def test_every_matching_delivery_appears_once_in_order(
    rows: list[tuple[int, str]], status: str, limit: int, monkeypatch: Any
) -> None:
    # One database for every example: the supplier and its endpoint are made once.
    Delivery.objects.all().delete()
    supplier = Supplier.objects.filter(code="pager").first() or make_supplier(
        "pager", "Pager Ltd", "Pager", "highways"
    )
    admin = User.objects.filter(username="pager_admin").first() or make_person(
        "pager_admin", Role.SUPPLIER_ADMIN, supplier=supplier
    )
    endpoint = Endpoint.objects.filter(supplier=supplier).first() or (
        services.endpoint_create(
            actor=admin,
            supplier=supplier,
            url="https://hooks.pager.example/",
            event_types=["ticket.assigned"],
        ).endpoint
    )
    made = [
        Delivery.objects.create(
            message_id=f"evt_{i}",
            event_type=EventType.ASSIGNED,
            endpoint=endpoint,
            supplier=supplier,
            occurred_at=T,
            body="{}",
            status=state,
            created_at=T + timedelta(seconds=second),
        )
        for i, (second, state) in enumerate(rows)
    ]
    monkeypatch.setattr(
        "interchange.exchange.views.delivery_page",
        _with_limit(limit),
    )
    client = Client()
    client.force_login(admin)
    url = reverse("exchange:deliveries", args=["pager"])
    query = f"?status={status}"
    seen: list[int] = []
    for _page in range(len(made) + 2):
        response = client.get(url + query)
        assert response.status_code == 200
        seen += [d.pk for d in response.context["page"].items]
        older = response.context["older_href"]
        if older is None:
            break
        query = older
    expected = sorted(
        (d for d in made if not status or d.status == status),
        key=lambda d: (d.created_at, d.pk),
        reverse=True,
    )
    assert seen == [d.pk for d in expected]


def _with_limit(limit: int) -> Any:
    """The log's page function with a small page, so a few rows make several pages."""

    def page(actor: Any, filters: Any = None, *, after: str | None = None, **_: Any) -> Any:
        return selectors.delivery_page(actor, filters, after=after, limit=limit)

    return page
