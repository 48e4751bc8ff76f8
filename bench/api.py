"""Benchmarks of the supplier API, as a supplier's system meets it: the production web server
(gunicorn, 2 workers, DEBUG off) on a copy of the council in PostgreSQL.

- `api.ticket_get_p95_ms`: GET one ticket by its reference, over a sample of the busiest
  supplier's tickets (a few of them carrying many notes), one request at a time per worker
  over keep-alive connections; 95th percentile.
- `api.ticket_get_queries`: the queries one such GET costs, counted in-process for the
  ticket with the most notes and for one with none; the larger of the two.

Both run as production is meant to run with more than one web process: the rate limits'
counters in a shared Redis (REDIS_URL; a private redis-server on loopback here). The same
figures with the database cache instead (no REDIS_URL) are in the notes: each rate-limit hit
there costs about eleven queries of its own (`core.ratelimit` on Django's DatabaseCache).

Every answer in the load must be a 200 for the ticket asked for, or the benchmark fails.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from bench.council import TICKETS, council
from bench.harness import Measure, benchmark
from bench.server import DESCRIPTION, HOST, WORKERS, free_port, production_server

SAMPLE = int(os.environ.get("BENCH_API_SAMPLE", "400"))
GETS = int(os.environ.get("BENCH_API_GETS", "1500"))
NOTED_TICKETS = 4
NOTES_EACH = int(os.environ.get("BENCH_API_NOTES", "250"))
WARM_UP = 40
# The proxy in front of production says the client came over HTTPS (BEHIND_TLS_PROXY=1).
REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "KEY_PREFIX": "interchange",
}
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"}


@benchmark
def api_ticket_get() -> list[Measure]:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with council(run="api") as url, _redis() as redis_url:
        # The database cache (used without REDIS_URL) is a table the council's copy lacks.
        call_command("createcachetable", verbosity=0)
        supplier, secret, held = _supplier_key()
        rng = random.Random(2026)
        sample = rng.sample(held, min(SAMPLE, len(held)))
        noted = sample[:NOTED_TICKETS]
        _add_notes(noted)
        quiet = _ticket_without_notes(sample)
        # The default configuration (no REDIS_URL: rate counters in a table of the database)
        # is the headline; with Redis, in the notes.
        queries = {
            "most_notes": _queries(secret, noted[0]),
            "no_notes": _queries(secret, quiet),
        }
        redis_cache = {"default": {**REDIS_CACHE, "LOCATION": redis_url}}
        with override_settings(CACHES=redis_cache, REDIS_URL=redis_url):
            redis_queries = {
                "most_notes": _queries(secret, noted[0]),
                "no_notes": _queries(secret, quiet),
            }
        with production_server(url, environment={"REDIS_URL": None}) as server:
            latencies = sorted(_load(server.port, secret, sample, noted, rng))
        with production_server(url, environment={"REDIS_URL": redis_url}) as server:
            redis_latencies = sorted(_load(server.port, secret, sample, noted, rng))
    common = {
        "tickets": TICKETS,
        "supplier": supplier,
        "supplier_tickets": len(held),
        "server": DESCRIPTION,
        "cache": "database (no REDIS_URL)",
        # The machine is shared: latencies mean little when it is busy with other work.
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
    return [
        Measure(
            "api.ticket_get_p95_ms",
            _percentile(latencies, 0.95),
            "ms",
            target="< 20",
            notes={
                **common,
                "requests": len(latencies),
                "sampled_tickets": len(sample),
                "tickets_with_notes": NOTED_TICKETS,
                "notes_each": NOTES_EACH,
                "concurrency": WORKERS,
                "p50_ms": round(_percentile(latencies, 0.50), 2),
                "p99_ms": round(_percentile(latencies, 0.99), 2),
                "max_ms": round(latencies[-1], 2),
                "redis_p50_ms": round(_percentile(redis_latencies, 0.50), 2),
                "redis_p95_ms": round(_percentile(redis_latencies, 0.95), 2),
            },
        ),
        Measure(
            "api.ticket_get_queries",
            max(queries.values()),
            "queries",
            target="<= 10",
            notes={
                **common,
                **queries,
                "notes_on_most_noted": NOTES_EACH,
                "redis_most_notes": redis_queries["most_notes"],
                "redis_no_notes": redis_queries["no_notes"],
            },
        ),
    ]


def _supplier_key() -> tuple[str, str, list[str]]:
    """The supplier holding the most tickets, a key for its system (issued by an
    administrator, its rate limit above the load) and the references it holds."""
    from interchange.accounts.models import ApiKey, Role, User
    from interchange.accounts.services import api_key_create
    from interchange.servicedesk.models import Ticket
    from interchange.suppliers.models import Supplier

    busiest = (
        Ticket.objects.exclude(holder_supplier=None)
        .values("holder_supplier")
        .annotate(held=Count("pk"))
        .order_by("-held")
        .first()
    )
    if busiest is None:
        raise RuntimeError("no supplier holds a ticket in the council")
    supplier = Supplier.objects.get(pk=busiest["holder_supplier"])
    admin = User.objects.filter(role=Role.ADMINISTRATOR, is_active=True).order_by("pk").first()
    if admin is None:
        raise RuntimeError("the council has no administrator to issue an API key")
    _, secret = api_key_create(
        actor=admin,
        name="Benchmark works system",
        kind=ApiKey.Kind.SUPPLIER_SYSTEM,
        supplier=supplier,
        rate_limit_per_minute=10_000_000,
    )
    held = [
        t.reference
        for t in Ticket.objects.filter(holder_supplier=supplier).only("pk", "type").iterator()
    ]
    return supplier.code, secret, held


def _ticket(reference: str):
    from interchange.servicedesk.models import Ticket

    return Ticket.objects.get(pk=int(reference.split("-")[1]))


def _add_notes(references: list[str]) -> None:
    """Many notes on a few tickets, through the service desk like any others."""
    from interchange.servicedesk.actors import System
    from interchange.servicedesk.services import ticket_add_note

    for reference in references:
        ticket = _ticket(reference)
        for n in range(NOTES_EACH):
            ticket = ticket_add_note(
                ticket=ticket, actor=System(), body=f"Site visit {n}", public=n % 3 == 0
            )


def _ticket_without_notes(sample: list[str]) -> str:
    from interchange.servicedesk.models import TicketEvent

    for reference in sample[NOTED_TICKETS:]:
        ticket = _ticket(reference)
        if not TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE).exists():
            return reference
    raise RuntimeError("every sampled ticket has notes")


def _queries(secret: str, reference: str) -> int:
    client = Client(HTTP_HOST="localhost")
    headers = {"Authorization": f"Bearer {secret}"}
    path = f"/api/v1/tickets/{reference}"
    client.get(path, headers=headers)  # the key's last use is recorded at most once a minute
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers=headers)
    if response.status_code != 200 or response.json()["id"] != reference:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return len(captured.captured_queries)


def _load(
    port: int, secret: str, sample: list[str], noted: list[str], rng: random.Random
) -> list[float]:
    """GETS requests spread over the sample, one at a time from each of WORKERS threads."""
    headers = {"Authorization": f"Bearer {secret}", **PROXY_HEADERS}
    base = f"http://{HOST}:{port}/api/v1/tickets/"
    # A tenth of the requests read the tickets with many notes; the rest spread over the sample.
    order = [noted[i % len(noted)] for i in range(GETS // 10)]
    order += [sample[i % len(sample)] for i in range(GETS - GETS // 10)]
    rng.shuffle(order)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker(references: list[str]) -> None:
        with httpx.Client(headers=headers, timeout=30) as client:
            for reference in references[:WARM_UP]:
                client.get(base + reference)
            for reference in references:
                start = time.perf_counter()
                response = client.get(base + reference)
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    if response.status_code != 200 or response.json()["id"] != reference:
                        failures.append(f"{reference}: {response.status_code}")
                    latencies.append(elapsed)

    threads = [threading.Thread(target=worker, args=(order[n::WORKERS],)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} GETs failed, first: {failures[:3]}")
    return latencies


def _percentile(sorted_values: list[float], share: float) -> float:
    values = sorted(sorted_values)
    index = min(len(values) - 1, max(0, round(share * len(values)) - 1))
    return values[index]


# --- The production server -------------------------------------------------------------------


@contextmanager
def _redis() -> Iterator[str]:
    """A private, memory-only redis-server on a free loopback port."""
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("redis-server is needed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [server, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://{HOST}:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
