"""Benchmarks of the staff and supplier workspace: the queues' server time and queries, and
search, on a copy of the council in PostgreSQL served by gunicorn (2 workers, DEBUG off) to
signed-in people.

Helpers shared by the workspace's measures (the ticket page among them): `session_cookie`
signs a person in (a session in the copy, signed with the secret the server is started with),
`timed_get` times one request, `p95` summarises timings, `queries_for` counts a page's SQL
in-process. The server itself is `bench.server`'s.
"""

from __future__ import annotations

import http.client
import math
import os
import secrets
import statistics
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bench.council import TICKETS, council
from bench.harness import Measure, benchmark
from bench.server import DESCRIPTION, HOST, production_server

# The proxy in front of production says the client came over HTTPS (BEHIND_TLS_PROXY=1).
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.8"}
WARM_UP = 5
SAMPLES = 60
# The server's secret: sessions made here are signed with it, so the server accepts them.
SERVER_SECRET = secrets.token_urlsafe(50)


# --- Shared helpers ---------------------------------------------------------------------------


def session_cookie(user: Any) -> str:
    """A signed-in session for `user` in the database Django points at: the Cookie header."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.test.utils import override_settings

    # Signed (session data, the password hash check) with the secret the server runs with.
    with override_settings(SECRET_KEY=SERVER_SECRET):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.set_expiry(timedelta(hours=2))
        session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def timed_get(port: int, path: str, cookie: str | None = None) -> tuple[int, float, bytes]:
    """(status, seconds, body) of one GET on its own connection."""
    headers = {"Host": HOST, "Connection": "close", **PROXY_HEADERS}
    if cookie:
        headers["Cookie"] = cookie
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        start = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        seconds = time.perf_counter() - start
    finally:
        connection.close()
    return response.status, seconds, body


def p95(values: Sequence[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def time_page(port: int, path: str, cookie: str, samples: int = SAMPLES) -> dict[str, float]:
    """p95 and median milliseconds of `path`, after a warm-up; fails on any answer but 200."""
    timings = []
    for i in range(WARM_UP + samples):
        status, seconds, body = timed_get(port, path, cookie)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        if i >= WARM_UP:
            timings.append(seconds * 1000)
    return {
        "p95_ms": round(p95(timings), 1),
        "median_ms": round(statistics.median(timings), 1),
    }


def queries_for(user: Any, path: str) -> int:
    """How many SQL queries the page at `path` runs for `user`, measured in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user)
    client.get(path, secure=True)  # the first request may warm caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code} in-process")
    return len(captured)


# --- The people and views measured -----------------------------------------------------------


