"""The worker's functions: claim with a lease, run in one transaction with the handler's
writes, retry with backoff, fail and replay, periodic scans, heartbeats and queue figures."""

import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from interchange.core import worker
from interchange.core.jobs import HANDLERS, PERIODIC, enqueue, handler, periodic
from interchange.core.models import IdempotencyKey, Job, PeriodicRun, WorkerHeartbeat
from interchange.core.worker import backoff, claim, replay, run_job, run_periodic

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
ALWAYS_LONGEST = lambda: 1.0  # noqa: E731 - the jitter's largest draw


@pytest.fixture(autouse=True)
def registry():
    """Only the handlers and scans a test registers; the apps' own are put back afterwards."""
    with mock.patch.dict(HANDLERS, clear=True), mock.patch.dict(PERIODIC, clear=True):
        yield


def add(kind, payload=None, **options) -> Job:
    job = enqueue(kind, payload, **options)
    assert job is not None
    return job


def effect(key):
    """A row standing for a handler's write."""
    return IdempotencyKey.objects.create(
        scope="tests.worker", key=key, fingerprint="", created_at=T, expires_at=T + LEASE
    )


def effects():
    return set(IdempotencyKey.objects.filter(scope="tests.worker").values_list("key", flat=True))


def claim_one(at=T, name="w1"):
    (job,) = claim(worker=name, limit=1, lease=LEASE, at=at)
    return job


@pytest.mark.django_db
class TestClaim:
    def test_a_due_job_is_leased_to_the_worker_and_counts_an_attempt(self):
        add("k", at=T)
        job = claim_one(at=T + timedelta(seconds=1))
        job.refresh_from_db()
        assert job.locked_by == "w1"
        assert job.locked_until == T + timedelta(seconds=1) + LEASE
        assert job.attempts == 1
        assert job.state == Job.State.PENDING

    def test_a_job_not_yet_due_is_left_alone(self):
        add("k", run_at=T + timedelta(minutes=1), at=T)
        assert claim(worker="w1", limit=5, lease=LEASE, at=T) == []

    def test_a_leased_job_is_not_claimed_until_its_lease_runs_out(self):
        add("k", at=T)
        first = claim_one(at=T)
        assert claim(worker="w2", limit=5, lease=LEASE, at=T + LEASE) == []
        again = claim_one(at=T + LEASE + timedelta(seconds=1), name="w2")
        assert again.pk == first.pk
        assert again.locked_by == "w2"
        assert again.attempts == 2

    def test_the_longest_waiting_jobs_are_claimed_first_up_to_the_limit(self):
        late = add("k", run_at=T, at=T)
        early = add("k", run_at=T - timedelta(minutes=2), at=T)
        middle = add("k", run_at=T - timedelta(minutes=1), at=T)
        claimed = claim(worker="w1", limit=2, lease=LEASE, at=T)
        assert [job.pk for job in claimed] == [early.pk, middle.pk]
        assert late.pk not in {job.pk for job in claimed}

    def test_finished_jobs_are_never_claimed(self):
        Job.objects.create(kind="k", state=Job.State.DONE, next_attempt_at=T, created_at=T)
        Job.objects.create(kind="k", state=Job.State.FAILED, next_attempt_at=T, created_at=T)
        assert claim(worker="w1", limit=5, lease=LEASE, at=T) == []

    def test_a_job_whose_worker_died_during_its_last_attempt_is_failed_not_run_again(self):
        ran: list[Any] = []
        handler("k")(ran.append)
        job = add("k", max_attempts=2, at=T)
        for attempt in range(2):
            # Claimed, then the worker is killed: the lease simply runs out.
            claim_one(at=T + attempt * (LEASE + timedelta(seconds=1)))
        assert claim(worker="w1", limit=1, lease=LEASE, at=T + 3 * LEASE) == []
        job.refresh_from_db()
        assert job.state == Job.State.FAILED
        assert "worker stopped during the last allowed attempt" in job.last_error
        assert ran == []

    def test_a_stopping_worker_gives_back_the_jobs_it_has_not_started(self):
        stop = threading.Event()
        handler("k")(lambda payload: stop.set())
        jobs = [add("k", {"n": n}, at=T) for n in range(3)]
        claimed = worker.work_once(
            worker="w1", started_at=T, batch=3, lease=LEASE, at=T, beat=False, stop=stop
        )
        assert claimed == 3
        states = {job.pk: (job.state, job.attempts, job.locked_until) for job in Job.objects.all()}
        assert states[jobs[0].pk][0] == Job.State.DONE
        assert states[jobs[1].pk] == (Job.State.PENDING, 0, None)
        assert states[jobs[2].pk] == (Job.State.PENDING, 0, None)


