"""Open311 GeoReport v2 routes: every document in XML or JSON by its suffix."""

from django.urls import path, re_path

from interchange.frontdoor.open311 import views

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    path("open311/v2/", views.discovery, {"fmt": "json"}, name="open311-root"),
    re_path(r"^open311/v2/discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(r"^open311/v2/services" + FMT, views.services, name="open311-services"),
    re_path(
        r"^open311/v2/services/(?P<code>[-a-zA-Z0-9_]+)" + FMT,
        views.service_definition,
        name="open311-service",
    ),
]
