"""Who did something to a ticket: a person, an API key, a resident, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass

from interchange.accounts.models import ApiKey, User


@dataclass(frozen=True)
class System:
    """The platform acting on its own (routing, SLA clocks, the demo's history)."""

    label: str = "system"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Resident:
    """A member of the public, through the web front door or their private link."""

    label: str = "resident"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Public:
    """Anyone, unauthenticated: sees the public view of reports offered through Open311."""

    label: str = "public"

    def __str__(self) -> str:
        return self.label


Actor = User | ApiKey | System | Resident | Public