@pytest.mark.django_db
class TestRunJob:
    def test_a_successful_job_is_done_and_its_writes_are_kept(self):
        handler("k")(lambda payload: effect(payload["key"]))
        add("k", {"key": "a"}, at=T)
        job = claim_one()
        assert run_job(job, worker="w1", at=T + timedelta(seconds=2)) == Job.State.DONE
        job.refresh_from_db()
        assert job.state == Job.State.DONE
        assert job.finished_at == T + timedelta(seconds=2)
        assert job.locked_until is None
        assert effects() == {"a"}

    def test_a_failing_job_keeps_none_of_its_writes_and_waits_to_retry(self):
        def half_done(payload):
            effect("half")
            raise ConnectionError("supplier endpoint refused the connection")

        handler("k")(half_done)
        add("k", at=T)
        job = claim_one()
        assert run_job(job, worker="w1", at=T, rand=ALWAYS_LONGEST) == Job.State.PENDING
        job.refresh_from_db()
        assert effects() == set()
        assert job.state == Job.State.PENDING
        assert job.next_attempt_at == T + timedelta(seconds=10)
        assert job.locked_until is None
        assert job.last_error.rstrip().endswith(
            "ConnectionError: supplier endpoint refused the connection"
        )
        assert "Traceback" in job.last_error

    def test_a_failing_job_is_retried_on_a_growing_schedule_then_failed_and_can_be_replayed(self):
        failing = True

        def flaky(payload):
            if failing:
                raise TimeoutError("mail server did not answer")
            effect("sent")

        handler("mail.send")(flaky)
        job = add("mail.send", max_attempts=4, at=T)
        waits = []
        at = T
        for _attempt in range(4):
            claimed = claim_one(at=at)
            run_job(claimed, worker="w1", at=at, rand=ALWAYS_LONGEST)
            job.refresh_from_db()
            if job.state == Job.State.PENDING:
                assert (
                    claim(
                        worker="w1",
                        limit=1,
                        lease=LEASE,
                        at=job.next_attempt_at - timedelta(seconds=1),
                    )
                    == []
                )
                waits.append(job.next_attempt_at - at)
                at = job.next_attempt_at
        assert waits == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
        assert job.state == Job.State.FAILED
        assert job.attempts == 4
        assert job.finished_at == at
        assert "TimeoutError: mail server did not answer" in job.last_error
        assert claim(worker="w1", limit=1, lease=LEASE, at=at + timedelta(days=1)) == []

        failing = False
        later = at + timedelta(hours=2)
        assert replay(job, at=later)
        assert (job.state, job.attempts, job.next_attempt_at) == (Job.State.PENDING, 0, later)
        assert run_job(claim_one(at=later), worker="w1", at=later) == Job.State.DONE
        assert effects() == {"sent"}

    def test_an_unknown_kind_fails_at_once_with_a_clear_error(self):
        add("nobody.knows", at=T)
        job = claim_one()
        assert run_job(job, worker="w1", at=T) == Job.State.FAILED
        job.refresh_from_db()
        assert job.state == Job.State.FAILED
        assert job.attempts == 1
        assert "No handler is registered for job kind “nobody.knows”" in job.last_error

    def test_a_worker_whose_lease_was_taken_over_does_not_run_the_job(self):
        ran: list[Any] = []
        handler("k")(lambda payload: ran.append(payload))
        add("k", at=T)
        stale = claim_one(at=T, name="slow")
        fresh = claim_one(at=T + LEASE + timedelta(seconds=1), name="fast")
        assert run_job(stale, worker="slow", at=T + LEASE) is None
        assert ran == []
        assert run_job(fresh, worker="fast", at=T + LEASE) == Job.State.DONE
        assert len(ran) == 1

    def test_a_handler_gets_the_jobs_payload(self):
        seen: list[Any] = []
        handler("k")(seen.append)
        add("k", {"ticket": 42, "event": "assigned"}, at=T)
        run_job(claim_one(), worker="w1", at=T)
        assert seen == [{"ticket": 42, "event": "assigned"}]


