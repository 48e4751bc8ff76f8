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
    re_path(r"^open311/v2/requests" + FMT, views.requests, name="open311-requests"),
    re_path(
        r"^open311/v2/requests/(?P<reference>[-a-zA-Z0-9_]{1,30})" + FMT,
        views.request_detail,
        name="open311-request",
    ),
    re_path(
        r"^open311/v2/tokens/(?P<value>[-a-zA-Z0-9_]{1,64})" + FMT,
        views.token,
        name="open311-token",
    ),
    # mySociety's extension, as FixMyStreet calls it.
    re_path(
        r"^open311/v2/servicerequestupdates" + FMT,
        views.request_updates,
        name="open311-updates",
    ),
    path("open311/v2/media/<int:pk>", views.media, name="open311-media"),
]
