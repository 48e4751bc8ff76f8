"""The durable-job worker: claims due jobs, runs their handlers, reschedules or fails them, and
runs the periodic scans, all as plain functions that `manage.py worker` loops over.

Guarantees, and what they ask of handlers:

- A job's handler runs inside one transaction with the update that marks the job done, so
  the handler's writes and "done" commit together or not at all.
- A claimed job carries a lease (`locked_until`). A worker killed mid-job loses the
  transaction, so the row is still pending; once the lease runs out another worker claims it
  and the handler runs again. Delivery is therefore at least once: **handlers must be
  idempotent** (check for the effect before making it, use a unique key, send with an
  idempotency key), and outside effects (HTTP, email) may happen again after a crash.
- On PostgreSQL any number of workers run side by side: claims use `SELECT … FOR UPDATE SKIP
  LOCKED`, and a running job's row stays locked, so a job is never run by two workers at once
  even if it outlives its lease. SQLite runs one worker (the command refuses a second on the
  same database file); there the handler holds SQLite's write lock while it runs, so keep
  handlers short.
- Every claim counts an attempt. A failure is retried after an exponential backoff with full
  jitter until `max_attempts`; then the job is failed for a person to see and `replay`. A job
  whose worker died during its last attempt is failed rather than run again, so a job that
  kills its worker cannot take every worker down in turn.
"""

from __future__ import annotations

import fcntl
import logging
import random
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.core.jobs import HANDLERS, OUTSIDE_TRANSACTION, PERIODIC, Periodic, idle_limit
from interchange.core.models import Job, PeriodicRun, WorkerHeartbeat

logger = logging.getLogger("interchange.worker")

# Retry n waits a random time up to min(cap, base · 2^(n−1)): 10 s, 20 s, 40 s … 1 h.
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(hours=1)
# Full jitter can draw zero; a floor keeps a failing job from spinning its worker.
BACKOFF_FLOOR = timedelta(seconds=1)
# The loop writes its heartbeat this often; well inside HEARTBEAT_STALE_SECONDS.
HEARTBEAT_EVERY = timedelta(seconds=10)
# Heartbeats of workers gone this long are deleted (each process has its own row).
HEARTBEAT_KEEP = timedelta(days=7)
# last_error keeps the end of the traceback, where the cause is.
ERROR_FRAMES = 5
ERROR_CHARS = 4000

Random = Callable[[], float]


class AnotherWorkerIsRunning(RuntimeError):
    """A second worker was started on a SQLite database that already has one."""


def _due(at: datetime) -> QuerySet[Job]:
    # Ordered like the partial index core_job_due, which serves this query.
    return (
        Job.objects.filter(state=Job.State.PENDING, next_attempt_at__lte=at)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=at))
        .order_by("next_attempt_at", "id")
    )


def _skip_locked() -> bool:
    return bool(connection.features.has_select_for_update_skip_locked)


def claim(*, worker: str, limit: int, lease: timedelta, at: datetime | None = None) -> list[Job]:
    """Lease up to `limit` due jobs to `worker` until `at + lease`, counting an attempt each.

    Jobs already at `max_attempts` (their worker died during the last one) are failed instead.
    """
    at = at or timezone.now()
    # A plain read first: an idle worker then takes no lock (on SQLite, the write lock).
    if not _due(at).exists():
        return []
    with transaction.atomic():
        rows = list(_due(at).select_for_update(skip_locked=_skip_locked())[:limit])
        exhausted = [job.pk for job in rows if job.attempts >= job.max_attempts]
        claimed = [job for job in rows if job.attempts < job.max_attempts]
        if exhausted:
            Job.objects.filter(pk__in=exhausted).update(
                state=Job.State.FAILED,
                finished_at=at,
                locked_until=None,
                locked_by="",
                last_error=_(
                    "The worker stopped during the last allowed attempt (killed, or it lost "
                    "the database) and the job's lease ran out."
                ),
            )
            for pk in exhausted:
                logger.error(
                    "job #%s failed: its worker stopped during the last attempt",
                    pk,
                    extra={"event": "job.failed", "job_id": pk, "worker": worker},
                )
        if claimed:
            Job.objects.filter(pk__in=[job.pk for job in claimed]).update(
                attempts=F("attempts") + 1, locked_until=at + lease, locked_by=worker
            )
    for job in claimed:
        job.attempts += 1
        job.locked_until = at + lease
        job.locked_by = worker
    return claimed


