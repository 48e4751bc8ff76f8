"""The front door's routes: Open311 for client applications, and the residents' web service."""

from django.urls import include, path

app_name = "frontdoor"

urlpatterns = [
    path("", include("interchange.frontdoor.open311.urls")),
    path("", include("interchange.frontdoor.resident.urls")),
]
