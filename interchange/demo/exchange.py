"""The demo's supplier exchange: Kerbline's works management system, simulated by `make demo`
(`manage.py simulate_supplier`), with a webhook endpoint at the simulator's local address and
the demo's Kerbline system key, so new Kerbline tickets are acknowledged and resolved on
their own. Development only: the endpoint's secret is read back for the simulator, which
only the demo may do (and the key is the demo's published one)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from interchange.accounts.models import ApiKey, User
from interchange.accounts.services import KEY_LABEL
from interchange.demo.people import SUPPLIER_SYSTEM, SUPPLIER_SYSTEM_OF, demo_key
from interchange.exchange import services, signing
from interchange.exchange.models import SUBSCRIBABLE, Endpoint
from interchange.suppliers.models import Supplier

DESCRIPTION = "Kerbline works management system (simulated by make demo)"
# Variables the demo sets for the processes it starts, so the worker may deliver to the
# simulator on this machine over plain http (both are off by default, and not tied to DEBUG).
PROCESS_ENVIRONMENT = {"EXCHANGE_ALLOW_PRIVATE_TARGETS": "1", "EXCHANGE_ALLOW_HTTP": "1"}


@dataclass(frozen=True)
class SimulatedSupplier:
    """What the simulator is started with."""

    supplier: str
    listen: str  # host:port
    url: str  # the endpoint's address
    api_key: str
    secret: str


@transaction.atomic
def load(*, port: int) -> SimulatedSupplier:
    """Make sure Kerbline's demo endpoint points at the simulator on `port` and is on, with a
    signing secret; return what the simulator needs. The caller turns on
    EXCHANGE_ALLOW_PRIVATE_TARGETS and EXCHANGE_ALLOW_HTTP (see PROCESS_ENVIRONMENT)."""
    if not settings.DEBUG:
        raise ImproperlyConfigured("The simulated supplier is part of the demo (DEBUG) only.")
    admin = User.objects.get(username="admin")
    supplier = Supplier.objects.get(code=SUPPLIER_SYSTEM_OF)
    url = f"http://127.0.0.1:{port}/hooks"
    endpoint = Endpoint.objects.filter(supplier=supplier, description=DESCRIPTION).first()
    if endpoint is None:
        endpoint = services.endpoint_create(
            actor=admin,
            supplier=supplier,
            url=url,
            event_types=[str(t) for t in SUBSCRIBABLE],
            description=DESCRIPTION,
        ).endpoint
    elif endpoint.url != url:
        endpoint = services.endpoint_update(actor=admin, endpoint=endpoint, url=url)
    if not endpoint.active:
        endpoint = services.endpoint_enable(actor=admin, endpoint=endpoint)
    live = services.active_secrets(endpoint)
    if not live:
        secret = services.secret_add(actor=admin, endpoint=endpoint).secret
    else:
        secret = signing.secret_for(live[0].salt)
    if not ApiKey.objects.filter(
        name=SUPPLIER_SYSTEM, kind=ApiKey.Kind.SUPPLIER_SYSTEM, revoked_at__isnull=True
    ).exists():
        raise ImproperlyConfigured(f"The demo key {SUPPLIER_SYSTEM!r} is missing or revoked.")
    prefix, key_secret = demo_key(SUPPLIER_SYSTEM)
    return SimulatedSupplier(
        supplier=supplier.code,
        listen=f"127.0.0.1:{port}",
        url=url,
        api_key=f"{KEY_LABEL}_{prefix}_{key_secret}",
        secret=secret,
    )
