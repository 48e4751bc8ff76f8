"""Fixtures and helpers for the supplier API's tests: two suppliers each holding a ticket of
its own service, their systems' keys, a client application's key, and a way to call the API
as one of them (`call`). Test modules import `world_fixture`; tests ask for `world`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from interchange.accounts.models import ApiKey, User
from interchange.accounts.services import api_key_create
from interchange.servicedesk.models import Ticket
from interchange.servicedesk.tests.factories import make_provision, make_service, make_ticket
from interchange.suppliers.models import Supplier

API = "/api/v1"


@dataclass
class World:
    supplier_a: Supplier
    supplier_b: Supplier
    key_a: ApiKey
    secret_a: str
    key_b: ApiKey
    secret_b: str
    open311_secret: str
    ticket_a: Ticket
    ticket_b: Ticket
    administrator: User


@pytest.fixture(name="world")
def world_fixture(
    administrator: User, supplier_a: Supplier, supplier_b: Supplier, settings: Any, tmp_path: Any
) -> World:
    """Supplier A holds `ticket_a` (a pothole), supplier B `ticket_b` (a missed bin). Files
    the test attaches are stored in its own temporary folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    cache.clear()
    potholes = make_service("pothole", name="Pothole")
    bins = make_service("missed-bin", name="Missed bin")
    make_provision(service=potholes, supplier=supplier_a)
    make_provision(service=bins, supplier=supplier_b)
    key_a, secret_a = api_key_create(
        actor=administrator,
        name="Streetwise works system",
        kind=ApiKey.Kind.SUPPLIER_SYSTEM,
        supplier=supplier_a,
    )
    key_b, secret_b = api_key_create(
        actor=administrator,
        name="Cleanway works system",
        kind=ApiKey.Kind.SUPPLIER_SYSTEM,
        supplier=supplier_b,
    )
    _, open311_secret = api_key_create(
        actor=administrator,
        name="FixMyStreet",
        kind=ApiKey.Kind.OPEN311_CLIENT,
        client_name="FixMyStreet",
    )
    ticket_a = make_ticket(
        service=potholes,
        title="Pothole outside number 12",
        answers={"depth": "deep"},
        address="12 Harbour Road",
        reporter_phone="01632 960001",
    )
    ticket_b = make_ticket(service=bins, title="Bin not collected on Elm Street")
    return World(
        supplier_a=supplier_a,
        supplier_b=supplier_b,
        key_a=key_a,
        secret_a=secret_a,
        key_b=key_b,
        secret_b=secret_b,
        open311_secret=open311_secret,
        ticket_a=ticket_a,
        ticket_b=ticket_b,
        administrator=administrator,
    )


def call(
    client: Client,
    method: str,
    path: str,
    secret: str | None,
    *,
    json: Any = None,
    data: dict[str, Any] | None = None,
    idempotency_key: str | None = "auto",
    if_match: int | str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """Call the API at `API + path` as the holder of `secret`. Writes get a fresh
    Idempotency-Key unless one is given (None sends none); `if_match` a version or a raw
    header value."""
    sent: dict[str, str] = dict(headers or {})
    if secret is not None:
        sent["Authorization"] = f"Bearer {secret}"
    if method != "GET" and idempotency_key is not None:
        sent["Idempotency-Key"] = (
            str(uuid.uuid4()) if idempotency_key == "auto" else idempotency_key
        )
    if if_match is not None:
        sent["If-Match"] = f'"{if_match}"' if isinstance(if_match, int) else if_match
    kwargs: dict[str, Any] = {"headers": sent}
    if json is not None:
        kwargs.update(data=json, content_type="application/json")
    elif data is not None:
        kwargs["data"] = data
    return getattr(client, method.lower())(API + path, **kwargs)


def is_problem(response: Any, status: int) -> dict[str, Any]:
    """The problem details body, after checking the status and the media type."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:interchange:problem:")
    assert body["title"] and body["detail"]
    return body
