"""Run the benchmarks: `python -m bench [name-substring ...]` (what `make bench` calls)."""

from __future__ import annotations

import importlib
import os
import sys

import django

from bench.harness import REGISTRY, Measure, format_table, write_results

# Each module registers its benchmarks on import; later issues add theirs here.
MODULES = [
    "bench.sla",
    "bench.clocks",
    "bench.seed",
    "bench.open311",
    "bench.exchange",
    "bench.api",
    "bench.workspace",
]


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interchange.settings")
    os.environ.setdefault("DEBUG", "1")  # a local run; never a deployment
    django.setup()
    for module in MODULES:
        importlib.import_module(module)
    wanted = [a for a in argv if not a.startswith("-")]
    measures: list[Measure] = []
    for name, func in REGISTRY:
        if wanted and not any(w in name for w in wanted):
            continue
        print(f"running {name} ...", flush=True)
        measures.extend(func())
    print()
    print(format_table(measures))
    write_results(measures)
    print(f"\nwrote {len(measures)} measures to var/bench/results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
