"""Photos held between the steps: checked, kept under a key only the session knows, and
cleared away when the draft is abandoned."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from interchange.frontdoor.resident import uploads
from interchange.frontdoor.resident.tests.conftest import photo_bytes


def test_a_held_photo_can_be_read_back_and_discarded():
    held = uploads.hold(uploads.check_photo("hole.jpg", photo_bytes()))
    assert held.content_type == "image/jpeg" and held.name == "hole.jpg"
    assert uploads.read(held.key) is not None
    uploads.discard(held.key)
    assert uploads.read(held.key) is None


def test_only_photos_are_held():
    with pytest.raises(ValidationError):
        uploads.check_photo("notes.txt", b"just some words\n")


def test_a_key_that_is_not_ours_never_reaches_storage():
    for key in ("../../settings.py", "", "a/b", "x" * 100):
        with pytest.raises(ValueError):
            uploads.read(key)


def test_photos_held_too_long_are_purged(settings, tmp_path):
    settings.FRONTDOOR_DRAFT_UPLOAD_HOURS = 24
    old = uploads.hold(uploads.check_photo("old.jpg", photo_bytes()))
    new = uploads.hold(uploads.check_photo("new.jpg", photo_bytes()))
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(tmp_path / "media" / uploads.FOLDER / old.key, (two_days_ago, two_days_ago))
    assert uploads.purge_stale() == 1
    assert uploads.read(old.key) is None and uploads.read(new.key) is not None
    assert uploads.purge_stale(at=timezone.now() + timedelta(days=2)) == 1


def test_purging_with_nothing_held_does_nothing():
    assert uploads.purge_stale() == 0
