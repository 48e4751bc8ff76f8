"""Several workers at once on PostgreSQL (threads, each with its own connection): a job is
never claimed or run by two of them, and a periodic scan runs once."""

import threading
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import close_old_connections, connection

from interchange.core import worker
from interchange.core.jobs import HANDLERS, PERIODIC, enqueue, handler, periodic
from interchange.core.models import Job

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite runs one worker (see core/worker.py)"
    ),
    pytest.mark.django_db(transaction=True),
]

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.fixture(autouse=True)
def registry():
    with mock.patch.dict(HANDLERS, clear=True), mock.patch.dict(PERIODIC, clear=True):
        yield


def in_threads(count, target):
    """Run target(n) in `count` threads started together; returns their results by n."""
    barrier = threading.Barrier(count)
    results = {}

    def run(n):
        try:
            barrier.wait(5)
            results[n] = target(n)
        except Exception as exc:  # kept for the assertion to show
            results[n] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_workers_claiming_at_once_never_get_the_same_job():
    jobs = [enqueue("k", {"n": n}, at=T) for n in range(120)]
    ids = {job.pk for job in jobs if job}

    def drain(n):
        mine: list[int] = []
        while batch := worker.claim(worker=f"w{n}", limit=7, lease=LEASE, at=T):
            mine.extend(job.pk for job in batch)
        return mine

    results = in_threads(4, drain)
    claimed = [pk for n in range(4) for pk in results[n]]
    assert len(claimed) == len(set(claimed)), "a job was claimed twice"
    assert set(claimed) == ids
    assert sum(1 for mine in results.values() if mine) > 1, "only one worker got any work"


def test_workers_running_at_once_run_each_job_once():
    runs = []
    lock = threading.Lock()

    @handler("k")
    def record(payload):
        time.sleep(0.005)
        with lock:
            runs.append(payload["n"])

    for n in range(60):
        enqueue("k", {"n": n})

    def work(n):
        while worker.work_once(worker=f"w{n}", started_at=T, batch=5, lease=LEASE, beat=False):
            pass

    failed = {n: r for n, r in in_threads(3, work).items() if isinstance(r, Exception)}
    assert not failed  # a worker that broke mid-batch would leave its claimed jobs unrun
    assert sorted(runs) == list(range(60))
    assert set(Job.objects.values_list("state", flat=True)) == {Job.State.DONE}


def test_a_job_outliving_its_lease_is_not_run_again_while_it_runs():
    started, runs = threading.Event(), []

    @handler("k")
    def slow(payload):
        runs.append(payload)
        started.set()
        time.sleep(1.0)

    enqueue("k")
    short = timedelta(seconds=0.2)

    def first(_n):
        (job,) = worker.claim(worker="slow", limit=1, lease=short)
        return worker.run_job(job, worker="slow")

    def second(_n):
        started.wait(5)
        time.sleep(0.4)  # the first worker's lease has run out, but its job still runs
        return worker.claim(worker="eager", limit=1, lease=short)

    results = in_threads(2, lambda n: (first, second)[n](n))
    assert results == {0: Job.State.DONE, 1: []}
    assert len(runs) == 1


def test_a_periodic_scan_runs_once_when_workers_reach_it_together():
    runs = []
    lock = threading.Lock()

    @periodic("sla.breach_check", timedelta(minutes=1))
    def scan(at):
        with lock:
            runs.append(at)

    results = in_threads(4, lambda n: worker.run_periodic(at=T))
    assert runs == [T]
    assert sorted(results.values()) == [[], [], [], ["sla.breach_check"]]
