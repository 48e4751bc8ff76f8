"""A page that shows the shared map include, for the map's browser test only."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

PAGE = """{% extends "web/resident/base.html" %}
{% block page_title %}Map{% endblock %}
{% block content %}<h1 class="govuk-heading-l">Where the problem is</h1>
{% include "web/includes/map.html" with latitude=51.4545 longitude=-2.5879 label="Corn Street" %}
{% endblock %}
{% block scripts %}{% include "web/includes/map_assets.html" %}{% endblock %}"""


def map_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(PAGE).render({}, request))


urlpatterns = [path("map", map_page), path("", include("interchange.urls"))]
