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
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from bench.council import TICKETS, council
from bench.harness import Measure, benchmark

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WORKERS = 2
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
        redis_cache = {"default": {**REDIS_CACHE, "LOCATION": redis_url}}
        with override_settings(CACHES=redis_cache):
            queries = {
                "most_notes": _queries(secret, noted[0]),
                "no_notes": _queries(secret, quiet),
            }
        db_queries = {
            "most_notes": _queries(secret, noted[0]),
            "no_notes": _queries(secret, quiet),
        }
        with _server(url, redis_url=redis_url) as port:
            latencies = sorted(_load(port, secret, sample, noted, rng))
        with _server(url, redis_url=None) as port:
            db_latencies = sorted(_load(port, secret, sample, noted, rng))
    common = {
        "tickets": TICKETS,
        "supplier": supplier,
        "supplier_tickets": len(held),
        "server": f"gunicorn, {WORKERS} sync workers, DEBUG off",
        "cache": "redis (REDIS_URL)",
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
                "database_cache_p50_ms": round(_percentile(db_latencies, 0.50), 2),
                "database_cache_p95_ms": round(_percentile(db_latencies, 0.95), 2),
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
                "database_cache_most_notes": db_queries["most_notes"],
                "database_cache_no_notes": db_queries["no_notes"],
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(database_url: str, *, redis_url: str | None) -> Iterator[int]:
    """Gunicorn with production settings on a free loopback port, serving the copy."""
    port = _free_port()
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "interchange.settings",
        "DEBUG": "0",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "BEHIND_TLS_PROXY": "1",
        "LOG_LEVEL": "WARNING",
        # No page in this load draws static files, so none need collecting first.
        "STATIC_MANIFEST": "0",
        "WEB_CONCURRENCY": str(WORKERS),
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    with tempfile.TemporaryDirectory(prefix="api-bench-") as folder:
        log_path = Path(folder) / "gunicorn.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
                [
                    gunicorn,
                    "-c",
                    "gunicorn.conf.py",
                    "--bind",
                    f"{HOST}:{port}",
                    "--access-logfile",
                    os.devnull,
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                _wait_ready(port, process, log_path)
                yield port
            except BaseException:
                print(_tail(log_path), file=sys.stderr)
                raise
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@contextmanager
def _redis() -> Iterator[str]:
    """A private, memory-only redis-server on a free loopback port."""
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("redis-server is needed (apt-get install redis-server)")
    port = _free_port()
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


def _wait_ready(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{_tail(log_path)}")
        try:
            response = httpx.get(f"http://{HOST}:{port}/healthz", headers=PROXY_HEADERS)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
