"""The site's URL map: each app mounts its own routes."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("interchange.core.urls")),
    path("", include("interchange.frontdoor.urls")),
    path("api/v1/", include("interchange.exchange.api.urls")),
    path("staff/exchange/", include("interchange.exchange.urls")),
    path("staff/", include("interchange.workspace.urls")),
    path("", include("interchange.web.urls")),
    path("admin/", admin.site.urls),
]
