"""Benchmarks of the Open311 front door, as a client application meets it: the production web
server (gunicorn, 2 workers, DEBUG off) on a copy of the council in PostgreSQL, and a bounded
load generator of our own on loopback.

- `open311.post_per_s`: new service requests a second, form-encoded as FixMyStreet posts
  them (a resident service with its required attributes, a client application's key), beside
  a bare Django view that only parses the same form under the same server and load.
- `open311.get_requests_p95_ms`: `GET requests.json?page_size=100`, 95th percentile.
- `open311.get_requests_default_p95_ms`: the specification's default answer (no paging: the
  last 90 days, up to 1,000 requests), 95th percentile.

Every answer in the load must be a success and the posts must open exactly as many tickets
as were sent, or the benchmark fails.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.core.management import call_command
from django.db import connection

from bench.council import TICKETS, council
from bench.harness import Measure, benchmark, stopwatch
from bench.open311_urls import BASELINE_PATH
from bench.server import DESCRIPTION, HOST, WORKERS, Server, production_server

if TYPE_CHECKING:
    from interchange.accounts.models import ApiKey

# Bounded load: a fixed number of requests from a fixed number of client threads. Posts keep
# both workers busy while the client reads answers; reads go one per worker, so a latency is
# the server's time and never time spent queueing behind the load generator itself.
POSTS = int(os.environ.get("BENCH_OPEN311_POSTS", "1500"))
POST_CONCURRENCY = 4
LIST_GETS = int(os.environ.get("BENCH_OPEN311_LIST_GETS", "300"))
DEFAULT_GETS = int(os.environ.get("BENCH_OPEN311_DEFAULT_GETS", "150"))
GET_CONCURRENCY = WORKERS
WARM_UP = 20
SERVICE_CODE = "pothole"
# The proxy in front of production says the client came over HTTPS (BEHIND_TLS_PROXY=1).
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
STREETS = ("Harbour Road", "Quay Street", "Mill Lane", "Station Road", "Park Row", "Hill Street")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None = None


@dataclass(frozen=True)
class Answer:
    call: Call
    status: int
    seconds: float
    body: bytes


@dataclass(frozen=True)
class Load:
    answers: list[Answer]
    seconds: float
    worker_cpu_seconds: float | None
    """CPU time the web workers spent on the load (None when a worker was replaced)."""

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.worker_cpu_seconds is None:
            return None
        return round(self.worker_cpu_seconds * 1000 / len(self.answers), 1)

    @property
    def per_second(self) -> float:
        return len(self.answers) / self.seconds

    def percentile_ms(self, share: float) -> float:
        times = sorted(a.seconds for a in self.answers)
        index = min(len(times) - 1, max(0, round(share * len(times)) - 1))
        return times[index] * 1000


@benchmark
def open311() -> list[Measure]:
    with council(run="open311") as url:
        # Production's cache (rate limits, lockouts) is a table the council's copy lacks.
        call_command("createcachetable", verbosity=0)
        # A copy of the template starts with no planner statistics (and autovacuum will not
        # gather them: nothing in it has changed yet); a live database has them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        key, secret = _client_key()
        form = _form_of_service()
        with production_server(url, settings_module="bench.open311_settings") as server:
            _warm_up(server, secret, form)
            tickets_before = _ticket_count(key)
            baseline = _run(
                server,
                [Call("POST", f"/{BASELINE_PATH}", _report(secret, form, n)) for n in _n(POSTS)],
                POST_CONCURRENCY,
                expect=201,
            )
            posts = _run(
                server,
                [
                    Call("POST", "/open311/v2/requests.json", _report(secret, form, n))
                    for n in _n(POSTS, start=POSTS)
                ],
                POST_CONCURRENCY,
                expect=201,
            )
            created = _ticket_count(key) - tickets_before
            if created != POSTS:
                raise RuntimeError(f"{POSTS} reports posted but {created} tickets opened")
            references = {_created_reference(a) for a in posts.answers}
            if len(references) != POSTS:
                raise RuntimeError(f"{POSTS} reports posted but {len(references)} ids returned")
            paged_query = urlencode({"page_size": 100, "api_key": secret})
            paged = _run(
                server,
                [Call("GET", f"/open311/v2/requests.json?{paged_query}")] * LIST_GETS,
                GET_CONCURRENCY,
                expect=200,
            )
            default_query = urlencode({"api_key": secret})
            default = _run(
                server,
                [Call("GET", f"/open311/v2/requests.json?{default_query}")] * DEFAULT_GETS,
                GET_CONCURRENCY,
                expect=200,
            )
    paged_items = _items(paged)
    default_items = _items(default)
    if paged_items != 100:
        raise RuntimeError(f"page_size=100 answered {paged_items} requests")
    common = {
        "tickets": TICKETS,
        "server": DESCRIPTION,
        # Rate limits count in the shared cache: Redis when REDIS_URL is set, else the database.
        "cache": "redis" if os.environ.get("REDIS_URL") else "database",
    }
    return [
        Measure(
            "open311.post_per_s",
            posts.per_second,
            "creates/s",
            baseline="bare form-parsing view",
            baseline_value=baseline.per_second,
            target=">= 150",
            notes={
                **common,
                "posts": POSTS,
                "concurrency": POST_CONCURRENCY,
                "service": SERVICE_CODE,
                "p50_ms": round(posts.percentile_ms(0.50), 1),
                "p95_ms": round(posts.percentile_ms(0.95), 1),
                "baseline_p50_ms": round(baseline.percentile_ms(0.50), 1),
                "worker_cpu_ms_per_post": posts.cpu_ms_per_request,
                "baseline_worker_cpu_ms_per_post": baseline.cpu_ms_per_request,
                "tickets_opened": created,
            },
        ),
        _latency("open311.get_requests_p95_ms", paged, "< 50", common, paged_items),
        _latency("open311.get_requests_default_p95_ms", default, "< 250", common, default_items),
    ]


def _latency(name: str, load: Load, target: str, common: dict[str, object], items: int) -> Measure:
    return Measure(
        name,
        load.percentile_ms(0.95),
        "ms",
        target=target,
        notes={
            **common,
            "requests": len(load.answers),
            "concurrency": GET_CONCURRENCY,
            "p50_ms": round(load.percentile_ms(0.50), 1),
            "p95_ms": round(load.percentile_ms(0.95), 1),
            "max_ms": round(load.percentile_ms(1.0), 1),
            "worker_cpu_ms_per_request": load.cpu_ms_per_request,
            "requests_per_answer": items,
            "bytes_per_answer": len(load.answers[0].body),
        },
    )


# --- The copy: a client application's key and what its reports say ------------------------


def _client_key() -> tuple[ApiKey, str]:
    """A client application's key (FixMyStreet's, as the demo makes it) issued by an
    administrator in the copy, its rate limit raised above the load."""
    from interchange.accounts.models import ApiKey, Role, User
    from interchange.accounts.services import api_key_create

    admin = User.objects.filter(role=Role.ADMINISTRATOR, is_active=True).order_by("pk").first()
    if admin is None:
        raise RuntimeError("the council has no administrator to issue an API key")
    return api_key_create(
        actor=admin,
        name="FixMyStreet (benchmark)",
        kind=ApiKey.Kind.OPEN311_CLIENT,
        client_name="FixMyStreet",
        rate_limit_per_minute=1_000_000,
    )


@dataclass(frozen=True)
class Form:
    """The service's questions as a client fills them in: each required single choice's
    choices, and the optional numbers."""

    choices: dict[str, list[str]]
    numbers: list[str]


def _form_of_service() -> Form:
    from interchange.catalogue.models import Question, Service

    service = Service.objects.get(code=SERVICE_CODE, active=True, open311_exposed=True)
    if service.kind != Service.Kind.RESIDENT:
        raise RuntimeError(f"{SERVICE_CODE} is not a resident service")
    choices: dict[str, list[str]] = {}
    numbers: list[str] = []
    for question in Question.objects.filter(service=service).prefetch_related("choices"):
        if question.datatype == Question.Datatype.SINGLE_CHOICE:
            choices[question.code] = [c.key for c in question.choices.all()]
        elif question.datatype == Question.Datatype.NUMBER:
            numbers.append(question.code)
        elif question.required:
            raise RuntimeError(f"{SERVICE_CODE} asks {question.code}, which no report answers")
    if not choices:
        raise RuntimeError(f"{SERVICE_CODE} has no required attributes to send")
    return Form(choices=choices, numbers=numbers)


def _report(secret: str, form: Form, n: int) -> bytes:
    """Report number `n`: different from every other, so none is taken for a retry."""
    rng = random.Random(n)
    street = rng.choice(STREETS)
    fields: list[tuple[str, str]] = [
        ("api_key", secret),
        ("jurisdiction_id", "harbourside.gov.uk"),
        ("service_code", SERVICE_CODE),
        ("lat", f"{51.44 + rng.random() * 0.03:.6f}"),
        ("long", f"{-2.61 + rng.random() * 0.05:.6f}"),
        ("address_string", f"{rng.randint(1, 200)} {street}, Harbourside"),
        ("email", f"resident{n}@example.org"),
        ("first_name", "Sam"),
        ("last_name", f"Resident {n}"),
        ("phone", f"01632 {960000 + n % 1000:06d}"),
        (
            "description",
            f"Pothole on {street}, report {n}\nCars swerve round it near the junction.",
        ),
        ("account_id", f"acct-{n}"),
        ("device_id", f"device-{n % 97}"),
        ("attribute[fixmystreet_id]", str(100_000 + n)),
        ("attribute[title]", f"Pothole on {street}"),
    ]
    for code, keys in form.choices.items():
        fields.append((f"attribute[{code}]", rng.choice(keys)))
    for code in form.numbers:
        fields.append((f"attribute[{code}]", str(rng.randint(10, 120))))
    return urlencode(fields).encode()


def _ticket_count(key: ApiKey) -> int:
    from interchange.frontdoor.models import Open311Request

    return Open311Request.objects.filter(api_key=key).count()


def _created_reference(answer: Answer) -> str:
    document = json.loads(answer.body)
    return str(document[0]["service_request_id"])


def _items(load: Load) -> int:
    counts = {len(json.loads(a.body)) for a in load.answers}
    if len(counts) != 1:
        raise RuntimeError(f"the same list answered different lengths: {sorted(counts)}")
    return counts.pop()


def _n(count: int, start: int = 0) -> range:
    return range(start, start + count)


# --- The server --------------------------------------------------------------------------


# --- The load generator ------------------------------------------------------------------


def _request(port: int, call: Call) -> Answer:
    """One request on its own connection (gunicorn's sync workers close each one)."""
    headers = {"Host": HOST, "Connection": "close", **PROXY_HEADERS}
    if call.body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        start = time.perf_counter()
        connection.request(call.method, call.path, body=call.body, headers=headers)
        response = connection.getresponse()
        body = response.read()
        seconds = time.perf_counter() - start
    finally:
        connection.close()
    return Answer(call=call, status=response.status, seconds=seconds, body=body)


def _run(server: Server, calls: Sequence[Call], concurrency: int, *, expect: int) -> Load:
    """Send `calls` from `concurrency` threads; fail loudly on any answer but `expect`."""
    answers: list[Answer | None] = [None] * len(calls)
    failures: list[BaseException] = []
    lock = threading.Lock()
    position = iter(range(len(calls)))

    def client() -> None:
        while True:
            with lock:
                index = next(position, None)
            if index is None or failures:
                return
            try:
                answers[index] = _request(server.port, calls[index])
            except BaseException as exc:  # reported below, once every thread has ended
                with lock:
                    failures.append(exc)
                return

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    cpu_before = server.worker_cpu()
    with stopwatch() as elapsed:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    cpu_after = server.worker_cpu()
    if failures:
        raise RuntimeError(f"a request to the server failed: {failures[0]!r}") from failures[0]
    done = [a for a in answers if a is not None]
    wrong = [a for a in done if a.status != expect]
    if wrong:
        first = wrong[0]
        raise RuntimeError(
            f"{len(wrong)} of {len(done)} answers were not {expect}; the first, to "
            f"{first.call.method} {first.call.path[:80]}: {first.status} {first.body[:500]!r}"
        )
    same_workers = bool(cpu_before) and cpu_before.keys() == cpu_after.keys()
    cpu = sum(cpu_after.values()) - sum(cpu_before.values()) if same_workers else None
    return Load(answers=done, seconds=elapsed[0], worker_cpu_seconds=cpu)


def _warm_up(server: Server, secret: str, form: Form) -> None:
    """Let both workers load their code and open their connections before anything counts."""
    listed = f"/open311/v2/requests.json?{urlencode({'api_key': secret})}"
    rounds = [
        ([Call("POST", f"/{BASELINE_PATH}", _report(secret, form, -1))] * WARM_UP, 201),
        (
            [
                Call("POST", "/open311/v2/requests.json", _report(secret, form, -2 - n))
                for n in range(WARM_UP)
            ],
            201,
        ),
        ([Call("GET", listed)] * WARM_UP, 200),
    ]
    for calls, expect in rounds:
        _run(server, calls, GET_CONCURRENCY, expect=expect)
