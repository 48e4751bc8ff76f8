"""Health and readiness checks for load balancers and orchestrators."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max
from django.utils import timezone

from interchange.core.models import WorkerHeartbeat


def database_reachable(alias: str = DEFAULT_DB_ALIAS) -> str | None:
    """None when the database answers a trivial query, else the reason it did not."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return f"database unreachable: {exc.__class__.__name__}"
    return None


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Names of migrations on disk that the database has not applied, as app.name."""
    executor = MigrationExecutor(connections[alias])
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def worker_heartbeat_problem(at: datetime | None = None) -> str | None:
    """None while some worker has reported within HEARTBEAT_STALE_SECONDS, else what is wrong."""
    at = at or timezone.now()
    seen = WorkerHeartbeat.objects.aggregate(latest=Max("seen_at"))["latest"]
    if seen is None:
        return "no worker heartbeat recorded"
    age = (at - seen).total_seconds()
    if age > settings.HEARTBEAT_STALE_SECONDS:
        return (
            f"worker heartbeat stale: last seen {age:.0f} s ago "
            f"(limit {settings.HEARTBEAT_STALE_SECONDS} s)"
        )
    return None
