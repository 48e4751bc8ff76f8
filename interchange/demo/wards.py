"""Harbourside's fifteen wards: invented boundaries that tile the city around a made-up centre
near 51.45 N, 2.59 W, so every point in the city lies in exactly one ward."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from interchange.catalogue.models import Area
from interchange.catalogue.services import area_save

COLUMNS, ROWS = 5, 3
WEST, EAST = -2.70, -2.48
SOUTH, NORTH = 51.39, 51.51
# Fixed, so the map is the same in every demo whatever the history's seed.
SHAPE_SEED = 20260101


@dataclass(frozen=True)
class WardSpec:
    code: str
    name: str
    # Relative share of reports: the centre is busier than the edges.
    weight: float


# Row by row from the south-west; the middle row's middle cell is the city centre.
WARDS: tuple[WardSpec, ...] = (
    WardSpec("E05099001", "Saltmarsh", 0.7),
    WardSpec("E05099002", "Furnace Vale", 1.0),
    WardSpec("E05099003", "Lockgate", 1.1),
    WardSpec("E05099004", "Orchard Heath", 0.9),
    WardSpec("E05099005", "Kingsweir", 0.6),
    WardSpec("E05099006", "Ferrybank", 1.0),
    WardSpec("E05099007", "Ropewalk", 1.4),
    WardSpec("E05099008", "Quayside", 1.8),
    WardSpec("E05099009", "Tanners Cross", 1.3),
    WardSpec("E05099010", "Eastwharf", 0.9),
    WardSpec("E05099011", "Lantern Hill", 0.6),
    WardSpec("E05099012", "Shipwrights", 1.0),
    WardSpec("E05099013", "Holm Lea", 1.1),
    WardSpec("E05099014", "Windmill Rise", 0.9),
    WardSpec("E05099015", "Larkspur", 0.5),
)


def _lattice() -> tuple[list[list[tuple[float, float]]], dict[Any, tuple[float, float]]]:
    """Corner points of the grid, nudged so no ward is a rectangle, and a nudged midpoint
    for every edge (shared by the two wards either side, so they meet exactly)."""
    rng = random.Random(SHAPE_SEED)  # noqa: S311 - a made-up map, not a secret
    dx, dy = (EAST - WEST) / COLUMNS, (NORTH - SOUTH) / ROWS
    corners = [
        [
            (
                WEST + i * dx + rng.uniform(-0.18, 0.18) * dx,
                SOUTH + j * dy + rng.uniform(-0.18, 0.18) * dy,
            )
            for i in range(COLUMNS + 1)
        ]
        for j in range(ROWS + 1)
    ]
    midpoints: dict[Any, tuple[float, float]] = {}

    def edge(a: tuple[int, int], b: tuple[int, int], horizontal: bool) -> None:
        (ax, ay), (bx, by) = corners[a[1]][a[0]], corners[b[1]][b[0]]
        shift = rng.uniform(-0.12, 0.12)
        mx, my = (ax + bx) / 2, (ay + by) / 2
        midpoints[(a, b)] = (mx, my + shift * dy) if horizontal else (mx + shift * dx, my)

    for j in range(ROWS + 1):
        for i in range(COLUMNS):
            edge((i, j), (i + 1, j), True)
    for j in range(ROWS):
        for i in range(COLUMNS + 1):
            edge((i, j), (i, j + 1), False)
    return corners, midpoints


def _round(point: tuple[float, float]) -> list[float]:
    return [round(point[0], 6), round(point[1], 6)]


def boundaries() -> dict[str, dict[str, Any]]:
    """Each ward's GeoJSON Polygon by code (counter-clockwise, as RFC 7946 asks)."""
    corners, mid = _lattice()
    shapes = {}
    for j in range(ROWS):
        for i in range(COLUMNS):
            a, b, c, d = (i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)
            ring = [
                corners[a[1]][a[0]],
                mid[(a, b)],
                corners[b[1]][b[0]],
                mid[(b, c)],
                corners[c[1]][c[0]],
                mid[(d, c)],
                corners[d[1]][d[0]],
                mid[(a, d)],
            ]
            coordinates = [_round(p) for p in ring]
            coordinates.append(coordinates[0])
            shapes[WARDS[j * COLUMNS + i].code] = {
                "type": "Polygon",
                "coordinates": [coordinates],
            }
    return shapes


@transaction.atomic
def load(*, at: datetime) -> dict[str, Area]:
    """Create the wards through `area_save` (once), recorded as created at `at`."""
    existing = {a.code: a for a in Area.objects.all()}
    for spec, (code, boundary) in zip(WARDS, boundaries().items(), strict=True):
        if code not in existing:
            existing[code] = area_save(
                actor=None, code=code, name=spec.name, boundary=boundary, at=at
            )
    return existing
