"""Queueing and sending notifications: `notify` records a message and queues its durable
job; `notification_send` (run by that job) renders and sends it through Django's email
framework, so a failing mail server delays a message but never loses it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from interchange.core.jobs import enqueue, enqueue_many
from interchange.core.models import Job
from interchange.notifications.links import message_links
from interchange.notifications.models import Notification
from interchange.servicedesk.models import TicketEvent

logger = logging.getLogger(__name__)

SEND_JOB = "notifications.send"
# With the worker's backoff (10 s doubling to an hour, full jitter), twenty attempts wait out a
# mail server down for about six hours on average; after them the notification (and its
# job) is failed for a person to see and replay.
MAX_ATTEMPTS = 20
# The record keeps this much of a subject; the email itself carries it whole.
SUBJECT_MAX_LENGTH = Notification._meta.get_field("subject").max_length or 300
# Longest error text kept on a notification; SMTP errors can carry whole server transcripts.
ERROR_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    # A resident message's unsubscribe link, also given in the List-Unsubscribe header.
    unsubscribe_link: str = ""


def notify(
    *,
    kind: str,
    recipient: str,
    context: dict[str, Any],
    event: TicketEvent | None = None,
    at: datetime | None = None,
) -> Notification:
    """Record a message of `kind` to `recipient` and queue the job that sends it, in the
    caller's transaction. `context` holds the templates' values (JSON: display-ready text).

    For an event, a message of this kind to this recipient is recorded (and sent) once:
    calling again returns the existing notification and queues nothing.
    """
    kind = Notification.Kind(kind)
    at = at or timezone.now()
    recipient = recipient.strip().lower()
    defaults = {
        "template": _template_dir(kind),
        "context": context,
        "subject": _subject(kind, context),
        "created_at": at,
    }
    with transaction.atomic():
        if event is None:
            notification = Notification.objects.create(kind=kind, recipient=recipient, **defaults)
            created = True
        else:
            notification, created = Notification.objects.get_or_create(
                event=event, kind=kind, recipient=recipient, defaults=defaults
            )
        if created:
            enqueue(
                SEND_JOB,
                {"notification": notification.pk},
                max_attempts=MAX_ATTEMPTS,
                dedupe_key=send_job_key(notification.pk),
                at=at,
            )
    return notification


@dataclass(frozen=True)
class Planned:
    """A message about a timeline event, for `notify_many`."""

    kind: str
    recipient: str
    context: dict[str, Any]
    event: TicketEvent


def notify_many(planned: list[Planned], *, at: datetime | None = None) -> int:
    """`notify` for many messages about timeline events, in a few queries whatever their
    number: records those not recorded already (each event, kind and recipient once) and
    queues their send jobs, in the order given. Returns how many it queued.

    As idempotent as `notify`: a message already recorded is left alone, even when its send
    job is long gone, and one recorded meanwhile by another transaction (which queued its own
    job) gets no second job, by the job's deduplication key."""
    if not planned:
        return 0
    at = at or timezone.now()
    wanted: dict[tuple[int, str, str], Planned] = {}
    for message in planned:
        key = (message.event.pk, Notification.Kind(message.kind).value, _address(message))
        wanted.setdefault(key, message)
    event_ids = {event_id for event_id, _kind, _recipient in wanted}
    recorded = set(
        Notification.objects.filter(event_id__in=event_ids).values_list(
            "event_id", "kind", "recipient"
        )
    )
    new = {key: message for key, message in wanted.items() if key not in recorded}
    if not new:
        return 0
    Notification.objects.bulk_create(
        [
            Notification(
                event_id=event_id,
                kind=kind,
                recipient=recipient,
                template=_template_dir(kind),
                context=message.context,
                subject=_subject(kind, message.context),
                created_at=at,
            )
            for (event_id, kind, recipient), message in new.items()
        ],
        # Another transaction's record of the same message (a concurrent replay) wins.
        ignore_conflicts=True,
    )
    ids = {
        (event_id, kind, recipient): pk
        for pk, event_id, kind, recipient in Notification.objects.filter(
            event_id__in={event_id for event_id, _kind, _recipient in new}
        ).values_list("pk", "event_id", "kind", "recipient")
    }
    queued = sorted(ids[key] for key in new if key in ids)
    # As `enqueue` with a deduplication key: a send job already queued is not doubled.
    enqueue_many(
        SEND_JOB,
        [({"notification": pk}, send_job_key(pk)) for pk in queued],
        max_attempts=MAX_ATTEMPTS,
        at=at,
    )
    return len(queued)


