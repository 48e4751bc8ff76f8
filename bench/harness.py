"""The benchmark harness: a registry of benchmarks, a results table and results.json.

A benchmark is a plain function decorated with `@benchmark` that returns
`Measure`s. Timing targets live here, never in unit tests. Where a baseline
runs in the same process, the measure carries it and the ratio is printed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

RESULTS_PATH = Path(os.environ.get("BENCH_RESULTS", "var/bench/results.json"))


@dataclass
class Measure:
    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    target: str | None = None
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline_value in (None, 0):
            return None
        return self.value / self.baseline_value  # type: ignore[operator]

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {"name": self.name, "value": self.value, "unit": self.unit}
        if self.baseline is not None:
            data["baseline"] = self.baseline
            data["baseline_value"] = self.baseline_value
            data["ratio"] = self.ratio
        if self.target is not None:
            data["target"] = self.target
        if self.notes:
            data["notes"] = self.notes
        return data


BenchFunc = Callable[[], list[Measure]]
REGISTRY: list[tuple[str, BenchFunc]] = []


def benchmark(func: BenchFunc) -> BenchFunc:
    """Register a benchmark function (it returns its measures)."""
    REGISTRY.append((f"{func.__module__}.{func.__name__}", func))
    return func


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Yields a one-item list that holds the elapsed seconds once the block ends."""
    elapsed: list[float] = [0.0]
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - start


def format_table(measures: list[Measure]) -> str:
    rows = [("measure", "value", "unit", "baseline", "ratio", "target")]
    for m in measures:
        rows.append(
            (
                m.name,
                _num(m.value),
                m.unit,
                "" if m.baseline is None else f"{m.baseline}: {_num(m.baseline_value)}",
                "" if m.ratio is None else f"{m.ratio:.1f}x",
                m.target or "",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def write_results(measures: list[Measure], path: Path = RESULTS_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([m.as_json() for m in measures], indent=2) + "\n")
