"""Areas by point-in-polygon with shapely: which ward a point lies in, without PostGIS."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely import prepared
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from interchange.catalogue.models import Area

# Prepared polygons by (area id, boundary's hash): an area's shape is parsed once per process.
_PREPARED: dict[tuple[int, int], Any] = {}


def parse_boundary(boundary: dict[str, Any]) -> BaseGeometry:
    """A GeoJSON Polygon or MultiPolygon as a valid shapely geometry, or a ValidationError."""
    if not isinstance(boundary, dict) or boundary.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(_("The boundary must be a GeoJSON Polygon or MultiPolygon."))
    try:
        geometry = shape(boundary)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise ValidationError(
            _("The boundary is not valid GeoJSON: %(error)s"), params={"error": exc}
        ) from None
    if geometry.is_empty or not geometry.is_valid:
        raise ValidationError(_("The boundary is empty or crosses itself."))
    return geometry


def set_boundary(area: Area, boundary: dict[str, Any]) -> None:
    """Give `area` a checked boundary and its bounding box (the caller saves it)."""
    geometry = parse_boundary(boundary)
    area.boundary = boundary
    area.min_lon, area.min_lat, area.max_lon, area.max_lat = geometry.bounds


def _prepared(area: Area) -> Any:
    key = (area.pk, hash(repr(area.boundary)))
    found = _PREPARED.get(key)
    if found is None:
        found = prepared.prep(shape(area.boundary))
        _PREPARED[key] = found
    return found


def area_for_point(latitude: float, longitude: float) -> Area | None:
    """The area whose boundary contains the point (longitude, latitude), or None."""
    candidates = Area.objects.filter(
        min_lon__lte=longitude, max_lon__gte=longitude, min_lat__lte=latitude, max_lat__gte=latitude
    ).order_by("code")
    point = Point(longitude, latitude)
    for area in candidates:
        if _prepared(area).covers(point):
            return area
    return None
