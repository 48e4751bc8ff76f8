"""The seeder writes instants from cached parts; they must read exactly as the domain's."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from interchange.demo.emulate import iso, isos

# From 1970 to 2100, in whole seconds, as the emulator keeps instants.
INSTANTS = st.integers(min_value=0, max_value=4_102_444_800)


@given(INSTANTS)
def test_an_instant_reads_as_the_domain_writes_it_into_payloads(t: int) -> None:
    assert iso(t) == datetime.fromtimestamp(t, UTC).isoformat()
    assert datetime.fromisoformat(iso(t)).timestamp() == t


@given(st.lists(INSTANTS, max_size=50))
def test_a_column_of_instants_reads_as_each_does_on_its_own(column: list[int]) -> None:
    assert isos(column) == [datetime.fromtimestamp(t, UTC).isoformat() for t in column]
