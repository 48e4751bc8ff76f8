"""The durable job that sends a notification (the worker claims it; tests call it directly)."""

from __future__ import annotations

from typing import Any

from interchange.core.jobs import handler
from interchange.notifications.services import SEND_JOB, notification_send


@handler(SEND_JOB, atomic=False)
def send_notification(payload: dict[str, Any]) -> None:
    """Send the notification the job names; raises (so the worker retries) when sending fails."""
    notification_send(notification_id=payload["notification"])
