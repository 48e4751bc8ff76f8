"""The report a resident is filling in, kept in their session between the steps, and which
step comes next. Nothing reaches the service desk until they send it."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils.datastructures import MultiValueDict

from interchange.catalogue.models import Service
from interchange.frontdoor.resident import uploads
from interchange.frontdoor.resident.selectors import (
    NearbyReport,
    nearby_open_reports,
    resident_service,
)

SESSION_KEY = "frontdoor.report"
SENT_KEY = "frontdoor.sent"

# The steps in order. "nearby" is asked only when open reports lie near the chosen point;
# "photos" may be left empty but is still a step the resident passes.
STEPS = ("category", "where", "nearby", "details", "photos", "contact")


@dataclass
class Draft:
    id: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    service: str = ""
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    place: str = ""
    description: str = ""
    # The questions' form data as posted (lists of strings), re-checked when sent.
    answers: dict[str, list[str]] = field(default_factory=dict)
    photos: list[dict[str, Any]] = field(default_factory=list)
    name: str = ""
    contact: str = ""
    email: str = ""
    phone: str = ""
    done: list[str] = field(default_factory=list)

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def service_obj(self) -> Service | None:
        return resident_service(self.service) if self.service else None

    def answers_data(self) -> MultiValueDict[str, str]:
        return MultiValueDict(self.answers)

    def finish(self, step: str) -> None:
        if step not in self.done:
            self.done.append(step)

    def undo(self, *steps: str) -> None:
        self.done = [s for s in self.done if s not in steps]

    def choose_service(self, code: str) -> None:
        """A different service asks different questions and has other reports nearby."""
        if code != self.service:
            self.service = code
            self.answers = {}
            self.undo("details", "nearby")
        self.finish("category")


def load(session: SessionBase) -> Draft | None:
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        return Draft(**raw)
    except TypeError:
        # A draft saved by an older release: start again rather than guess.
        return None


def start(session: SessionBase) -> Draft:
    return load(session) or Draft()


def save(session: SessionBase, draft: Draft) -> None:
    session[SESSION_KEY] = asdict(draft)


def discard(session: SessionBase) -> None:
    """Forget the draft and delete the photos it held."""
    draft = load(session)
    if draft is not None:
        for photo in draft.photos:
            uploads.discard(photo["key"])
    session.pop(SESSION_KEY, None)


def nearby_for(draft: Draft, service: Service | None = None) -> list[NearbyReport]:
    """Open reports near the draft's point, for its service (empty without a point)."""
    service = service or draft.service_obj()
    if service is None or draft.latitude is None or draft.longitude is None:
        return []
    return nearby_open_reports(service=service, latitude=draft.latitude, longitude=draft.longitude)


def next_step(draft: Draft) -> str:
    """The first step not yet done ("check" when every step is)."""
    for step in STEPS:
        if step in draft.done:
            continue
        if step == "nearby" and not nearby_for(draft):
            continue
        return step
    return "check"


def ready_for(draft: Draft, step: str) -> bool:
    """Whether every step a page needs before it is done (the rest may be visited in any
    order from the check page)."""
    needs = {
        "category": (),
        "where": ("category",),
        "nearby": ("category", "where"),
        "details": ("category", "where"),
        "photos": ("category", "where"),
        "contact": ("category", "where"),
        "check": ("category", "where", "details", "photos", "contact"),
    }[step]
    return all(s in draft.done for s in needs)
