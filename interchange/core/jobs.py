"""Durable jobs: the API the apps use. `enqueue` writes a row in the caller's transaction;
handlers and periodic scans are registered by the apps that own them (core knows none of
them by name); `manage.py worker` claims, runs and reschedules (see core/worker.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from interchange.core.models import Job

Handler = Callable[[dict[str, Any]], None]

HANDLERS: dict[str, Handler] = {}
# Kinds whose handler runs outside the worker's transaction (see `handler`).
OUTSIDE_TRANSACTION: set[str] = set()


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    run: Callable[[datetime], None]


PERIODIC: dict[str, Periodic] = {}

# Name → the longest (seconds) an idle worker may sleep before its next turn, asked for by
# apps whose scans must notice new work quickly (see `wake_within`).
IDLE_LIMITS: dict[str, float] = {}


def wake_within(name: str, seconds: float) -> None:
    """Ask the worker loop to take a turn at least every `seconds` even when idle (its poll
    may be longer), so a periodic scan registered with a short interval runs that often."""
    if seconds <= 0:
        raise ValueError("An idle limit must be above zero seconds.")
    IDLE_LIMITS[name] = seconds


def idle_limit(poll: float) -> float:
    """How long an idle worker sleeps: its poll, or less if an app asked for less."""
    return min([poll, *IDLE_LIMITS.values()])


def handler(kind: str, *, atomic: bool = True) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of `kind` (a plain function a test can call).

    It gets the job's payload and runs in one transaction with marking the job done. It must
    be idempotent: after a crash or a lost lease it runs again (see core/worker.py).

    `atomic=False` is for handlers that talk to the outside world (email, HTTP): they run
    outside any transaction, so no database lock is held while a remote server answers and
    what they record about a failed attempt survives it; they manage their own
    transactions, and a crash between their effect and "done" means one more attempt.
    """

    def register(func: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not func:
            raise ValueError(f"A handler for job kind {kind!r} is already registered.")
        HANDLERS[kind] = func
        if not atomic:
            OUTSIDE_TRANSACTION.add(kind)
        return func

    return register


def periodic(
    name: str, every: timedelta
) -> Callable[[Callable[[datetime], None]], Callable[[datetime], None]]:
    """Register a scan the worker loop runs about every `every` (once across all workers).

    It gets the time of the run and manages its own transactions; like a handler it must be
    idempotent, and safe to overlap a slow previous run (see `worker.run_periodic`).
    """

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
    nothing and returns None, so a listener replaying history makes no second job. A key
    holds while its job is kept: finished jobs are deleted after JOB_RETENTION_DAYS
    (`purge_finished`), so a caller that may replay older history dedupes on its own
    records too (notifications keep one per event, kind and recipient)."""
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


def enqueue_many(
    kind: str,
    payloads: list[tuple[dict[str, Any], str]],
    *,
    run_at: datetime | None = None,
    max_attempts: int = 8,
    at: datetime | None = None,
) -> None:
    """`enqueue` for many jobs of one kind in one statement: each (payload, dedupe key) pair
    is a job, due at `run_at` (default now); a key already used adds nothing, as with
    `enqueue`. For listeners that queue a job per message of a whole dispatcher batch."""
    now = at or timezone.now()
    Job.objects.bulk_create(
        [
            Job(
                kind=kind,
                payload=payload,
                max_attempts=max_attempts,
                next_attempt_at=run_at or now,
                dedupe_key=dedupe_key,
                created_at=now,
            )
            for payload, dedupe_key in payloads
        ],
        ignore_conflicts=True,
    )


# Finished jobs deleted a statement at a time, so no delete holds its locks for long.
PURGE_CHUNK = 5_000


def purge_finished(*, at: datetime | None = None, chunk: int = PURGE_CHUNK) -> int:
    """Delete the jobs that finished (done, not failed) more than JOB_RETENTION_DAYS before
    `at` (default now), oldest first, `chunk` a statement; returns how many. Failed jobs
    stay for a person to see and replay."""
    cutoff = (at or timezone.now()) - timedelta(days=settings.JOB_RETENTION_DAYS)
    finished = Job.objects.filter(state=Job.State.DONE, finished_at__lt=cutoff)
    deleted = 0
    while True:
        ids = list(finished.order_by("finished_at").values_list("pk", flat=True)[:chunk])
        if not ids:
            return deleted
        deleted += Job.objects.filter(pk__in=ids).delete()[0]