def _people() -> tuple[Any, Any, Any]:
    """An integrator agent, and an agent of the supplier holding the most open tickets."""
    from django.db.models import Count

    from interchange.accounts.models import Role, User
    from interchange.servicedesk.models import OPEN_STATUSES, Ticket
    from interchange.suppliers.models import Supplier

    integrator = User.objects.filter(role=Role.INTEGRATOR_AGENT, is_active=True).first()
    busiest = (
        Ticket.objects.filter(status__in=sorted(OPEN_STATUSES), holder_supplier__isnull=False)
        .values("holder_supplier")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert integrator is not None and busiest is not None
    supplier = Supplier.objects.get(pk=busiest["holder_supplier"])
    agent = User.objects.filter(role=Role.SUPPLIER_AGENT, supplier=supplier).first()
    if agent is None:
        agent = User.objects.create_user(
            username=f"bench.{supplier.code}", role=Role.SUPPLIER_AGENT, supplier=supplier
        )
    return integrator, agent, supplier


def _search_word() -> tuple[str, int]:
    """The word whose matches are closest to 300 tickets, counted the way the search box
    matches it (a prefix, against the whole search document). The seeded history's words are
    few and common: at a million tickets the rarest match about 2,000, so this measures more
    results than the target's "a few hundred", never fewer."""
    from django.db import connection

    from interchange.servicedesk.models import Ticket

    every = max(1, Ticket.objects.count() // 50_000)  # about 50,000 documents' words
    # Every `every`-th document: ts_stat takes the text of a query (an integer in it here).
    sample = f"SELECT vector FROM servicedesk_searchdocument WHERE ticket_id % {every:d} = 0"  # noqa: S608
    with connection.cursor() as cursor:
        # Likely words from a sample of the index's own statistics…
        cursor.execute(
            "SELECT word FROM ts_stat(%s) WHERE length(word) > 4 AND word ~ '^[a-z]+$' "
            "ORDER BY abs(ln(ndoc * %s / 300.0)) LIMIT 60",
            [sample, every],
        )
        candidates = [row[0] for row in cursor.fetchall()]
        # …then each counted exactly as the search matches it (the index makes it cheap).
        counted: dict[str, int] = {}
        for word in candidates:
            cursor.execute(
                "SELECT count(*) FROM servicedesk_searchdocument "
                "WHERE vector @@ to_tsquery('english', %s)",
                [f"'{word}':*"],
            )
            counted[word] = cursor.fetchone()[0]
    word = min(counted, key=lambda w: abs(counted[w] - 300))
    return word, counted[word]


@benchmark
def queues_and_search() -> list[Measure]:
    from django.core.management import call_command

    with council(run="workspace") as url:
        # Sign-in lockouts and rate counters live in the database cache in production.
        call_command("createcachetable", verbosity=0)
        integrator, agent, supplier = _people()
        desk = "/staff/queues/desk?sort=created&order=desc"
        supplier_path = f"/staff/queues/suppliers/{supplier.code}?sort=deadline&order=asc"
        soon = "/staff/queues/breaching-soon"
        word, approx = _search_word()
        counts = {
            "integrator desk, 25 rows": queries_for(integrator, desk),
            "integrator desk, 100 rows": queries_for(integrator, desk + "&size=100"),
            "supplier queue, 25 rows": queries_for(agent, supplier_path),
            "supplier queue, 100 rows": queries_for(agent, supplier_path + "&size=100"),
            "breaching soon, 25 rows": queries_for(integrator, soon),
            "breaching soon, 100 rows": queries_for(integrator, soon + "?size=100"),
        }
        integrator_cookie = session_cookie(integrator)
        agent_cookie = session_cookie(agent)
        with production_server(url, secret_key=SERVER_SECRET) as server:
            port = server.port
            timed = {
                "integrator desk, open, newest first": time_page(port, desk, integrator_cookie),
                f"{supplier.code} (supplier agent), open, by deadline": time_page(
                    port, supplier_path, agent_cookie
                ),
                "breaching soon (integrator)": time_page(port, soon, integrator_cookie),
            }
            searched = time_page(port, f"/staff/search?q={word}", integrator_cookie)
    worst = max(timed.values(), key=lambda t: t["p95_ms"])
    common = {"tickets": TICKETS, "server": DESCRIPTION}
    return [
        Measure(
            "workspace.queue_p95_ms",
            worst["p95_ms"],
            "ms",
            target="< 150",
            notes={**common, "samples_each": SAMPLES, "views": timed},
        ),
        Measure(
            "workspace.queue_queries",
            max(counts.values()),
            "queries",
            target="<= 15, the same for 25 and 100 rows",
            notes={**common, "per_page": counts},
        ),
        Measure(
            "workspace.search_p95_ms",
            searched["p95_ms"],
            "ms",
            target="< 300",
            notes={**common, "word": word, "approx_matches": approx, **searched},
        ),
    ]


# --- The ticket page (issue 7, ticket half) --------------------------------------------------

TICKET_SAMPLE = 12
LONG_TIMELINES = 3
LONG_TIMELINE_NOTES = 300
TICKET_ROUNDS = 8


def _ticket_sample(integrator: Any) -> tuple[list[Any], list[Any]]:
    """Tickets spread over the id range (open and finished alike), and a few given long
    timelines through the domain functions: (ordinary, long)."""
    from django.db.models import Max, Min

    from interchange.servicedesk.models import Ticket
    from interchange.servicedesk.services import ticket_add_note

    bounds = Ticket.objects.aggregate(lo=Min("id"), hi=Max("id"))
    step = max(1, (bounds["hi"] - bounds["lo"]) // (TICKET_SAMPLE + LONG_TIMELINES))
    picked = []
    for n in range(TICKET_SAMPLE + LONG_TIMELINES):
        ticket = Ticket.objects.filter(id__gte=bounds["lo"] + n * step).order_by("id").first()
        if ticket is not None and ticket not in picked:
            picked.append(ticket)
    ordinary, long = picked[:TICKET_SAMPLE], picked[TICKET_SAMPLE:]
    for ticket in long:
        for i in range(LONG_TIMELINE_NOTES):
            ticket_add_note(
                ticket=ticket, actor=integrator, body=f"Bench note {i}", public=i % 3 == 0
            )
    return ordinary, long


@benchmark
def ticket_page() -> list[Measure]:
    with council(run="wsticket") as url:
        return [measure_ticket_page(url)]


def measure_ticket_page(url: str) -> Measure:
    """`workspace.ticket_p95_ms` on the council copy Django points at (served from `url`)."""
    from django.core.management import call_command

    from interchange.servicedesk.models import TicketEvent

    call_command("createcachetable", verbosity=0)
    integrator, _agent, _supplier = _people()
    ordinary, long = _ticket_sample(integrator)
    paths = [f"/staff/tickets/{t.reference}" for t in [*ordinary, *long]]
    events = {t.reference: TicketEvent.objects.filter(ticket=t).count() for t in ordinary}
    queries = {
        "ordinary": queries_for(integrator, paths[0]),
        "long timeline": queries_for(integrator, paths[-1]),
    }
    cookie = session_cookie(integrator)
    timings: dict[str, list[float]] = {"ordinary": [], "long timeline": []}
    with production_server(url, secret_key=SERVER_SECRET) as server:
        port = server.port
        for path in paths[:WARM_UP]:
            timed_get(port, path, cookie)
        for _ in range(TICKET_ROUNDS):
            for i, path in enumerate(paths):
                status, seconds, body = timed_get(port, path, cookie)
                if status != 200:
                    raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
                kind = "ordinary" if i < len(ordinary) else "long timeline"
                timings[kind].append(seconds * 1000)
    every = timings["ordinary"] + timings["long timeline"]
    return Measure(
        "workspace.ticket_p95_ms",
        round(p95(every), 1),
        "ms",
        target="< 100",
        notes={
            "tickets": TICKETS,
            "server": DESCRIPTION,
            "signed_in_as": "integrator agent",
            "samples": len(every),
            "ordinary_p95_ms": round(p95(timings["ordinary"]), 1),
            "ordinary_median_ms": round(statistics.median(timings["ordinary"]), 1),
            "long_timeline_p95_ms": round(p95(timings["long timeline"]), 1),
            "long_timeline_median_ms": round(statistics.median(timings["long timeline"]), 1),
            "long_timeline_events": f"{LONG_TIMELINE_NOTES}+",
            "ordinary_events": f"{min(events.values())}-{max(events.values())}",
            "sql_queries": queries,
            "load_average_1m": round(os.getloadavg()[0], 1),
        },
    )