def release(jobs: list[Job], *, worker: str) -> int:
    """Give back claimed jobs that were not started (a stopping worker), uncounting the attempt."""
    return Job.objects.filter(
        pk__in=[job.pk for job in jobs], state=Job.State.PENDING, locked_by=worker
    ).update(locked_until=None, locked_by="", attempts=F("attempts") - 1)


def backoff(attempts: int, *, rand: Random = random.random) -> timedelta:
    """How long to wait before retrying after failed attempt number `attempts` (from 1):
    uniformly random up to min(1 h, 10 s · 2^(attempts−1)), at least one second."""
    # The exponent is capped so a large attempt count cannot overflow timedelta.
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(max(attempts - 1, 0), 20))
    return max(BACKOFF_FLOOR, ceiling * rand())


def _short_traceback(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc, limit=-ERROR_FRAMES))
    return text[-ERROR_CHARS:]


def _own(job: Job, worker: str) -> Job | None:
    """The job's row, locked, while it is still leased to `worker`; None once another worker
    has taken it (the lease ran out) or is running it."""
    return (
        Job.objects.select_for_update(skip_locked=_skip_locked())
        .filter(pk=job.pk, state=Job.State.PENDING, locked_by=worker)
        .first()
    )


def _log(level: int, message: str, job: Job, worker: str, event: str, **extra: Any) -> None:
    logger.log(
        level,
        message,
        job.kind,
        job.pk,
        job.attempts,
        job.max_attempts,
        extra={
            "event": event,
            "job_id": job.pk,
            "kind": job.kind,
            "attempt": job.attempts,
            "worker": worker,
            **extra,
        },
    )


def run_job(
    job: Job, *, worker: str, at: datetime | None = None, rand: Random = random.random
) -> str | None:
    """Run a job claimed by `worker` and record the outcome: done, pending again after a
    backoff, or failed. Returns the new state, or None when the job is no longer `worker`'s."""
    handle = HANDLERS.get(job.kind)
    if handle is None:
        error = _(
            "No handler is registered for job kind “%(kind)s”. Check that the app which owns "
            "it is installed and registers it at start-up, then replay the job."
        ) % {"kind": job.kind}
        return _record_failure(job, worker=worker, at=at, error=error, rand=rand, retry=False)
    _log(logging.INFO, "job %s #%s started (attempt %s of %s)", job, worker, "job.started")
    started = time.monotonic()
    try:
        if job.kind in OUTSIDE_TRANSACTION:
            if not _run_outside_transaction(job, handle, worker=worker, at=at):
                return None
        else:
            with transaction.atomic():
                current = _own(job, worker)
                if current is None:
                    _lost(job, worker)
                    return None
                handle(current.payload)
                _mark_done(job, at)
    except Exception as exc:  # any handler error is the job's failure, not the worker's
        state = _record_failure(
            job, worker=worker, at=at, error=_short_traceback(exc), rand=rand, retry=True
        )
        final = state == Job.State.FAILED
        outcome = "" if final else ", will retry" if state else ", lease already lost"
        _log(
            logging.ERROR if final else logging.WARNING,
            "job %s #%s failed (attempt %s of %s)" + outcome,
            job,
            worker,
            "job.failed" if final else "job.retry",
            error=f"{exc.__class__.__name__}: {exc}"[:500],
            duration_ms=round((time.monotonic() - started) * 1000),
        )
        return state
    _log(
        logging.INFO,
        "job %s #%s done (attempt %s of %s)",
        job,
        worker,
        "job.done",
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    return Job.State.DONE


def _run_outside_transaction(
    job: Job, handle: Callable[[dict[str, Any]], None], *, worker: str, at: datetime | None
) -> bool:
    """Run a handler registered with atomic=False: no transaction around its remote call."""
    with transaction.atomic():
        current = _own(job, worker)
    if current is None:
        _lost(job, worker)
        return False
    handle(current.payload)
    with transaction.atomic():
        if _own(job, worker) is None:
            _lost(job, worker)
            return False
        _mark_done(job, at)
    return True


def _mark_done(job: Job, at: datetime | None) -> None:
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.DONE,
        finished_at=at or timezone.now(),
        locked_until=None,
        locked_by="",
        last_error="",
    )


def _lost(job: Job, worker: str) -> None:
    _log(logging.WARNING, "job %s #%s skipped: lease lost (%s/%s)", job, worker, "job.lost")


