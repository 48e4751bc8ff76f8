from datetime import timedelta
from unittest import mock

import pytest
from django.db import DatabaseError
from django.utils import timezone

from interchange.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def worker_seen(seconds_ago):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        name="host:123",
        started_at=now - timedelta(hours=1),
        seen_at=now - timedelta(seconds=seconds_ago),
    )


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
    worker_seen(seconds_ago=5)
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


class TestWorkerHeartbeat:
    """By default a stale worker is a warning only: the web can serve without it, and a worker
    restart must not take every web process out of the load balancer."""

    def test_by_default_a_missing_worker_is_a_warning_not_a_failure(self, client):
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ready",
            "warnings": ["no worker heartbeat recorded"],
        }

    def test_by_default_a_stale_worker_is_a_warning_not_a_failure(self, client, settings):
        settings.HEARTBEAT_STALE_SECONDS = 60
        worker_seen(seconds_ago=120)
        response = client.get("/readyz")
        assert response.status_code == 200
        (warning,) = response.json()["warnings"]
        assert warning.startswith("worker heartbeat stale: last seen 12")
        assert warning.endswith("s ago (limit 60 s)")

    def test_when_required_a_fresh_heartbeat_is_ready(self, client, settings):
        settings.REQUIRE_WORKER_HEARTBEAT = True
        worker_seen(seconds_ago=30)
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready"}

    def test_when_required_a_stale_heartbeat_is_not_ready(self, client, settings):
        settings.REQUIRE_WORKER_HEARTBEAT = True
        settings.HEARTBEAT_STALE_SECONDS = 60
        worker_seen(seconds_ago=61)
        response = client.get("/readyz")
        assert response.status_code == 503
        (problem,) = response.json()["problems"]
        assert problem.startswith("worker heartbeat stale")

    def test_when_required_no_worker_at_all_is_not_ready(self, client, settings):
        settings.REQUIRE_WORKER_HEARTBEAT = True
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["problems"] == ["no worker heartbeat recorded"]

    def test_the_freshest_of_several_workers_counts(self, client, settings):
        settings.REQUIRE_WORKER_HEARTBEAT = True
        worker_seen(seconds_ago=600)
        now = timezone.now()
        WorkerHeartbeat.objects.create(name="host:456", started_at=now, seen_at=now)
        assert client.get("/readyz").status_code == 200

    def test_unapplied_migrations_skip_the_heartbeat_check(self, client, settings):
        settings.REQUIRE_WORKER_HEARTBEAT = True
        with mock.patch(
            "interchange.core.health.unapplied_migrations", return_value=["core.0004_future"]
        ):
            response = client.get("/readyz")
        assert response.json()["problems"] == ["unapplied migrations: core.0004_future"]