class TestBackoff:
    def test_the_longest_wait_doubles_from_ten_seconds(self):
        assert [backoff(n, rand=ALWAYS_LONGEST).total_seconds() for n in (1, 2, 3, 4)] == [
            10,
            20,
            40,
            80,
        ]

    def test_the_wait_is_never_more_than_an_hour(self):
        assert backoff(10, rand=ALWAYS_LONGEST) == timedelta(hours=1)
        assert backoff(10_000, rand=ALWAYS_LONGEST) == timedelta(hours=1)

    def test_the_wait_is_a_random_share_of_the_longest(self):
        assert backoff(3, rand=lambda: 0.25) == timedelta(seconds=10)
        assert backoff(12, rand=lambda: 0.5) == timedelta(minutes=30)

    def test_the_wait_is_at_least_a_second(self):
        assert backoff(1, rand=lambda: 0.0) == timedelta(seconds=1)

    def test_waits_are_spread_out_so_failed_jobs_do_not_retry_together(self):
        draws = random.Random(7)
        waits = {backoff(5, rand=draws.random) for _ in range(50)}
        assert len(waits) == 50
        assert all(timedelta(seconds=1) <= wait <= timedelta(seconds=160) for wait in waits)


@pytest.mark.django_db
class TestReplay:
    def test_only_a_failed_job_can_be_replayed(self):
        done = Job.objects.create(
            kind="k", state=Job.State.DONE, attempts=1, next_attempt_at=T, created_at=T
        )
        assert not replay(done, at=T)
        done.refresh_from_db()
        assert done.state == Job.State.DONE
        assert done.attempts == 1


