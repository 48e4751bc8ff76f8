from unittest import mock

import pytest
from django.db import DatabaseError

pytestmark = pytest.mark.django_db


def test_healthz_says_ok_while_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_with_the_reason_when_the_database_is_down(client):
    with mock.patch("interchange.core.health.connections") as conns:
        conns.__getitem__.return_value.cursor.side_effect = DatabaseError("gone")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["database unreachable: DatabaseError"]


def test_readyz_is_ready_when_every_migration_is_applied(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readyz_names_the_unapplied_migrations(client):
    with mock.patch(
        "interchange.core.health.unapplied_migrations", return_value=["core.0002_future"]
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["unapplied migrations: core.0002_future"]


def test_health_endpoints_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
