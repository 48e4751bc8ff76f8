"""Open reports near a place: same service, open, recent, offered publicly, within the
distance, nearest first, in one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from interchange.frontdoor.resident.selectors import distance_m, nearby_open_reports
from interchange.frontdoor.resident.tests.conftest import HERE, north_of_here, open_report
from interchange.servicedesk.actors import System
from interchange.servicedesk.services import ticket_cancel, ticket_resolve

pytestmark = pytest.mark.django_db


def nearby(service, point=HERE, **kwargs):
    return [
        (n.ticket.pk, n.distance_m)
        for n in nearby_open_reports(
            service=service, latitude=point[0], longitude=point[1], **kwargs
        )
    ]


def test_the_distance_is_measured_on_the_earth():
    assert round(distance_m(*HERE, *north_of_here(100))) == 100
    # A degree of longitude at 51.45° north is about 69.4 km.
    assert 69_000 < distance_m(51.45, 0, 51.45, 1) < 70_000


def test_reports_within_the_distance_are_found_nearest_first(potholes):
    far = open_report(potholes, point=north_of_here(45)).ticket
    near = open_report(potholes, point=north_of_here(10)).ticket
    open_report(potholes, point=north_of_here(60))
    assert nearby(potholes) == [(near.pk, 10), (far.pk, 45)]


def test_the_distance_and_age_come_from_settings(potholes, settings):
    ticket = open_report(potholes, point=north_of_here(80)).ticket
    assert nearby(potholes) == []
    settings.FRONTDOOR_DUPLICATE_DISTANCE_M = 100
    assert nearby(potholes) == [(ticket.pk, 80)]
    settings.FRONTDOOR_DUPLICATE_MAX_AGE_DAYS = 0
    assert nearby(potholes) == []


def test_old_reports_are_left_out(potholes):
    old = timezone.now() - timedelta(days=31)
    open_report(potholes, at=old)
    recent = open_report(potholes, at=timezone.now() - timedelta(days=29)).ticket
    assert [pk for pk, _ in nearby(potholes)] == [recent.pk]


def test_only_open_reports_of_the_same_service_count(world):
    potholes = world["potholes"]
    resolved = open_report(potholes).ticket
    ticket_resolve(ticket=resolved, actor=System(), resolution_code="fixed")
    cancelled = open_report(potholes).ticket
    ticket_cancel(ticket=cancelled, actor=System(), reason="Reported by mistake")
    open_report(world["lights"])
    open_report(potholes, point=None)
    assert nearby(potholes) == []


def test_reports_the_public_may_not_see_are_never_suggested(world):
    open_report(world["noise"])
    assert nearby(world["noise"]) == []


def test_at_most_five_are_suggested(potholes):
    for metres in range(7):
        open_report(potholes, point=north_of_here(metres * 5))
    assert [m for _, m in nearby(potholes)] == [0, 5, 10, 15, 20]


def test_far_north_the_box_still_holds_the_circle(potholes):
    arctic = (78.22, 15.65)
    east = (78.22, 15.65 + 40 / (111_320 * 0.2045))  # about 40 m east at 78° north
    ticket = open_report(potholes, point=east).ticket
    assert [pk for pk, _ in nearby(potholes, point=arctic)] == [ticket.pk]


def test_it_is_one_query(potholes, django_assert_num_queries):
    for metres in (0, 10, 20):
        open_report(potholes, point=north_of_here(metres))
    with django_assert_num_queries(1):
        assert len(nearby(potholes)) == 3
