"""Sending deliveries: claim due ones in batches, POST each (signed, pinned to its checked
address, over a kept-alive connection per endpoint), and record what happened.

- Claims take up to a batch of due deliveries (`SELECT … FOR UPDATE SKIP LOCKED` on
  PostgreSQL, so any number of workers share the queue) and lease them to the worker; a
  worker killed mid-delivery loses the lease and the delivery goes out again after it
  (at least once; receivers deduplicate by webhook-id).
- No transaction is open while a receiver answers. Outcomes of a batch are recorded in one
  transaction, each only while the delivery is still this worker's.
- Every 2xx is delivered. Anything else (3xx, since redirects are not followed; 4xx; 5xx; a
  timeout; a refused address) is retried after an exponential backoff with jitter, never
  sooner than the receiver's Retry-After, until MAX_ATTEMPTS; then the delivery is dead,
  and the supplier's technical contacts and the integrator leads are told (at most once
  an hour per endpoint). 410 Gone turns the endpoint off at once and dead-letters what it
  still had to deliver; they can be replayed once it is back on.
- Per ticket and endpoint, deliveries go strictly in order: only the earliest unfinished one
  has a `next_attempt_at`; finishing it (delivered or dead) releases the next in the same
  transaction (see `fanout._waits` for the other side of that race).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.exchange import guard, notices, signing
from interchange.exchange.models import UNFINISHED, Delivery, Endpoint, EndpointSecret

logger = logging.getLogger("interchange.exchange")

# Attempt n (from 1) that fails waits between half and all of min(CAP, BASE · 2^(n−1)):
# 15 s, 30 s, 1 min … 2 h; twelve attempts give a receiver three to six hours to recover.
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(hours=2)
MAX_ATTEMPTS = 12
# A receiver's Retry-After is honoured up to this; beyond it, we try again anyway.
RETRY_AFTER_CAP = timedelta(hours=6)
BATCH = 50
# One run of the scan delivers for at most this long, so other jobs get their turn.
RUN_BUDGET_SECONDS = 2.0
# Outcomes are committed at least this often while a batch is being sent.
FLUSH_SECONDS = 0.1
# Deliveries a worker sends at once (threads waiting on receivers; each endpoint keeps up to
# this many connections alive).
SENDERS = 8
ERROR_CHARS = 2000
RESPONSE_BYTES = 4096
USER_AGENT = "Interchange-Webhooks/1"

Random = Callable[[], float]
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code (or None), an error, timing, a Retry-After."""

    delivered: bool
    status_code: int | None = None
    error: str = ""
    response_ms: int | None = None
    retry_after: timedelta | None = None

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def backoff(
    attempts: int, *, retry_after: timedelta | None = None, rand: Random = random.random
) -> timedelta:
    """How long to wait after failed attempt number `attempts` (from 1): a random time
    between half and all of min(2 h, 15 s · 2^(attempts−1)), and at least the receiver's
    Retry-After (capped at six hours)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(max(attempts - 1, 0), 20))
    delay = ceiling * (0.5 + 0.5 * rand())
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
    return delay


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds, or an HTTP date) as a wait; None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(timedelta(0), when - now)


# --- claiming ---------------------------------------------------------------------------


def _skip_locked() -> bool:
    return bool(connection.features.has_select_for_update_skip_locked)


def due(at: datetime) -> QuerySet[Delivery]:
    """Deliveries due at `at` and not leased, in the order of the partial index that serves it."""
    return (
        Delivery.objects.filter(status__in=UNFINISHED, next_attempt_at__lte=at)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=at))
        .order_by("next_attempt_at", "id")
    )


def claim(*, worker: str, limit: int, at: datetime, lease: timedelta) -> list[Delivery]:
    """Lease up to `limit` due deliveries to `worker`, counting an attempt each. Those whose
    worker died during their last attempt are dead-lettered instead."""
    if not due(at).exists():
        return []
    with transaction.atomic():
        rows = list(
            due(at)
            .select_for_update(skip_locked=_skip_locked(), of=("self",))
            .select_related("endpoint")[:limit]
        )
        exhausted = [d for d in rows if d.attempts >= MAX_ATTEMPTS]
        claimed = [d for d in rows if d.attempts < MAX_ATTEMPTS]
        for delivery in exhausted:
            _finish_dead(
                delivery,
                at=at,
                error=_(
                    "The worker stopped during the last allowed attempt and its lease ran out."
                ),
            )
        if claimed:
            Delivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
                status=Delivery.Status.DELIVERING,
                attempts=F("attempts") + 1,
                locked_until=at + lease,
                locked_by=worker,
            )
    for delivery in claimed:
        delivery.status = Delivery.Status.DELIVERING
        delivery.attempts += 1
        delivery.locked_until = at + lease
        delivery.locked_by = worker
    return claimed


# --- sending ----------------------------------------------------------------------------

# Endpoint id → client: each endpoint keeps its own pool of kept-alive connections (to the
# address it was pinned to), so consecutive deliveries skip the TCP and TLS handshakes.
_CLIENTS: dict[tuple[int, str], httpx.Client] = {}


_CLIENTS_LOCK = threading.Lock()


def _client(key: tuple[int, str]) -> httpx.Client:
    """The client of an endpoint and host name: a connection verified for one name is never
    reused for another, even on the same address."""
    with _CLIENTS_LOCK:
        return _CLIENTS.get(key) or _new_client(key)


def _new_client(key: tuple[int, str]) -> httpx.Client:
    client = httpx.Client(
        follow_redirects=False,
        trust_env=False,  # no proxy from the environment: we connect where we checked
        limits=httpx.Limits(max_connections=SENDERS, max_keepalive_connections=SENDERS),
        headers={"User-Agent": USER_AGENT},
    )
    _CLIENTS[key] = client
    return client


def close_clients() -> None:
    """Close every kept-alive connection (tests, and a process that is stopping)."""
    with _CLIENTS_LOCK:
        for client in _CLIENTS.values():
            client.close()
        _CLIENTS.clear()


def live_salts(endpoint_id: int, at: datetime) -> list[str]:
    """The salts of the endpoint's active secrets, newest first."""
    return list(
        EndpointSecret.objects.filter(endpoint_id=endpoint_id, retired_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))
        .order_by("-created_at", "-id")
        .values_list("salt", flat=True)
    )


