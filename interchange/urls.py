"""The site's URL map: each app mounts its own routes."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("interchange.core.urls")),
    path("", include("interchange.frontdoor.urls")),
    path("", include("interchange.web.urls")),
    path("admin/", admin.site.urls),
]
