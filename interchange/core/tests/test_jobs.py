"""The jobs API the apps use: enqueue in the caller's transaction, deduplication, registries."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import transaction

from interchange.core import jobs
from interchange.core.jobs import HANDLERS, PERIODIC, enqueue
from interchange.core.models import Job
from interchange.core.worker import run_periodic

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def registry():
    with mock.patch.dict(HANDLERS, clear=True), mock.patch.dict(PERIODIC, clear=True):
        yield


@pytest.mark.django_db
class TestEnqueue:
    def test_a_new_job_is_pending_and_due_at_once(self):
        job = enqueue("mail.send", {"to": "lee@example.org"}, at=T)
        assert job is not None
        job.refresh_from_db()
        assert job.state == Job.State.PENDING
        assert job.next_attempt_at == T
        assert job.created_at == T
        assert job.attempts == 0
        assert job.payload == {"to": "lee@example.org"}

    def test_a_job_can_be_deferred(self):
        job = enqueue("mail.send", run_at=T + timedelta(hours=1), at=T)
        assert job is not None
        assert job.next_attempt_at == T + timedelta(hours=1)

    def test_a_used_dedupe_key_adds_no_second_job(self):
        first = enqueue("webhook.deliver", {"n": 1}, dedupe_key="event-7:supplier-a", at=T)
        second = enqueue("webhook.deliver", {"n": 2}, dedupe_key="event-7:supplier-a", at=T)
        assert first is not None
        assert second is None
        assert Job.objects.get().payload == {"n": 1}

    def test_jobs_without_a_dedupe_key_are_never_merged(self):
        enqueue("mail.send", at=T)
        enqueue("mail.send", at=T)
        assert Job.objects.count() == 2

    def test_a_dedupe_clash_leaves_the_callers_transaction_usable(self):
        enqueue("mail.send", dedupe_key="k", at=T)
        with transaction.atomic():
            assert enqueue("mail.send", dedupe_key="k", at=T) is None
            enqueue("mail.send", at=T)
        assert Job.objects.count() == 2

    def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(self):
        with transaction.atomic():
            enqueue("mail.send", at=T)
            transaction.set_rollback(True)
        assert not Job.objects.exists()


@pytest.mark.usefixtures("registry")
class TestRegistries:
    def test_a_handler_is_registered_under_its_kind(self):
        @jobs.handler("mail.send")
        def send(payload):
            return None

        assert HANDLERS["mail.send"] is send

    def test_a_second_handler_for_one_kind_is_refused(self):
        jobs.handler("mail.send")(lambda payload: None)
        with pytest.raises(ValueError, match=r"mail\.send"):
            jobs.handler("mail.send")(lambda payload: None)

    def test_a_periodic_scan_is_registered_with_its_interval(self):
        @jobs.periodic("sla.breach_check", timedelta(minutes=1))
        def scan(at):
            return None

        assert PERIODIC["sla.breach_check"].every == timedelta(minutes=1)
        assert PERIODIC["sla.breach_check"].run is scan


@pytest.mark.django_db
def test_enqueue_many_adds_each_job_once_by_its_key(django_assert_num_queries):
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with django_assert_num_queries(1):
        jobs.enqueue_many("test.many", [({"n": 1}, "many:1"), ({"n": 2}, "many:2")], at=at)
    # Again, with one key already used: only the new one is added, nothing is doubled.
    jobs.enqueue_many("test.many", [({"n": 2}, "many:2"), ({"n": 3}, "many:3")], at=at)
    queued = Job.objects.filter(kind="test.many").order_by("dedupe_key")
    assert [(j.payload["n"], j.next_attempt_at) for j in queued] == [(1, at), (2, at), (3, at)]


@pytest.mark.django_db
class TestPurgeFinished:
    def _job(self, state, finished_days_ago=None):
        finished = T - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
        return Job.objects.create(
            kind="mail.send",
            state=state,
            next_attempt_at=T - timedelta(days=90),
            created_at=T - timedelta(days=90),
            finished_at=finished,
        )

    def test_done_jobs_past_the_keeping_time_go_and_every_other_job_stays(
        self, settings, django_assert_num_queries
    ):
        settings.JOB_RETENTION_DAYS = 30
        old = [self._job(Job.State.DONE, days) for days in (31, 40, 45, 60, 400)]
        kept = [
            self._job(Job.State.DONE, 29),
            self._job(Job.State.FAILED, 400),  # for a person to see and replay
            self._job(Job.State.PENDING),
        ]

        # Two a statement: the five old jobs take three reads and deletes, and a last read.
        with django_assert_num_queries(7):
            assert jobs.purge_finished(at=T, chunk=2) == len(old)

        assert set(Job.objects.values_list("pk", flat=True)) == {job.pk for job in kept}
        assert jobs.purge_finished(at=T) == 0

    def test_a_purged_jobs_dedupe_key_can_be_used_again(self, settings):
        settings.JOB_RETENTION_DAYS = 30
        enqueue("mail.send", dedupe_key="notification:7", at=T - timedelta(days=60))
        Job.objects.update(state=Job.State.DONE, finished_at=T - timedelta(days=59))
        assert enqueue("mail.send", dedupe_key="notification:7", at=T) is None

        jobs.purge_finished(at=T)

        assert enqueue("mail.send", dedupe_key="notification:7", at=T) is not None

    def test_the_workers_loop_purges_them_once_an_hour(self, settings):
        settings.JOB_RETENTION_DAYS = 30
        self._job(Job.State.DONE, 31)
        assert "core.purge_finished_jobs" in run_periodic(at=T)
        assert not Job.objects.exists()

        self._job(Job.State.DONE, 31)
        assert "core.purge_finished_jobs" not in run_periodic(at=T + timedelta(minutes=59))
        assert Job.objects.count() == 1
        assert "core.purge_finished_jobs" in run_periodic(at=T + timedelta(hours=1))
        assert not Job.objects.exists()
