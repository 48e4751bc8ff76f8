"""The demo's simulated supplier: `manage.py demo` gives Kerbline an endpoint at the
simulator's local address, and hands the simulator a key and a secret that work."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from standardwebhooks import Webhook

from interchange.accounts.services import api_key_authenticate
from interchange.demo import exchange as demo_exchange
from interchange.exchange import signing
from interchange.exchange.models import SUBSCRIBABLE, Endpoint
from interchange.exchange.services import active_secrets

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_the_demo_points_kerbline_at_the_simulator_with_a_working_key_and_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("demo", "--load-only", "--tickets", "0", "--port", "18000")
    assert "receiving webhooks at http://127.0.0.1:18001/hooks" in capsys.readouterr().out
    endpoint = Endpoint.objects.get()
    assert endpoint.supplier.code == "kerbline" and endpoint.active
    assert endpoint.url == "http://127.0.0.1:18001/hooks"
    assert endpoint.event_types == [str(t) for t in SUBSCRIBABLE]
    # The settings were on only while the demo saved its endpoint.
    assert not settings.EXCHANGE_ALLOW_HTTP and not settings.EXCHANGE_ALLOW_PRIVATE_TARGETS

    with override_settings(EXCHANGE_ALLOW_HTTP=True, EXCHANGE_ALLOW_PRIVATE_TARGETS=True):
        simulated = demo_exchange.load(port=18001)
    key = api_key_authenticate(simulated.api_key)
    assert key is not None and key.supplier is not None and key.supplier.code == "kerbline"
    body = json.dumps({"id": "evt_demo", "type": "endpoint.test"})
    salts = [s.salt for s in active_secrets(endpoint)]
    headers = signing.sign_headers(message_id="evt_demo", body=body, salts=salts)
    assert Webhook(simulated.secret).verify(body, headers) == {
        "id": "evt_demo",
        "type": "endpoint.test",
    }


@override_settings(DEBUG=True)
def test_running_the_demo_again_keeps_one_endpoint_and_follows_a_new_port() -> None:
    call_command("demo", "--load-only", "--tickets", "0")
    first = Endpoint.objects.get()
    first.active = False
    first.save()
    call_command("demo", "--load-only", "--tickets", "0", "--port", "9000")
    again = Endpoint.objects.get()
    assert again.pk == first.pk and again.active
    assert again.url == "http://127.0.0.1:9001/hooks"
    assert len(active_secrets(again)) == 1


def test_the_simulated_supplier_is_for_the_demo_only() -> None:
    with pytest.raises(ImproperlyConfigured):
        demo_exchange.load(port=8001)