def _record_failure(
    job: Job, *, worker: str, at: datetime | None, error: str, rand: Random, retry: bool
) -> str | None:
    now = at or timezone.now()
    with transaction.atomic():
        current = _own(job, worker)
        if current is None:
            return None
        current.locked_until = None
        current.locked_by = ""
        current.last_error = error
        if retry and current.attempts < current.max_attempts:
            current.next_attempt_at = now + backoff(current.attempts, rand=rand)
        else:
            current.state = Job.State.FAILED
            current.finished_at = now
        current.save(
            update_fields=[
                "state",
                "next_attempt_at",
                "locked_until",
                "locked_by",
                "last_error",
                "finished_at",
            ]
        )
    if current.state == Job.State.FAILED and not retry:
        _log(logging.ERROR, "job %s #%s failed (attempt %s of %s)", job, worker, "job.failed")
    return current.state


def replay(job: Job, at: datetime | None = None) -> bool:
    """Put a failed job back in the queue, due now with its attempts reset; False when the
    job was not failed (nothing changes). Its last error stays until it next runs."""
    changed = Job.objects.filter(pk=job.pk, state=Job.State.FAILED).update(
        state=Job.State.PENDING,
        attempts=0,
        next_attempt_at=at or timezone.now(),
        locked_until=None,
        locked_by="",
        finished_at=None,
    )
    if changed:
        job.refresh_from_db()
    return bool(changed)


def _claim_scan(scan: Periodic, at: datetime) -> bool:
    """Record `at` as the scan's run when it is due; False when it is not, or another caller
    is claiming it right now."""
    with transaction.atomic():
        row = (
            PeriodicRun.objects.select_for_update(skip_locked=_skip_locked())
            .filter(name=scan.name)
            .first()
        )
        if row is None:
            try:
                # A savepoint, so a concurrent first run's insert fails only this statement.
                with transaction.atomic():
                    PeriodicRun.objects.create(name=scan.name, last_run_at=at)
            except IntegrityError:
                return False
            return True
        if row.last_run_at + scan.every > at:
            return False
        row.last_run_at = at
        row.save(update_fields=["last_run_at"])
    return True


def run_periodic(*, at: datetime | None = None) -> list[str]:
    """Run each registered scan whose interval has passed since its last run, once across
    all callers; returns the names of the scans this call ran.

    The run is claimed in a short transaction and the scan runs outside it, managing its own
    transactions; a scan that fails is logged and tried again after its next interval. A scan
    slower than its interval may overlap the next run, so scans claim their own rows (SKIP
    LOCKED) and are idempotent, like handlers.
    """
    at = at or timezone.now()
    if not PERIODIC:
        return []
    last = dict(
        PeriodicRun.objects.filter(name__in=list(PERIODIC)).values_list("name", "last_run_at")
    )
    ran = []
    for name in sorted(PERIODIC):
        scan = PERIODIC[name]
        previous = last.get(name)
        # Read without a lock first, so an idle loop takes no write lock.
        if previous is not None and previous + scan.every > at:
            continue
        if not _claim_scan(scan, at):
            continue
        started = time.monotonic()
        try:
            scan.run(at)
        except Exception:  # one failing scan must not stop the others, or the jobs
            logger.exception(
                "periodic scan %s failed", name, extra={"event": "scan.failed", "scan": name}
            )
            continue
        ran.append(name)
        # Debug: some scans run every second, which would drown the log.
        logger.debug(
            "periodic scan %s ran",
            name,
            extra={
                "event": "scan.done",
                "scan": name,
                "duration_ms": round((time.monotonic() - started) * 1000),
            },
        )
    return ran


def heartbeat(name: str, started_at: datetime, at: datetime | None = None) -> None:
    """Record that worker `name` is alive at `at`, and forget workers long gone."""
    at = at or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"started_at": started_at, "seen_at": at}
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=at - HEARTBEAT_KEEP).delete()


def queue_stats(at: datetime | None = None) -> dict[str, Any]:
    """The queue at `at`: pending, due (pending, due and not leased), running (leased), failed,
    the oldest due job's wait in seconds (None when nothing is due), and counts by kind."""
    at = at or timezone.now()
    pending = Q(state=Job.State.PENDING)
    leased = pending & Q(locked_until__gte=at)
    due = pending & Q(next_attempt_at__lte=at) & ~Q(locked_until__gte=at)
    rows = (
        Job.objects.filter(state__in=[Job.State.PENDING, Job.State.FAILED])
        .values("kind")
        .annotate(
            pending=Count("id", filter=pending),
            due=Count("id", filter=due),
            running=Count("id", filter=leased),
            failed=Count("id", filter=Q(state=Job.State.FAILED)),
            oldest_due=Min("next_attempt_at", filter=due),
        )
        .order_by("kind")
    )
    counts = ("pending", "due", "running", "failed")
    stats: dict[str, Any] = dict.fromkeys(counts, 0)
    by_kind: dict[str, dict[str, int]] = {}
    oldest: datetime | None = None
    for row in rows:
        by_kind[row["kind"]] = {key: row[key] for key in counts}
        for key in counts:
            stats[key] += row[key]
        if row["oldest_due"] is not None and (oldest is None or row["oldest_due"] < oldest):
            oldest = row["oldest_due"]
    stats["oldest_due_age_seconds"] = (at - oldest).total_seconds() if oldest else None
    stats["by_kind"] = by_kind
    return stats


