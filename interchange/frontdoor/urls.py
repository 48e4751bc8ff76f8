from django.urls import path, re_path

from interchange.frontdoor.open311 import views as open311

app_name = "frontdoor"

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    path("open311/v2/", open311.discovery, {"fmt": "json"}, name="open311-root"),
    re_path(r"^open311/v2/discovery" + FMT, open311.discovery, name="open311-discovery"),
    re_path(r"^open311/v2/services" + FMT, open311.services, name="open311-services"),
    re_path(
        r"^open311/v2/services/(?P<code>[-a-zA-Z0-9_]+)" + FMT,
        open311.service_definition,
        name="open311-service",
    ),
]
