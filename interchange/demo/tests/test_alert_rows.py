"""The alerts a batch's scans raise join its timeline table where the emulator puts their
events: after the entries of their ticket's moment, those of one moment in the order raised."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from interchange.demo.alerts import _inserted

START = 1_600_000_000_000_000  # µs
# (ticket position, instant, a tag to tell rows apart)
Row = tuple[int, int, int]
ROWS = st.lists(
    st.tuples(st.integers(0, 5), st.integers(START, START + 20), st.integers(0, 99)),
    min_size=1,
    max_size=30,
)


@given(ROWS, st.lists(st.tuples(st.integers(0, 29), st.integers(0, 20), st.integers(0, 99))))
def test_alert_rows_go_after_their_moment_in_the_order_raised(
    entries: list[Row], picks: list[Row]
) -> None:
    table = sorted(entries, key=lambda r: r[:2])
    # Each alert is for a ticket of the table, at or after the moment it opened; a ticket's
    # alerts are raised in time order, tickets interleaved.
    opened = {position: at for position, at, _tag in reversed(table)}
    tickets = sorted(opened)
    alerts = [
        (tickets[i % len(tickets)], opened[tickets[i % len(tickets)]] + later, tag)
        for i, later, tag in picks
    ]
    raised = sorted(alerts, key=lambda r: r[1])
    merged = _inserted(_array(table), _array(raised))
    # A stable sort keeps the timeline's entries first, then the alerts as raised.
    assert merged.tolist() == [list(r) for r in sorted(table + raised, key=lambda r: r[:2])]


def _array(rows: list[Row]) -> np.ndarray:
    return np.array(rows, dtype=np.int64).reshape(-1, 3)
