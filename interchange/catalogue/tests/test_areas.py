"""Areas: boundaries checked and saved with their history, and points placed by polygon."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from interchange.catalogue.areas import area_for_point, parse_boundary
from interchange.catalogue.models import Area
from interchange.catalogue.services import area_save
from interchange.core.audit import history
from interchange.core.models import ChangeRecord

pytestmark = pytest.mark.django_db


def square(lon: float, lat: float, size: float = 1.0) -> list[list[float]]:
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def polygon(*rings: list[list[Any]]) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


@pytest.fixture
def wards(administrator) -> dict[str, Area]:
    """Two squares side by side (A west of B), a ward in two parts (C), and a triangle (D)
    whose bounding box holds points that are not in it."""
    return {
        "A": area_save(
            actor=administrator, code="E05000001", name="Abbey", boundary=polygon(square(0, 50))
        ),
        "B": area_save(
            actor=administrator, code="E05000002", name="Bridge", boundary=polygon(square(1, 50))
        ),
        "C": area_save(
            actor=administrator,
            code="E05000003",
            name="Coast",
            boundary={
                "type": "MultiPolygon",
                "coordinates": [[square(10, 50)], [square(12, 50)]],
            },
        ),
        "D": area_save(
            actor=administrator,
            code="E05000004",
            name="Delta",
            boundary=polygon([[20, 50], [21, 50], [20, 51], [20, 50]]),
        ),
    }


def test_a_point_inside_a_ward_is_in_that_ward(wards):
    assert area_for_point(50.5, 0.5) == wards["A"]
    assert area_for_point(50.5, 1.5) == wards["B"]


def test_a_point_outside_every_ward_is_in_none(wards):
    assert area_for_point(50.5, 5.0) is None
    assert area_for_point(-50.5, 0.5) is None


def test_a_point_on_a_ward_s_outer_edge_is_in_that_ward(wards):
    assert area_for_point(50.0, 0.5) == wards["A"]
    assert area_for_point(50.5, 2.0) == wards["B"]


def test_a_point_on_a_shared_boundary_goes_to_the_ward_whose_code_sorts_first(wards):
    assert area_for_point(50.5, 1.0) == wards["A"]


def test_a_point_in_either_part_of_a_multipolygon_is_in_that_ward(wards):
    assert area_for_point(50.5, 10.5) == wards["C"]
    assert area_for_point(50.5, 12.5) == wards["C"]
    # Between the two parts, and inside the bounding box of the whole.
    assert area_for_point(50.5, 11.5) is None


def test_a_point_inside_the_bounding_box_but_outside_the_polygon_is_not_in_it(wards):
    assert area_for_point(50.2, 20.2) == wards["D"]
    assert area_for_point(50.9, 20.9) is None


def test_saving_an_area_stores_its_bounding_box_and_records_who_made_it(wards, administrator):
    coast = wards["C"]
    assert (coast.min_lon, coast.min_lat, coast.max_lon, coast.max_lat) == (10, 50, 13, 51)
    (record,) = history(coast)
    assert record.action == ChangeRecord.Action.CREATED
    assert record.actor == administrator
    assert record.changes["name"] == [None, "Coast"]


def test_saving_an_area_again_by_its_code_changes_it_and_records_old_and_new(wards, administrator):
    at = datetime(2026, 5, 1, 9, tzinfo=UTC)
    moved = area_save(
        actor=administrator,
        code="E05000001",
        name="Abbey and Park",
        boundary=polygon(square(0, 50, 0.5)),
        at=at,
    )
    assert moved.pk == wards["A"].pk
    assert (moved.max_lon, moved.max_lat) == (0.5, 50.5)
    changed = history(moved).get(action=ChangeRecord.Action.CHANGED)
    assert changed.at == at
    assert changed.changes["name"] == ["Abbey", "Abbey and Park"]
    assert changed.changes["max_lon"] == [1.0, 0.5]
    # The next look-up uses the new boundary, not a shape remembered from before.
    assert area_for_point(50.75, 0.75) is None


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ("not a mapping", "The boundary must be a GeoJSON Polygon or MultiPolygon."),
        ({"type": "Point", "coordinates": [0, 50]}, "must be a GeoJSON Polygon or MultiPolygon"),
        ({"type": "Polygon"}, "The polygon needs at least one ring of positions."),
        (polygon([[0, 50], [1, 50], [0, 50]]), "The polygon, ring 1 needs at least four"),
        (polygon([[0, 50], [1, 50], [1, 51], [0, 51]]), "ring 1 must end at the position it "),
        (polygon([[0, 50], ["1", 50], [1, 51], [0, 50]]), "a coordinate that is not a number"),
        (polygon([[0, 50], [True, 50], [1, 51], [0, 50]]), "a coordinate that is not a number"),
        (polygon([[0, 50], [1], [1, 51], [0, 50]]), "not [longitude, latitude]"),
        (polygon([[0, 50], [float("nan"), 50], [1, 51], [0, 50]]), "not a finite number"),
        (polygon([[50, 0], [50, 100], [51, 100], [50, 0]]), "longitude first"),
        (polygon([[0, 50], [1, 51], [1, 50], [0, 51], [0, 50]]), "Self-intersection"),
        ({"type": "MultiPolygon", "coordinates": []}, "needs at least one polygon"),
        ({"type": "MultiPolygon", "coordinates": [[square(0, 50)], "x"]}, "Polygon 2 needs"),
    ],
)
def test_an_invalid_boundary_is_refused_with_a_clear_error_and_nothing_saved(
    wards, administrator, boundary, message
):
    records = ChangeRecord.objects.count()
    with pytest.raises(ValidationError) as caught:
        area_save(actor=administrator, code="E05000009", name="Nowhere", boundary=boundary)
    (error,) = caught.value.message_dict["boundary"]
    assert message in error
    with pytest.raises(ValidationError):
        area_save(actor=administrator, code="E05000001", name="Renamed", boundary=boundary)
    assert not Area.objects.filter(code="E05000009").exists()
    assert Area.objects.get(code="E05000001").name == "Abbey"
    assert ChangeRecord.objects.count() == records


def test_only_the_geometry_of_a_boundary_is_kept(administrator):
    area = area_save(
        actor=administrator,
        code="E05000010",
        name="Extra",
        boundary=polygon(square(0, 50)) | {"bbox": [0, 50, 1, 51], "crs": "x"},
    )
    assert area.boundary == polygon(square(0, 50))


def test_a_three_dimensional_position_is_accepted():
    assert parse_boundary(polygon([[0, 50, 9], [1, 50, 9], [1, 51, 9], [0, 50, 9]])).is_valid
