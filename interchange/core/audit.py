"""The change record of reference data: who changed what, when, with old and new values.

Reference-data services call `record_change` in the same transaction as the
change; the admin does the same through `AuditedAdmin`. Nothing is recorded
from `save()` or signals.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from interchange.core.models import ChangeRecord


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The instance's concrete fields and many-to-many ids as JSON-friendly values.

    auto_now stamps are left out: they change on every save and say nothing about what
    changed, so "saved with no change" records nothing.
    """
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if getattr(field, "auto_now", False):
            continue
        data[field.attname] = _plain(field.value_from_object(instance))
    if instance.pk is not None:
        for m2m in instance._meta.many_to_many:
            data[m2m.name] = sorted(obj.pk for obj in getattr(instance, m2m.name).all())
    return data


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Each field whose value differs, as [old, new]."""
    before, after = before or {}, after or {}
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def record_change(
    instance: models.Model,
    *,
    actor: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> ChangeRecord | None:
    """Record a create (no `before`), change, or delete (no `after`); None when nothing changed."""
    changes = diff(before, after)
    if before is not None and after is not None and not changes:
        return None
    action = (
        ChangeRecord.Action.CREATED
        if before is None
        else ChangeRecord.Action.DELETED
        if after is None
        else ChangeRecord.Action.CHANGED
    )
    user = actor if getattr(actor, "is_authenticated", False) else None
    return ChangeRecord.objects.create(
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:255],
        action=action,
        actor=user,
        actor_label=str(actor)[:255] if actor is not None else "system",
        at=at or timezone.now(),
        changes=changes,
        reason=reason[:500],
    )


def history(instance: models.Model) -> models.QuerySet[ChangeRecord]:
    """The instance's change records, newest first."""
    return ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
    ).select_related("actor")
