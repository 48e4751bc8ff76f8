"""Sending: a failing mail server delays a message but loses nothing, and nothing is sent
twice, whether the send is retried, the batch is retried or the timeline is replayed."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from interchange.core import worker
from interchange.core.jobs import HANDLERS, purge_finished
from interchange.core.models import Job
from interchange.notifications.handlers import send_notification
from interchange.notifications.listeners import on_timeline_event
from interchange.notifications.models import Notification
from interchange.notifications.services import MAX_ATTEMPTS, SEND_JOB, notify
from interchange.notifications.tests.conftest import NO_UPDATES
from interchange.servicedesk import dispatch
from interchange.servicedesk.dispatch import dispatch_batch, replay
from interchange.servicedesk.tests.factories import T0, make_ticket

pytestmark = pytest.mark.django_db

REFUSING = "interchange.notifications.tests.backends.RefusingBackend"
CONTEXT = {
    "reference": "INC-000042",
    "title": "Street light out",
    "ticket_type": "Incident",
    "priority": "P3 – moderate",
    "service": "Street lights",
    "area": "",
    "address": "",
    "link": "https://interchange.example.gov.uk/staff/tickets/INC-000042",
    "supplier": "Streetwise Roads Ltd",
}


@pytest.fixture
def opened(potholes, supplier_a_provides_potholes, contacts):
    """A ticket for supplier A, dispatched: two notifications queued, nothing sent yet."""
    ticket = make_ticket(service=potholes, **NO_UPDATES)
    dispatch_batch()
    return ticket


def _jobs():
    return Job.objects.filter(kind=SEND_JOB).order_by("id")


def test_the_send_job_and_the_listener_are_registered_at_start_up():
    assert HANDLERS[SEND_JOB] is send_notification
    assert dispatch.LISTENERS["notifications"] is on_timeline_event


def test_a_failing_mail_server_keeps_the_notification_queued_then_it_is_sent_once(opened, settings):
    job = _jobs().first()
    notification = Notification.objects.get(pk=job.payload["notification"])
    settings.EMAIL_BACKEND = REFUSING

    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_notification(job.payload)

    notification.refresh_from_db()
    assert notification.state == Notification.State.QUEUED
    assert notification.attempts == 1
    assert "Connection unexpectedly closed" in notification.error
    assert notification.sent_at is None
    assert mail.outbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_notification(job.payload)
    send_notification(job.payload)  # a retry after the send, say the worker died then

    notification.refresh_from_db()
    assert notification.state == Notification.State.SENT
    assert notification.attempts == 2
    assert notification.error == ""
    assert notification.sent_at is not None
    assert [m.to for m in mail.outbox] == [[notification.recipient]]


def test_after_its_last_attempt_it_is_failed_and_a_replayed_job_still_sends_it(opened, settings):
    job = _jobs().first()
    Notification.objects.filter(pk=job.payload["notification"]).update(attempts=MAX_ATTEMPTS - 1)
    settings.EMAIL_BACKEND = REFUSING

    with pytest.raises(smtplib.SMTPException):
        send_notification(job.payload)
    notification = Notification.objects.get(pk=job.payload["notification"])
    assert notification.state == Notification.State.FAILED
    assert notification.attempts == MAX_ATTEMPTS

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_notification(job.payload)
    notification.refresh_from_db()
    assert notification.state == Notification.State.SENT
    assert len(mail.outbox) == 1


def test_replaying_the_timeline_sends_nothing_twice(opened, deliver):
    assert deliver() == 2
    notifications, jobs = Notification.objects.count(), _jobs().count()

    assert replay("notifications") == 1

    assert (Notification.objects.count(), _jobs().count()) == (notifications, jobs)
    assert deliver() == 0
    assert len(mail.outbox) == 2


def test_replaying_the_timeline_after_the_send_jobs_were_deleted_sends_nothing_twice(
    opened, deliver, settings
):
    assert deliver() == 2
    settings.JOB_RETENTION_DAYS = 30
    assert purge_finished(at=timezone.now() + timedelta(days=31)) == 2

    assert replay("notifications") == 1

    assert Notification.objects.count() == 2
    assert not _jobs().exists()
    assert deliver() == 0
    assert len(mail.outbox) == 2


def test_a_dispatch_batch_that_failed_and_ran_again_sends_once(
    potholes, supplier_a_provides_potholes, contacts, deliver, monkeypatch
):
    make_ticket(service=potholes, **NO_UPDATES)

    def broken(event):
        raise RuntimeError("another listener broke")

    monkeypatch.setitem(dispatch.LISTENERS, "broken", broken)
    with pytest.raises(RuntimeError):
        dispatch_batch()
    assert not Notification.objects.exists()
    assert not _jobs().exists()

    monkeypatch.delitem(dispatch.LISTENERS, "broken")
    assert deliver() == 2
    assert len(mail.outbox) == 2


def test_an_event_is_notified_once_per_kind_and_recipient(opened):
    event = opened.events.get()
    first = Notification.objects.get(event=event, recipient="desk@streetwise.example")

    again = notify(
        kind=Notification.Kind.SUPPLIER_ASSIGNED,
        recipient=" Desk@Streetwise.EXAMPLE ",
        context=CONTEXT,
        event=event,
    )

    assert again == first
    assert Notification.objects.filter(event=event).count() == 2
    assert _jobs().count() == 2
    assert set(_jobs().values_list("dedupe_key", flat=True)) == {
        f"{SEND_JOB}:{n.pk}" for n in Notification.objects.all()
    }


def test_a_notification_without_an_event_is_queued_each_time(db):
    notify(kind="supplier_assigned", recipient="a@example.org", context=CONTEXT, at=T0)
    notify(kind="supplier_assigned", recipient="a@example.org", context=CONTEXT, at=T0)

    assert Notification.objects.count() == 2
    first = Notification.objects.earliest("pk")
    assert first.subject == "INC-000042 assigned to Streetwise Roads Ltd: Street light out"
    assert first.template == "notifications/supplier_assigned"
    assert first.created_at == T0
    assert _jobs().count() == 2


def test_an_unknown_kind_is_refused(db):
    with pytest.raises(ValueError):
        notify(kind="carrier_pigeon", recipient="a@example.org", context=CONTEXT)
    assert not Notification.objects.exists()


def test_a_job_for_a_notification_that_is_gone_does_nothing(db):
    send_notification({"notification": 999_999})
    assert mail.outbox == []


def test_the_worker_sends_it_and_retries_it_after_a_failure(opened, settings):
    # The real worker: claims, runs the handler in its transaction, reschedules on failure.
    settings.EMAIL_BACKEND = REFUSING
    lease = timedelta(minutes=5)
    now = timezone.now()
    jobs = worker.claim(worker="w1", limit=10, lease=lease, at=now)
    assert len(jobs) == 2
    for job in jobs:
        assert worker.run_job(job, worker="w1", at=now, rand=lambda: 1.0) == Job.State.PENDING
    assert all("Connection unexpectedly closed" in job.last_error for job in _jobs())
    assert set(Notification.objects.values_list("state", flat=True)) == {"queued"}

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = now + timedelta(minutes=1)
    jobs = worker.claim(worker="w1", limit=10, lease=lease, at=later)
    for job in jobs:
        assert worker.run_job(job, worker="w1", at=later) == Job.State.DONE

    # The failed attempt's record went with the worker's rolled-back transaction; the job
    # kept the count, and the record catches up when it is sent.
    assert set(Notification.objects.values_list("state", "attempts")) == {("sent", 2)}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "desk@streetwise.example",
        "manager@streetwise.example",
    ]