@pytest.mark.django_db
class TestPeriodic:
    def test_a_scan_runs_once_per_interval_even_with_two_callers(self):
        runs: list[Any] = []
        periodic("sla.breach_check", timedelta(minutes=5))(runs.append)
        assert run_periodic(at=T) == ["sla.breach_check"]
        assert run_periodic(at=T) == []
        assert run_periodic(at=T + timedelta(minutes=4, seconds=59)) == []
        assert run_periodic(at=T + timedelta(minutes=5)) == ["sla.breach_check"]
        assert run_periodic(at=T + timedelta(minutes=5)) == []
        assert runs == [T, T + timedelta(minutes=5)]
        assert PeriodicRun.objects.get().last_run_at == T + timedelta(minutes=5)

    def test_a_failing_scan_does_not_stop_the_others_and_waits_for_its_next_interval(self):
        runs: list[Any] = []

        def broken(at):
            raise RuntimeError("scan bug")

        periodic("a.broken", timedelta(minutes=1))(broken)
        periodic("b.working", timedelta(minutes=1))(runs.append)
        assert run_periodic(at=T) == ["b.working"]
        assert runs == [T]
        assert run_periodic(at=T + timedelta(seconds=30)) == []

    def test_no_scans_means_no_queries(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert run_periodic(at=T) == []


@pytest.mark.django_db
class TestHeartbeatAndStats:
    def test_a_heartbeat_records_the_worker_and_forgets_workers_long_gone(self):
        WorkerHeartbeat.objects.create(
            name="old", started_at=T - timedelta(days=30), seen_at=T - timedelta(days=8)
        )
        worker.heartbeat("w1", T - timedelta(hours=1), at=T)
        worker.heartbeat("w1", T - timedelta(hours=1), at=T + timedelta(seconds=10))
        beat = WorkerHeartbeat.objects.get()
        assert (beat.name, beat.started_at, beat.seen_at) == (
            "w1",
            T - timedelta(hours=1),
            T + timedelta(seconds=10),
        )

    def test_queue_stats_count_what_waits_runs_and_failed(self):
        add("mail.send", run_at=T - timedelta(minutes=3), at=T)
        add("mail.send", run_at=T + timedelta(minutes=3), at=T)
        add("webhook.deliver", run_at=T - timedelta(minutes=1), at=T)
        add("webhook.deliver", run_at=T - timedelta(minutes=10), at=T)
        claim_one(at=T)  # the 10-minute-old webhook is now running
        Job.objects.create(
            kind="mail.send", state=Job.State.FAILED, next_attempt_at=T, created_at=T
        )
        Job.objects.create(kind="mail.send", state=Job.State.DONE, next_attempt_at=T, created_at=T)
        stats = worker.queue_stats(T)
        assert {k: stats[k] for k in ("pending", "due", "running", "failed")} == {
            "pending": 4,
            "due": 2,
            "running": 1,
            "failed": 1,
        }
        assert stats["oldest_due_age_seconds"] == 180
        assert stats["by_kind"] == {
            "mail.send": {"pending": 2, "due": 1, "running": 0, "failed": 1},
            "webhook.deliver": {"pending": 2, "due": 1, "running": 1, "failed": 0},
        }

    def test_an_empty_queue_has_no_oldest_due_job(self):
        stats = worker.queue_stats(T)
        assert stats["pending"] == 0
        assert stats["oldest_due_age_seconds"] is None
        assert stats["by_kind"] == {}


@pytest.mark.django_db
class TestLoop:
    def test_one_turn_beats_runs_due_scans_and_runs_due_jobs(self):
        scans: list[Any] = []
        periodic("scan", timedelta(minutes=1))(scans.append)
        handler("k")(lambda payload: effect(payload["key"]))
        add("k", {"key": "a"}, at=T)
        add("k", {"key": "b"}, at=T)
        started = T - timedelta(minutes=1)
        assert worker.work_once(worker="w1", started_at=started, batch=10, lease=LEASE, at=T) == 2
        assert effects() == {"a", "b"}
        assert scans == [T]
        assert WorkerHeartbeat.objects.get(name="w1").seen_at == T

    @pytest.mark.django_db(transaction=True)
    def test_the_loop_finishes_the_current_job_then_stops_when_asked(self):
        stop = threading.Event()

        def last_job(payload):
            effect("last")
            stop.set()  # as SIGTERM would, in the middle of the job

        handler("k")(last_job)
        add("k")
        add("k", {"never": True})
        worker.run_forever(worker="w1", stop_event=stop, batch=10, poll=0.01, lease=LEASE)
        assert effects() == {"last"}
        assert sorted(Job.objects.values_list("state", "attempts")) == [
            (Job.State.DONE, 1),
            (Job.State.PENDING, 0),
        ]
        # A stopped worker is no longer reported alive.
        assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_handler_outside_the_transaction_keeps_what_it_recorded_when_it_fails():
    from django.db import connection
    from django.utils import timezone

    from interchange.core import jobs

    seen = []

    def remote_call(payload):
        seen.append(connection.in_atomic_block)
        PeriodicRun.objects.create(name="attempt recorded", last_run_at=timezone.now())
        raise ConnectionError("mail server down")

    jobs.HANDLERS["test.remote"] = remote_call
    jobs.OUTSIDE_TRANSACTION.add("test.remote")
    try:
        jobs.enqueue("test.remote", {})
        (job,) = claim(worker="w1", limit=1, lease=timedelta(seconds=30))
        assert run_job(job, worker="w1", rand=lambda: 0.5) == Job.State.PENDING
    finally:
        del jobs.HANDLERS["test.remote"]
        jobs.OUTSIDE_TRANSACTION.discard("test.remote")
    assert seen == [False]
    assert PeriodicRun.objects.filter(name="attempt recorded").exists()
    job.refresh_from_db()
    assert "mail server down" in job.last_error
