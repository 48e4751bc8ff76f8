"""A test-only job handler for the SIGKILL test, loaded by `manage.py worker --import`.

It notes each start and each (uncommitted) write in a log file outside the database, so the
test can kill the worker before or after the write; the write itself is idempotent (one row
per key) and also counts its commits, which must end at exactly one.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db.models import F
from django.utils import timezone

from interchange.core.jobs import handler
from interchange.core.models import IdempotencyKey

KIND = "tests.slow_effect"
# The effect is an IdempotencyKey row only because core has no test model; status_code
# counts the committed runs.
SCOPE = "tests.slow_effect"


def _note(log: Path, line: str) -> None:
    with log.open("a", encoding="utf-8") as file:
        file.write(line + "\n")


@handler(KIND)
def slow_effect(payload: dict[str, Any]) -> None:
    log = Path(payload["log"])
    _note(log, "start")
    time.sleep(float(os.environ.get("SLOW_HANDLER_BEFORE_S", "0.1")))
    now = timezone.now()
    row, _created = IdempotencyKey.objects.get_or_create(
        scope=SCOPE,
        key=payload["key"],
        defaults={
            "fingerprint": "",
            "status_code": 0,
            "created_at": now,
            "expires_at": now + timedelta(days=1),
        },
    )
    IdempotencyKey.objects.filter(pk=row.pk).update(status_code=F("status_code") + 1)
    _note(log, "wrote")
    time.sleep(float(os.environ.get("SLOW_HANDLER_HOLD_S", "0")))
