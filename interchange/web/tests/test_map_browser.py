"""The shared map draws its marker with no tiles at all: no page depends on tiles loading."""

import pytest
from django.test import override_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(ROOT_URLCONF="interchange.web.tests.map_urls")
def test_the_map_shows_its_marker_and_words_while_every_tile_is_refused(live_server, page, axe):
    page.goto(live_server.url + "/map")
    page.locator(".app-map path.leaflet-interactive").wait_for()
    assert "Corn Street (latitude 51.45450, longitude -2.58790)" in page.inner_text("main")
    page.wait_for_timeout(200)
    assert page.blocked_requests, "the map asked for tiles and the harness refused them"
    assert all("tile.openstreetmap.org" in url for url in page.blocked_requests)
    axe(page)
    assert page.js_errors == []
