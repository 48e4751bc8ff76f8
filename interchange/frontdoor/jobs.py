"""The front door's background work, registered with core's worker at start-up."""

from __future__ import annotations

from datetime import datetime, timedelta

from interchange.core.jobs import periodic
from interchange.frontdoor.resident import uploads


@periodic("frontdoor.purge_draft_photos", every=timedelta(hours=1))
def purge_draft_photos(at: datetime) -> None:
    """Delete photos held for report drafts that were abandoned."""
    uploads.purge_stale(at=at)