def work_once(
    *,
    worker: str,
    started_at: datetime,
    batch: int,
    lease: timedelta,
    at: datetime | None = None,
    beat: bool = True,
    stop: threading.Event | None = None,
) -> int:
    """One turn of the loop: heartbeat (when `beat`), due periodic scans, then claim up to
    `batch` jobs and run them; returns how many were claimed. Once `stop` is set, the jobs
    not yet started are released and the turn ends after the current one."""
    if beat:
        heartbeat(worker, started_at, at)
    run_periodic(at=at)
    jobs = claim(worker=worker, limit=batch, lease=lease, at=at)
    for index, job in enumerate(jobs):
        if stop is not None and stop.is_set():
            release(jobs[index:], worker=worker)
            break
        run_job(job, worker=worker, at=at)
    return len(jobs)


def run_forever(
    *,
    worker: str,
    stop_event: threading.Event,
    batch: int | None = None,
    poll: float | None = None,
    lease: timedelta | None = None,
) -> None:
    """Loop `work_once` until `stop_event` is set (finishing the current job first), sleeping
    `poll` seconds when the queue is empty and riding out database outages."""
    batch = batch or settings.WORKER_BATCH
    poll = settings.WORKER_POLL_SECONDS if poll is None else poll
    lease = lease or timedelta(seconds=settings.WORKER_LEASE_SECONDS)
    started_at = timezone.now()
    last_beat: datetime | None = None
    logger.info("worker %s started", worker, extra={"event": "worker.started", "worker": worker})
    try:
        while not stop_event.is_set():
            close_old_connections()
            now = timezone.now()
            beat = last_beat is None or now - last_beat >= HEARTBEAT_EVERY
            try:
                claimed = work_once(
                    worker=worker,
                    started_at=started_at,
                    batch=batch,
                    lease=lease,
                    beat=beat,
                    stop=stop_event,
                )
            except DatabaseError as exc:
                # Leased jobs stay leased and run again after the lease; nothing is lost.
                logger.warning(
                    "worker %s: database error, retrying in %s s: %s",
                    worker,
                    max(poll, 5),
                    exc.__class__.__name__,
                    extra={"event": "worker.db_error", "worker": worker},
                )
                connection.close()
                stop_event.wait(max(poll, 5))
                continue
            if beat:
                last_beat = now
            if claimed < batch:
                stop_event.wait(idle_limit(poll))
    finally:
        # If the database is gone the row just goes stale and is pruned later.
        with suppress(DatabaseError):
            WorkerHeartbeat.objects.filter(name=worker).delete()
        logger.info(
            "worker %s stopped", worker, extra={"event": "worker.stopped", "worker": worker}
        )


@contextmanager
def single_sqlite_worker(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Hold the one-worker lock of the SQLite database file while the block runs (see
    `sqlite_worker_lock`); no-op on PostgreSQL and for in-memory databases."""
    db = connections[alias]
    if db.vendor != "sqlite" or db.is_in_memory_db():  # type: ignore[attr-defined]
        yield
        return
    with sqlite_worker_lock(Path(db.settings_dict["NAME"])):
        yield


@contextmanager
def sqlite_worker_lock(database: Path) -> Iterator[None]:
    """Hold the worker lock of SQLite file `database`, or raise AnotherWorkerIsRunning.

    An OS file lock, not a row: the kernel drops it when its process dies, even by SIGKILL,
    so a restarted worker never waits for a dead one.
    """
    lock_path = database.with_name(database.name + ".worker-lock")
    with lock_path.open("a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AnotherWorkerIsRunning(
                _(
                    "Another worker is already running on the SQLite database %(path)s. "
                    "SQLite runs one worker; use PostgreSQL to run several."
                )
                % {"path": database}
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
