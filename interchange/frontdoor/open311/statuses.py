"""Ticket states as Open311 and FixMyStreet name them: `TABLE`, one table read both ways.

GeoReport v2 knows only `open` and `closed`. mySociety's `servicerequestupdates` extension
names more: FixMyStreet shows each update's status, and sends its residents' updates back
with a status in capitals. Each row of `TABLE` says which of our ticket states an outgoing
update shows as that status, and what an incoming update with it does.

An incoming update never resolves or closes a ticket: only the desk and its suppliers do
that, so a resident saying "fixed" on FixMyStreet is a note for them. A reopen that the state
machine refuses (closed too long ago) is kept as a note instead, so the update is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from interchange.servicedesk.models import OPEN_STATUSES, ResolutionCode, Status

ENDED = frozenset({Status.RESOLVED, Status.CLOSED})
DONE = frozenset({Status.RESOLVED, Status.CLOSED, Status.CANCELLED})


class Inbound(Enum):
    """What a client's update with a status does to the ticket."""

    NOTE = "note"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Row:
    status: str
    # Going out: the states shown as this status, narrowed by resolution code and by whether
    # the holder has acknowledged (None: either). No states: never sent.
    states: frozenset[Status] = frozenset()
    resolutions: frozenset[str] | None = None
    acknowledged: bool | None = None
    inbound: Inbound = Inbound.NOTE


_NEW = frozenset({Status.NEW, Status.ASSIGNED})

TABLE: tuple[Row, ...] = (
    # Going out: nobody has picked it up yet. Coming in: the resident says it is not fixed.
    Row("open", _NEW, acknowledged=False, inbound=Inbound.REOPEN),
    Row("reopen", inbound=Inbound.REOPEN),
    # Its holder has seen it; or it waits on the resident, so someone is looking into it.
    Row("investigating", _NEW, acknowledged=True),
    Row("investigating", frozenset({Status.WAITING_RESIDENT})),
    # Started, resumed after a wait, or reopened.
    Row("in_progress", frozenset({Status.IN_PROGRESS})),
    # Waiting on a third party: the work is booked with someone else.
    Row("action_scheduled", frozenset({Status.WAITING_THIRD_PARTY})),
    Row(
        "fixed",
        ENDED,
        resolutions=frozenset(
            {
                ResolutionCode.FIXED,
                ResolutionCode.WORKAROUND,
                ResolutionCode.REQUEST_FULFILLED,
                ResolutionCode.CHANGE_IMPLEMENTED,
            }
        ),
    ),
    Row("duplicate", ENDED, resolutions=frozenset({ResolutionCode.DUPLICATE})),
    Row("not_councils_responsibility", ENDED, resolutions=frozenset({ResolutionCode.NOT_COUNCIL})),
    Row(
        "no_further_action",
        ENDED,
        resolutions=frozenset({ResolutionCode.NO_FURTHER_ACTION, ResolutionCode.NO_FAULT_FOUND}),
    ),
    # Never sent: handovers between the desk and suppliers are not public.
    Row("internal_referral"),
    # Cancelled, or ended with no resolution code to say how.
    Row("closed", DONE),
)

# Every status a client may send, in the table's order, each once.
INBOUND: dict[str, Inbound] = {}
for _row in TABLE:
    INBOUND.setdefault(_row.status, _row.inbound)


def outgoing(status: str, *, resolution_code: str = "", acknowledged: bool = False) -> str:
    """The FixMyStreet status an update shows for a ticket in `status` (the first row that
    matches; the table ends with `closed` for any ended state)."""
    for row in TABLE:
        if status not in row.states:
            continue
        if row.resolutions is not None and resolution_code not in row.resolutions:
            continue
        if row.acknowledged is not None and row.acknowledged != acknowledged:
            continue
        return row.status
    return "open" if status in OPEN_STATUSES else "closed"


def incoming(status: str) -> Inbound | None:
    """What an update sent with `status` (any case) does; None for a status not in the table."""
    return INBOUND.get(status.strip().lower())


def open311_status(status: str) -> str:
    """GeoReport v2's own two: `open` while work remains, `closed` once resolved or ended."""
    return "open" if status in OPEN_STATUSES else "closed"
