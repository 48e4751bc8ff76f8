"""The demo council: each app's demo loader, called in dependency order, and the logins."""

from __future__ import annotations

from interchange.demo import history, reference
from interchange.demo.dates import DemoDates
from interchange.demo.people import DEMO_PASSWORD, Login
from interchange.servicedesk.models import Ticket

__all__ = ["DEMO_PASSWORD", "Login", "load"]


def load(*, tickets: int = 0, seed: int = history.DEMO_SEED, progress: bool = False) -> list[Login]:
    """Create or refresh the demo council and return every login and API key to print.

    Reference data is created once (running it again changes nothing); with `tickets`, two
    years of seeded history is added the first time, when there are no tickets yet.
    """
    dates = DemoDates.today()
    logins = reference.load(dates)
    if tickets and not Ticket.objects.exists():
        history.load(count=tickets, seed=seed, dates=dates, progress=progress)
    return logins
