"""The delivery log in the admin: read only for the integrator, a replay action, and closed
to suppliers."""

from __future__ import annotations

import pytest

from interchange.exchange.models import Delivery
from interchange.exchange.tests import outbound_helpers
from interchange.exchange.tests.outbound_helpers import T0

outbound = outbound_helpers.outbound
local_targets = outbound_helpers.local_targets

pytestmark = pytest.mark.django_db
LIST = "/admin/exchange/delivery/"


def _staff(user):
    user.is_staff = True
    user.save()
    return user


def test_a_lead_replays_a_dead_delivery_from_the_admin(client, outbound):
    outbound.ticket()
    outbound.fan_out(at=T0)
    dead = Delivery.objects.get()
    Delivery.objects.update(status=Delivery.Status.DEAD, next_attempt_at=None)
    client.force_login(_staff(outbound.admin))

    assert "ticket.assigned" in client.get(LIST).content.decode()
    response = client.post(LIST, {"action": "replay", "_selected_action": [dead.pk]}, follow=True)

    assert "1 delivery will be sent again." in response.content.decode()
    dead.refresh_from_db()
    assert dead.status == Delivery.Status.PENDING and dead.next_attempt_at is not None
    assert client.get(f"{LIST}{dead.pk}/change/").status_code == 200
    assert client.post(f"{LIST}{dead.pk}/delete/").status_code == 403


def test_a_supplier_administrator_cannot_open_the_delivery_log(client, supplier_a_admin):
    client.force_login(_staff(supplier_a_admin))

    assert client.get(LIST).status_code == 403