def attempt(delivery: Delivery, *, salts: list[str]) -> Outcome:
    """POST the delivery once and say what happened (no database access)."""
    started = time.monotonic()
    try:
        if not salts:
            return Outcome(delivered=False, error=_("The endpoint has no active signing secret."))
        target = guard.pin(delivery.endpoint.url)
        headers = {
            **signing.sign_headers(message_id=delivery.message_id, body=delivery.body, salts=salts),
            "Content-Type": "application/json",
            "Host": target.host_header,
        }
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
        with _client((delivery.endpoint_id, target.host_header)).stream(
            "POST",
            target.url,
            content=delivery.body.encode(),
            headers=headers,
            extensions=extensions,
            timeout=httpx.Timeout(
                connect=float(settings.EXCHANGE_CONNECT_TIMEOUT_S),
                read=float(settings.EXCHANGE_READ_TIMEOUT_S),
                write=float(settings.EXCHANGE_READ_TIMEOUT_S),
                pool=float(settings.EXCHANGE_CONNECT_TIMEOUT_S),
            ),
        ) as response:
            text = _read_some(response)
    except guard.ForbiddenTarget as exc:
        return Outcome(delivered=False, error=str(exc))
    except httpx.TimeoutException as exc:
        return Outcome(
            delivered=False,
            error=_("No answer in time (%(kind)s).") % {"kind": type(exc).__name__},
            response_ms=_ms(started),
        )
    except httpx.HTTPError as exc:
        return Outcome(
            delivered=False,
            error=_("Could not connect: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"},
            response_ms=_ms(started),
        )
    elapsed = _ms(started)
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(delivered=True, status_code=code, response_ms=elapsed)
    if 300 <= code < 400:
        error = _("The receiver redirected to %(location)s; redirects are not followed.") % {
            "location": response.headers.get("location", "?")
        }
    elif code == 410:
        error = _("The receiver answered 410 Gone: the endpoint was turned off.")
    else:
        error = _("The receiver answered HTTP %(code)s: %(text)s") % {
            "code": code,
            "text": text[:500],
        }
    return Outcome(
        delivered=False,
        status_code=code,
        error=error,
        response_ms=elapsed,
        retry_after=parse_retry_after(response.headers.get("retry-after"), now=timezone.now()),
    )


