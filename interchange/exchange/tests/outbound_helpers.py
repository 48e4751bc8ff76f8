"""Shared set-up for the outbound webhook tests: settings for a local receiver, a service
provided by supplier A, an endpoint of A's with its secret, and shortcuts to move time on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from interchange.accounts.models import User
from interchange.catalogue.models import Service
from interchange.exchange import delivery
from interchange.exchange.models import SUBSCRIBABLE, Delivery, Endpoint
from interchange.exchange.services import endpoint_create
from interchange.exchange.tests.receiver import Receiver
from interchange.servicedesk.dispatch import dispatch_batch
from interchange.servicedesk.models import Ticket
from interchange.servicedesk.tests.factories import T0, make_provision, make_service, make_ticket
from interchange.suppliers.models import Supplier

__all__ = ["T0", "Outbound", "local_targets", "outbound"]


@pytest.fixture
def local_targets(settings):
    """Deliveries may go to the loopback receiver over plain http, with short timeouts."""
    settings.EXCHANGE_ALLOW_PRIVATE_TARGETS = True
    settings.EXCHANGE_ALLOW_HTTP = True
    settings.EXCHANGE_CONNECT_TIMEOUT_S = 1
    settings.EXCHANGE_READ_TIMEOUT_S = 0.5
    yield settings
    delivery.close_clients()


@dataclass
class Outbound:
    supplier: Supplier
    service: Service
    endpoint: Endpoint
    secret: str
    receiver: Receiver
    admin: User

    def ticket(self, at: datetime = T0) -> Ticket:
        """A ticket routed to supplier A when opened."""
        return make_ticket(service=self.service, at=at)

    def fan_out(self, at: datetime | None = None) -> int:
        return dispatch_batch(at=at)

    def deliver(self, at: datetime) -> int:
        return delivery.deliver_due(at=at, budget=None, rand=lambda: 1.0)

    def deliveries(self) -> list[Delivery]:
        return list(Delivery.objects.filter(endpoint=self.endpoint).order_by("id"))


@pytest.fixture
def outbound(local_targets, supplier_a, integrator_lead) -> Iterator[Outbound]:
    service = make_service()
    make_provision(service=service, supplier=supplier_a)
    with Receiver() as receiver:
        made = endpoint_create(
            actor=integrator_lead,
            supplier=supplier_a,
            url=receiver.url,
            event_types=[str(t) for t in SUBSCRIBABLE],
            description="Supplier A's service desk",
            at=T0 - timedelta(days=1),
        )
        receiver.secrets = [made.secret.secret]
        yield Outbound(
            supplier=supplier_a,
            service=service,
            endpoint=made.endpoint,
            secret=made.secret.secret,
            receiver=receiver,
            admin=integrator_lead,
        )
