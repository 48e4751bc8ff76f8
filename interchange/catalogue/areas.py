"""Areas by point-in-polygon with shapely: which ward a point lies in, without PostGIS."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import TextField
from django.db.models.functions import MD5, Cast
from django.utils.translation import gettext as _
from shapely import prepared
from shapely.errors import ShapelyError
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from interchange.catalogue.models import Area

# Prepared polygons by area id, with the MD5 of the boundary each was parsed from: an area's
# shape is parsed once per process, and again when its boundary changes.
_PREPARED: dict[int, tuple[str, Any]] = {}
# The boundary's MD5, computed where it is stored (JSON text on both databases).
_SHAPE_KEY = MD5(Cast("boundary", TextField()))


def _invalid(message: str, **params: Any) -> ValidationError:
    return ValidationError(message, code="invalid_boundary", params=params)


def _check_position(position: Any, where: str) -> None:
    if not isinstance(position, list | tuple) or len(position) not in (2, 3):
        raise _invalid(
            _("%(where)s has a position that is not [longitude, latitude]."), where=where
        )
    for number in position:
        # bool is an int to Python, but never a coordinate.
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise _invalid(_("%(where)s has a coordinate that is not a number."), where=where)
        if not math.isfinite(number):
            raise _invalid(
                _("%(where)s has a coordinate that is not a finite number."), where=where
            )
    longitude, latitude = position[0], position[1]
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise _invalid(
            _(
                "%(where)s has a position outside the world: longitude must be from -180 to 180 "
                "and latitude from -90 to 90, longitude first."
            ),
            where=where,
        )


def _check_polygon(rings: Any, where: str) -> None:
    if not isinstance(rings, list | tuple) or not rings:
        raise _invalid(_("%(where)s needs at least one ring of positions."), where=where)
    for number, ring in enumerate(rings, start=1):
        ring_where = _("%(where)s, ring %(number)s") % {"where": where, "number": number}
        if not isinstance(ring, list | tuple) or len(ring) < 4:
            raise _invalid(_("%(where)s needs at least four positions."), where=ring_where)
        for position in ring:
            _check_position(position, ring_where)
        # GeoJSON (RFC 7946) rings are closed; shapely would close them silently.
        if list(ring[0]) != list(ring[-1]):
            raise _invalid(_("%(where)s must end at the position it starts at."), where=ring_where)


def parse_boundary(boundary: Mapping[str, Any]) -> BaseGeometry:
    """A GeoJSON Polygon or MultiPolygon as a valid shapely geometry, or a ValidationError
    saying what is wrong with it."""
    if not isinstance(boundary, Mapping) or boundary.get("type") not in {"Polygon", "MultiPolygon"}:
        raise _invalid(_("The boundary must be a GeoJSON Polygon or MultiPolygon."))
    coordinates = boundary.get("coordinates")
    if boundary["type"] == "Polygon":
        _check_polygon(coordinates, _("The polygon"))
    else:
        if not isinstance(coordinates, list | tuple) or not coordinates:
            raise _invalid(_("The multipolygon needs at least one polygon."))
        for number, polygon in enumerate(coordinates, start=1):
            _check_polygon(polygon, _("Polygon %(number)s") % {"number": number})
    try:
        geometry = shape({"type": boundary["type"], "coordinates": coordinates})
    except (ShapelyError, ValueError, TypeError) as exc:
        raise _invalid(_("The boundary is not valid GeoJSON: %(error)s"), error=exc) from None
    if geometry.is_empty:
        raise _invalid(_("The boundary is empty."))
    if not geometry.is_valid:
        # explain_validity names the fault and where, e.g. "Self-intersection[0.5 0.5]".
        raise _invalid(
            _(
                "The boundary is not a valid shape (%(reason)s): rings must not cross themselves "
                "or each other."
            ),
            reason=explain_validity(geometry),
        )
    return geometry


def set_boundary(area: Area, boundary: Mapping[str, Any]) -> None:
    """Give `area` a checked boundary and its bounding box (the caller saves it)."""
    geometry = parse_boundary(boundary)
    # Only the geometry is kept, so a pasted boundary with extra members stores cleanly.
    area.boundary = {"type": boundary["type"], "coordinates": boundary["coordinates"]}
    area.min_lon, area.min_lat, area.max_lon, area.max_lat = geometry.bounds


def _prepared(area_id: int, shape_key: str) -> Any:
    """The prepared polygon of an area, parsed once per process per version of its boundary
    (`shape_key`, the boundary's MD5 computed by the database): an edited boundary has
    another key, so it is read and prepared afresh, and its old polygon is dropped."""
    found = _PREPARED.get(area_id)
    if found is not None and found[0] == shape_key:
        return found[1]
    # The boundary and its key as they are now (perhaps newer than `shape_key`: then the next
    # look-up reads it once more, and never keeps a stale shape).
    row = (
        Area.objects.filter(pk=area_id)
        .annotate(shape_key=_SHAPE_KEY)
        .values_list("boundary", "shape_key")
        .first()
    )
    if row is None:
        return None
    boundary, current_key = row
    geometry = prepared.prep(shape(boundary))
    _PREPARED[area_id] = (current_key, geometry)
    return geometry


def area_for_point(latitude: float, longitude: float) -> Area | None:
    """The area whose boundary contains the point (longitude, latitude), or None.

    A point on a boundary shared by two areas belongs to the one whose code sorts first.
    One query of the areas whose bounding box holds the point, with their boundaries' MD5s
    (not the boundaries: each is parsed once per process, and again only when it changes).
    The area comes back without its boundary, which is read if asked for.
    """
    candidates = (
        Area.objects.filter(
            min_lon__lte=longitude,
            max_lon__gte=longitude,
            min_lat__lte=latitude,
            max_lat__gte=latitude,
        )
        .defer("boundary")
        .annotate(shape_key=_SHAPE_KEY)
        .order_by("code")
    )
    point = Point(longitude, latitude)
    for area in candidates:
        geometry = _prepared(area.pk, area.shape_key)
        if geometry is not None and geometry.covers(point):
            return area
    return None