def _read_some(response: httpx.Response) -> str:
    """Up to RESPONSE_BYTES of the answer: a receiver cannot make a worker read gigabytes
    (a longer answer is cut off, and its connection closed rather than reused)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_BYTES:
            break
    return b"".join(chunks)[:RESPONSE_BYTES].decode("utf-8", "replace")


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


# --- recording --------------------------------------------------------------------------


def record(
    delivery: Delivery, outcome: Outcome, *, worker: str, at: datetime, rand: Random = random.random
) -> str | None:
    """Record one attempt's outcome, if the delivery is still `worker`'s; returns the new
    status, or None when its lease was lost (another worker has it now)."""
    with transaction.atomic():
        return _record(delivery, outcome, worker=worker, at=at, rand=rand)


def _record(
    delivery: Delivery, outcome: Outcome, *, worker: str, at: datetime, rand: Random
) -> str | None:
    mine = Delivery.objects.filter(pk=delivery.pk, locked_by=worker)
    common = {
        "locked_until": None,
        "locked_by": "",
        "last_status_code": outcome.status_code,
        "last_response_ms": outcome.response_ms,
    }
    if outcome.delivered:
        if not mine.update(
            status=Delivery.Status.DELIVERED,
            delivered_at=at,
            next_attempt_at=None,
            last_error="",
            **common,
        ):
            return None
        _release_next(delivery, at)
        return Delivery.Status.DELIVERED
    error = outcome.error[:ERROR_CHARS]
    if outcome.gone:
        if not mine.update(**common):
            return None
        endpoint_disable(delivery.endpoint, reason=error, at=at, tell=True)
        return Delivery.Status.DEAD
    if delivery.attempts >= MAX_ATTEMPTS:
        if not mine.update(**common):
            return None
        _finish_dead(delivery, at=at, error=error)
        return Delivery.Status.DEAD
    if not mine.update(
        status=Delivery.Status.FAILED,
        next_attempt_at=at + backoff(delivery.attempts, retry_after=outcome.retry_after, rand=rand),
        last_error=error,
        **common,
    ):
        return None
    return Delivery.Status.FAILED


def _finish_dead(delivery: Delivery, *, at: datetime, error: str) -> None:
    """Dead-letter one delivery, release the next of its ticket, tell people (throttled)."""
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.DEAD,
        dead_at=at,
        next_attempt_at=None,
        locked_until=None,
        locked_by="",
        last_error=error[:ERROR_CHARS],
    )
    _release_next(delivery, at)
    logger.warning(
        "webhook delivery %s to endpoint %s dead-lettered: %s",
        delivery.pk,
        delivery.endpoint_id,
        error[:300],
        extra={"event": "exchange.dead", "delivery_id": delivery.pk},
    )
    notices.dead_letter(delivery.endpoint_id, at=at)


def _release_next(delivery: Delivery, at: datetime) -> None:
    """Make the next waiting delivery of the same ticket and endpoint due, if the earliest
    unfinished one of that chain is waiting."""
    if delivery.ticket_id is None:
        return
    chain = Delivery.objects.filter(
        endpoint_id=delivery.endpoint_id, ticket_id=delivery.ticket_id, status__in=UNFINISHED
    )
    head = chain.order_by("sequence", "id").values("pk", "next_attempt_at").first()
    if head is not None and head["next_attempt_at"] is None:
        Delivery.objects.filter(pk=head["pk"], next_attempt_at__isnull=True).update(
            next_attempt_at=at
        )


def endpoint_disable(endpoint: Endpoint, *, reason: str, at: datetime, tell: bool) -> int:
    """Turn the endpoint off and dead-letter what it still had to deliver (they can be
    replayed once it is back on); returns how many. `tell`: email its supplier and leads."""
    changed = Endpoint.objects.filter(pk=endpoint.pk, active=True).update(
        active=False, disabled_reason=reason[:500], disabled_at=at, updated_at=at
    )
    dead = Delivery.objects.filter(endpoint_id=endpoint.pk, status__in=UNFINISHED).update(
        status=Delivery.Status.DEAD,
        dead_at=at,
        next_attempt_at=None,
        locked_until=None,
        locked_by="",
        last_error=reason[:ERROR_CHARS],
    )
    endpoint.active = False
    endpoint.disabled_reason = reason[:500]
    endpoint.disabled_at = at
    if changed and tell:
        notices.endpoint_disabled(endpoint.pk, reason=reason, at=at)
    return dead


# --- the worker's loop --------------------------------------------------------------------


def deliver_due(
    *,
    worker: str = WORKER_NAME,
    at: datetime | None = None,
    limit: int = BATCH,
    budget: float | None = None,
    rand: Random = random.random,
) -> int:
    """Claim and send due deliveries, a batch at a time, until none is due or `budget`
    seconds have passed (one batch when `budget` is None); returns how many were attempted.

    A batch is sent SENDERS at a time in parallel (never two of one ticket and endpoint
    together), so a receiver far away does not make the worker wait out each round trip in
    turn. Outcomes are committed together, but at least every FLUSH_SECONDS, so a slow
    receiver neither holds up the next delivery of a ticket nor lets a lease run out
    unrecorded; a batch that has used half its lease stops and gives back what it has not
    started. `at` fixes the clock for tests (due times and records); signatures always
    carry the real time, since receivers check it.
    """
    lease = timedelta(seconds=settings.EXCHANGE_LEASE_SECONDS)
    started = time.monotonic()
    sent = 0
    while True:
        now = at or timezone.now()
        claimed_at = time.monotonic()
        batch = claim(worker=worker, limit=limit, at=now, lease=lease)
        if not batch:
            return sent
        salts = {e: live_salts(e, now) for e in dict.fromkeys(d.endpoint_id for d in batch)}
        done: list[tuple[Delivery, Outcome]] = []
        last_flush = time.monotonic()
        groups = _groups(batch)
        for index, group in enumerate(groups):
            if time.monotonic() - claimed_at > lease.total_seconds() / 2:
                _flush(done, worker=worker, at=at, rand=rand)
                release([d for rest in groups[index:] for d in rest], worker=worker)
                return sent
            outcomes = _send_all(group, salts)
            done.extend(zip(group, outcomes, strict=True))
            sent += len(group)
            if time.monotonic() - last_flush > FLUSH_SECONDS:
                _flush(done, worker=worker, at=at, rand=rand)
                last_flush = time.monotonic()
        _flush(done, worker=worker, at=at, rand=rand)
        if len(batch) < limit or budget is None or time.monotonic() - started > budget:
            return sent


def _groups(batch: list[Delivery]) -> list[list[Delivery]]:
    """The batch in claimed order, cut into groups of at most SENDERS to send together; a
    second delivery of the same ticket and endpoint (a replay beside a new event) starts a
    new group, so it goes after the first."""
    groups: list[list[Delivery]] = [[]]
    keys: set[tuple[int, int]] = set()
    for delivery in batch:
        key = (delivery.endpoint_id, delivery.ticket_id or -delivery.pk)
        if len(groups[-1]) >= SENDERS or key in keys:
            groups.append([])
            keys = set()
        groups[-1].append(delivery)
        keys.add(key)
    return [group for group in groups if group]


_POOL: ThreadPoolExecutor | None = None


def _send_all(group: list[Delivery], salts: dict[int, list[str]]) -> list[Outcome]:
    """Attempt every delivery of `group` at once (threads: the work is waiting on sockets)."""
    global _POOL
    if len(group) == 1:
        return [attempt(group[0], salts=salts[group[0].endpoint_id])]
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="webhook")
    return list(_POOL.map(lambda d: attempt(d, salts=salts[d.endpoint_id]), group))


def _flush(
    done: list[tuple[Delivery, Outcome]], *, worker: str, at: datetime | None, rand: Random
) -> None:
    """Record the outcomes in `done` in one transaction, and empty it. The delivered ones
    (nearly all, usually) cost three queries together whatever their number; the others,
    rarer and each with its own next attempt, are recorded one by one."""
    if not done:
        return
    finished = at or timezone.now()
    delivered = {d.pk: (d, o) for d, o in done if o.delivered}
    with transaction.atomic():
        if delivered:
            _record_delivered(delivered, worker=worker, at=finished)
        for delivery, outcome in done:
            if not outcome.delivered:
                _record(delivery, outcome, worker=worker, at=finished, rand=rand)
    done.clear()


def _record_delivered(
    delivered: dict[int, tuple[Delivery, Outcome]], *, worker: str, at: datetime
) -> None:
    """Mark delivered, in one UPDATE, those of `delivered` still leased to `worker` (any whose
    lease was lost are another's now), then release the next delivery of their tickets."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    # PostgreSQL cannot infer the types of a VALUES list of parameters; SQLite needs none.
    cast = (
        ("::bigint", "::integer", "::integer") if connection.vendor == "postgresql" else ("",) * 3
    )
    row = f"(%s{cast[0]}, %s{cast[1]}, %s{cast[2]})"
    values: list[int | None] = []
    for pk, (_delivery, outcome) in delivered.items():
        values += [pk, outcome.status_code, outcome.response_ms]
    sql = (
        f"UPDATE {table} SET status = %s, delivered_at = %s, next_attempt_at = NULL, "  # noqa: S608 - our table name, values are parameters
        "locked_until = NULL, locked_by = '', last_error = '', "
        "last_status_code = v.code, last_response_ms = v.ms "
        "FROM (SELECT column1 AS pk, column2 AS code, column3 AS ms "
        f"FROM (VALUES {', '.join([row] * len(delivered))}) AS raw) AS v "
        f"WHERE {table}.id = v.pk AND {table}.locked_by = %s "
        f"RETURNING {table}.endpoint_id, {table}.ticket_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Delivery.Status.DELIVERED, at, *values, worker])
        chains = [(endpoint, ticket) for endpoint, ticket in cursor.fetchall() if ticket]
    if chains:
        release_heads(
            Delivery.objects.filter(
                endpoint_id__in={endpoint for endpoint, _ticket in chains},
                ticket_id__in={ticket for _endpoint, ticket in chains},
            ),
            at=at,
        )


def release(deliveries: list[Delivery], *, worker: str) -> int:
    """Give back claimed deliveries not yet attempted, uncounting the attempt."""
    released = 0
    for status, first in ((Delivery.Status.PENDING, True), (Delivery.Status.FAILED, False)):
        ids = [d.pk for d in deliveries if (d.attempts <= 1) == first]
        released += Delivery.objects.filter(
            pk__in=ids, locked_by=worker, status=Delivery.Status.DELIVERING
        ).update(status=status, locked_until=None, locked_by="", attempts=F("attempts") - 1)
    return released


def release_heads(deliveries: QuerySet[Delivery], *, at: datetime) -> int:
    """Make due every waiting delivery among `deliveries` with nothing unfinished ahead of
    it for its ticket and endpoint (one UPDATE); returns how many."""
    ahead = Delivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        ticket_id=OuterRef("ticket_id"),
        status__in=UNFINISHED,
        sequence__lt=OuterRef("sequence"),
    )
    return int(
        deliveries.filter(status=Delivery.Status.PENDING, next_attempt_at__isnull=True)
        .filter(~Exists(ahead))
        .update(next_attempt_at=at)
    )


def release_stuck(*, at: datetime) -> int:
    """A safety net run by the worker now and then: release any chain whose head waits with
    nothing ahead of it (`_release_next` does this as each delivery finishes)."""
    return release_heads(Delivery.objects.all(), at=at)
