"""Durable jobs: the API the apps use. `enqueue` writes a row in the caller's transaction;
handlers and periodic scans are registered by the apps that own them (core knows none of
them by name); `manage.py worker` claims, runs and reschedules (see core/worker.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from interchange.core.models import Job

Handler = Callable[[dict[str, Any]], None]

HANDLERS: dict[str, Handler] = {}


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    run: Callable[[datetime], None]


PERIODIC: dict[str, Periodic] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of `kind` (a plain function a test can call)."""

    def register(func: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not func:
            raise ValueError(f"A handler for job kind {kind!r} is already registered.")
        HANDLERS[kind] = func
        return func

    return register


def periodic(
    name: str, every: timedelta
) -> Callable[[Callable[[datetime], None]], Callable[[datetime], None]]:
    """Register a scan the worker loop runs about every `every` (once across all workers)."""

    def register(func: Callable[[datetime], None]) -> Callable[[datetime], None]:
        PERIODIC[name] = Periodic(name, every, func)
        return func

    return register


def enqueue(
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    max_attempts: int = 8,
    dedupe_key: str | None = None,
    at: datetime | None = None,
) -> Job | None:
    """Add a job, due at `run_at` (default now). With a `dedupe_key` already used, adds
    nothing and returns None, so a listener replaying history makes no second job."""
    now = at or timezone.now()
    job = Job(
        kind=kind,
        payload=payload or {},
        max_attempts=max_attempts,
        next_attempt_at=run_at or now,
        dedupe_key=dedupe_key or "",
        created_at=now,
    )
    if not dedupe_key:
        job.save()
        return job
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        return None
    return job
