"""Photos held between the steps of the report form: checked on upload (real type, size,
location stripped), kept in storage under a random name the session alone knows, and
deleted when the report is sent, the photo removed, or the draft abandoned."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.servicedesk.attachments import IMAGE_TYPES, prepare_upload

FOLDER = "frontdoor-drafts"
# Keys are ours (token_urlsafe), so anything else is refused before it reaches storage.
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class HeldPhoto:
    key: str
    name: str
    content_type: str
    size: int

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
        }


def check_photo(name: str, data: bytes) -> tuple[str, bytes, str]:
    """A checked photo: (safe name, content without location, content type). A file that is
    not a photo, or too big, raises ValidationError with a message for the resident."""
    prepared = prepare_upload(name, data)
    if prepared.content_type not in IMAGE_TYPES:
        raise ValidationError(
            _("The selected file must be a photo (JPG, PNG, WEBP or GIF)"), code="type"
        )
    return prepared.name, prepared.content, prepared.content_type


def _path(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError("not a held photo key")
    return f"{FOLDER}/{key}"


def hold(photo: tuple[str, bytes, str]) -> HeldPhoto:
    """Keep a photo checked by `check_photo` until the report is sent."""
    safe_name, content, content_type = photo
    key = secrets.token_urlsafe(24)
    default_storage.save(_path(key), ContentFile(content))
    return HeldPhoto(key=key, name=safe_name, content_type=content_type, size=len(content))


def read(key: str) -> bytes | None:
    """A held photo's content, or None when it is gone (sent, removed or expired)."""
    path = _path(key)
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as held:
        return bytes(held.read())


def exists(key: str) -> bool:
    return bool(default_storage.exists(_path(key)))


def discard(key: str) -> None:
    default_storage.delete(_path(key))


def purge_stale(*, at: datetime | None = None) -> int:
    """Delete photos held longer than FRONTDOOR_DRAFT_UPLOAD_HOURS (their drafts were
    abandoned); returns how many. Run periodically."""
    at = at or timezone.now()
    cutoff = at - timedelta(hours=settings.FRONTDOOR_DRAFT_UPLOAD_HOURS)
    try:
        _folders, files = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    purged = 0
    for name in files:
        path = f"{FOLDER}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            purged += 1
    return purged
