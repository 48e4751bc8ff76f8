"""The exchange's part of the worker loop: periodic scans registered with core's worker.

`exchange.deliver` runs on every turn of the loop (the app asks the loop to turn at least
every EXCHANGE_POLL_MS, see `apps.py`): it first hands any new timeline events to the
listeners (the dispatcher's own batch, pulled forward, so a change does not wait for the
dispatcher's one-second scan), then sends due deliveries for up to two seconds. A short poll
rather than LISTEN/NOTIFY: the timeline is written by the service desk, which knows nothing
of listeners (a NOTIFY would have to come from its transaction or a trigger on its table),
and it works the same on SQLite. Its price is small: an idle turn of the loop is six small
queries (the scans' run times, this scan's claim of its run, and three EXISTS probes of
partial indexes: new timeline events, due deliveries, due jobs), five times a second per
worker at the default 200 ms. bench/exchange.py measures the latency it gives (p95 about
0.5 s from a change to the receiver, two workers, on a loaded machine).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from interchange.core.jobs import periodic
from interchange.exchange import delivery
from interchange.servicedesk import dispatch
from interchange.servicedesk.models import TicketEvent


@periodic("exchange.deliver", every=timedelta(0))
def deliver(at: datetime) -> None:
    if TicketEvent.objects.filter(dispatched_at__isnull=True).exists():
        dispatch.dispatch_pending(at)
    delivery.deliver_due(budget=delivery.RUN_BUDGET_SECONDS)


@periodic("exchange.release_stuck", every=timedelta(minutes=1))
def release_stuck(at: datetime) -> None:
    delivery.release_stuck(at=at)
