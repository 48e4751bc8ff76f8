"""Core's own periodic work, registered with the worker at start-up."""

from __future__ import annotations

from datetime import datetime, timedelta

from interchange.core import idempotency, ratelimit
from interchange.core.jobs import periodic, purge_finished


@periodic("core.purge_idempotency_keys", every=timedelta(hours=1))
def purge_idempotency_keys(at: datetime) -> None:
    """Delete idempotency keys past their keeping time."""
    idempotency.purge_expired(at=at)


@periodic("core.purge_rate_counters", every=timedelta(minutes=10))
def purge_rate_counters(at: datetime) -> None:
    """Delete rate-limit counters of windows that have ended."""
    ratelimit.purge_expired(at=at)


@periodic("core.purge_finished_jobs", every=timedelta(hours=1))
def purge_finished_jobs(at: datetime) -> None:
    """Delete jobs that finished more than JOB_RETENTION_DAYS ago."""
    purge_finished(at=at)
