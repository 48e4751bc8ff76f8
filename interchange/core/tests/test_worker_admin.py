"""The jobs admin: administrators see the queue and replay failed jobs; other staff see neither."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from interchange.core.jobs import enqueue
from interchange.core.models import Job, WorkerHeartbeat

CHANGELIST = reverse("admin:core_job_changelist")


def failed_job(kind="webhook.deliver"):
    now = timezone.now()
    return Job.objects.create(
        kind=kind,
        state=Job.State.FAILED,
        attempts=8,
        next_attempt_at=now,
        created_at=now,
        finished_at=now,
        last_error="Traceback (most recent call last):\n  …\nTimeoutError: supplier did not answer",
    )


def replay_action(client, *jobs):
    return client.post(
        CHANGELIST,
        {"action": "replay_failed", "_selected_action": [job.pk for job in jobs]},
        follow=True,
    )


@pytest.mark.django_db
class TestAdministrator:
    def test_the_job_list_shows_the_queue_summary_and_short_errors(self, client, administrator):
        now = timezone.now()
        enqueue("mail.send", run_at=now - timedelta(minutes=3))
        enqueue("mail.send", run_at=now + timedelta(hours=1))
        failed_job()
        WorkerHeartbeat.objects.create(name="w1", started_at=now, seen_at=now)
        client.force_login(administrator)
        response = client.get(CHANGELIST)
        assert response.status_code == 200
        queue = response.context["queue"]
        assert (queue["pending"], queue["due"], queue["failed"]) == (2, 1, 1)
        assert response.context["workers_seen"] == 1
        page = response.content.decode()
        assert 'id="queue-summary"' in page
        assert "3\xa0minutes" in page  # the oldest due job's wait
        assert "TimeoutError: supplier did not answer" in page

    def test_replaying_puts_failed_jobs_back_in_the_queue(self, client, administrator):
        job = failed_job()
        done = Job.objects.create(
            kind="k",
            state=Job.State.DONE,
            next_attempt_at=job.created_at,
            created_at=job.created_at,
        )
        client.force_login(administrator)
        response = replay_action(client, job, done)
        assert response.status_code == 200
        job.refresh_from_db()
        done.refresh_from_db()
        assert (job.state, job.attempts) == (Job.State.PENDING, 0)
        assert done.state == Job.State.DONE
        shown = [str(m) for m in response.context["messages"]]
        assert "1 failed job will run again." in shown
        assert "1 job was not failed and was left alone." in shown
        assert LogEntry.objects.get(object_id=str(job.pk)).user == administrator

    def test_jobs_cannot_be_added_edited_or_deleted_here(self, client, administrator):
        job = failed_job()
        client.force_login(administrator)
        assert client.get(reverse("admin:core_job_add")).status_code == 403
        assert client.get(reverse("admin:core_job_delete", args=[job.pk])).status_code == 403
        change = client.get(reverse("admin:core_job_change", args=[job.pk]))
        assert change.status_code == 200
        assert b'name="_save"' not in change.content


@pytest.mark.django_db
class TestOtherStaff:
    def test_a_non_administrator_cannot_see_the_jobs_or_the_queue(self, client, integrator_lead):
        client.force_login(integrator_lead)
        assert client.get(CHANGELIST).status_code == 403
        assert client.get(reverse("admin:core_workerheartbeat_changelist")).status_code == 403
        assert b"core/job" not in client.get(reverse("admin:index")).content

    def test_a_non_administrator_cannot_replay_a_failed_job(self, client, integrator_lead):
        job = failed_job()
        client.force_login(integrator_lead)
        response = client.post(
            CHANGELIST, {"action": "replay_failed", "_selected_action": [job.pk]}
        )
        assert response.status_code == 403
        job.refresh_from_db()
        assert job.state == Job.State.FAILED
