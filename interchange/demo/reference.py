"""The demo's reference data in dependency order: wards, catalogue, suppliers, people."""

from __future__ import annotations

from django.db import transaction

from interchange.core import demo as core_demo
from interchange.demo import catalogue, people, suppliers, wards
from interchange.demo.dates import DemoDates
from interchange.demo.people import Login


@transaction.atomic
def load(dates: DemoDates) -> list[Login]:
    """Create what is missing (running it again changes nothing) and return the logins."""
    core_demo.load()
    areas = wards.load(at=dates.setup_at)
    services = catalogue.load(at=dates.setup_at)
    suppliers.load(dates=dates, services=services, areas=areas)
    return people.load(at=dates.setup_at)
