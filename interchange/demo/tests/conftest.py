"""The demo council's reference data at a fixed anchor day, shared by the demo's tests."""

from __future__ import annotations

from datetime import date

import pytest

from interchange.demo import reference
from interchange.demo.dates import DemoDates
from interchange.demo.people import Login
from interchange.demo.world import World

# A fixed day, so every run of the tests sees the same history.
ANCHOR = date(2026, 11, 2)


@pytest.fixture
def dates() -> DemoDates:
    return DemoDates(ANCHOR)


@pytest.fixture
def logins(db: None, dates: DemoDates) -> list[Login]:
    return reference.load(dates)


@pytest.fixture
def world(logins: list[Login], dates: DemoDates) -> World:
    return World(dates)