def _address(message: Planned) -> str:
    return message.recipient.strip().lower()


def _subject(kind: str, context: dict[str, Any]) -> str:
    return render_message(kind, context, parts=("subject",)).subject[:SUBJECT_MAX_LENGTH]


def send_job_key(notification_id: int) -> str:
    """The deduplication key of the job that sends a notification: one job per notification."""
    return f"{SEND_JOB}:{notification_id}"


def notification_send(*, notification_id: int) -> Notification | None:
    """Render and send one queued (or failed) notification and mark it sent; one already
    sent is left alone. On any error, records it and the attempt on the notification, then
    re-raises so the worker retries later.

    The worker runs it outside any transaction (atomic=False), so no database lock is held
    while the mail server answers and the record of a failed attempt survives the raise.
    """
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None or notification.state == Notification.State.SENT:
        return notification
    attempt = _attempt_number(notification)
    try:
        message = render_message(notification.kind, notification.context)
        # RFC 3834: tells autoresponders not to answer a machine.
        headers = {"Auto-Submitted": "auto-generated"}
        if message.unsubscribe_link:
            # RFC 2369 and RFC 8058: the mail program's own unsubscribe button posts to it.
            headers["List-Unsubscribe"] = f"<{message.unsubscribe_link}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient],
            headers=headers,
        )
        email.attach_alternative(message.html, "text/html")
        email.send()
    except Exception as exc:
        state = Notification.State.FAILED if attempt >= MAX_ATTEMPTS else Notification.State.QUEUED
        Notification.objects.filter(pk=notification.pk).update(
            attempts=attempt, error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH], state=state
        )
        logger.warning(
            "Notification %s to %s failed (attempt %s): %s",
            notification.pk,
            notification.recipient,
            attempt,
            exc,
        )
        raise
    Notification.objects.filter(pk=notification.pk).update(
        attempts=attempt,
        error="",
        state=Notification.State.SENT,
        sent_at=timezone.now(),
        subject=message.subject[:SUBJECT_MAX_LENGTH],
    )
    notification.refresh_from_db()
    return notification


def _attempt_number(notification: Notification) -> int:
    """This attempt's number: one more than this record knows of, or the job's own count
    (which the worker commits at every claim) when that is higher."""
    counted = (
        Job.objects.filter(dedupe_key=send_job_key(notification.pk))
        .values_list("attempts", flat=True)
        .first()
    )
    return max(notification.attempts + 1, counted or 0)


def render_message(
    kind: str, context: dict[str, Any], *, parts: tuple[str, ...] = ("subject", "text", "html")
) -> Message:
    """The subject, plain text and HTML of a message of `kind`, in the council's language
    (there is no request to take one from). Only the `parts` asked for are rendered."""
    template_dir = _template_dir(kind)
    values = {
        "council_name": settings.COUNCIL_NAME,
        "staff_service_name": settings.STAFF_SERVICE_NAME,
        "service_name": settings.SERVICE_NAME,
        "language_code": settings.LANGUAGE_CODE,
        **context,
    }
    # A resident message's links carry secrets, so they are made now, never stored.
    links = message_links(context) if {"text", "html"} & set(parts) else {}
    values.update(links)
    rendered = {"subject": "", "text": "", "html": ""}
    with translation.override(settings.LANGUAGE_CODE):
        for part, name in (("subject", "subject.txt"), ("text", "body.txt"), ("html", "body.html")):
            if part in parts:
                rendered[part] = render_to_string(f"{template_dir}/{name}", values)
    # A subject is one line: templates end with a newline, and a title may hold several spaces.
    rendered["subject"] = " ".join(rendered["subject"].split())
    return Message(**rendered, unsubscribe_link=links.get("unsubscribe_link", ""))


def _template_dir(kind: str) -> str:
    return f"notifications/{Notification.Kind(kind).value}"
