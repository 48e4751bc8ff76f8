// Marks the place of a problem on a Leaflet map: a click, a drag of the pin, or the
// "centre" button (for keyboards) fills the form's hidden latitude and longitude. Without
// JavaScript the section stays hidden and the address fields are the way to say where.
(function () {
  "use strict";
  if (!window.L) { return; }

  function rounded(value) {
    return Math.round(value * 1e6) / 1e6;
  }

  document.querySelectorAll('[data-module="app-location-picker"]').forEach(function (section) {
    var form = section.closest("form");
    var latInput = form.querySelector('input[name="latitude"]');
    var lonInput = form.querySelector('input[name="longitude"]');
    var el = section.querySelector(".app-location-picker__map");
    var status = section.querySelector(".app-location-picker__status");
    var marker = null;

    section.hidden = false;
    var map = window.L.map(el, { scrollWheelZoom: false, keyboard: true });
    map.setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], parseInt(el.dataset.zoom || "13", 10));
    if (el.dataset.tiles) {
      window.L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
    }

    function say() {
      if (!marker) {
        status.textContent = section.dataset.textNone;
        return;
      }
      status.textContent = section.dataset.textPlaced
        .replace("%(lat)s", Number(latInput.value).toFixed(5))
        .replace("%(lon)s", Number(lonInput.value).toFixed(5));
    }

    function place(latlng) {
      latlng = latlng.wrap();
      if (!marker) {
        var title = section.dataset.markerTitle;
        marker = window.L.marker(latlng, { draggable: true, keyboard: true, title: title, alt: title }).addTo(map);
        marker.on("dragend", function () { place(marker.getLatLng()); });
      } else {
        marker.setLatLng(latlng);
      }
      latInput.value = rounded(latlng.lat);
      lonInput.value = rounded(latlng.lng);
      say();
    }

    if (latInput.value && lonInput.value) {
      place(window.L.latLng(parseFloat(latInput.value), parseFloat(lonInput.value)));
    } else {
      say();
    }
    map.on("click", function (event) { place(event.latlng); });
    section.querySelector('[data-action="centre"]').addEventListener("click", function () {
      place(map.getCenter());
    });
    section.querySelector('[data-action="clear"]').addEventListener("click", function () {
      if (marker) { map.removeLayer(marker); marker = null; }
      latInput.value = "";
      lonInput.value = "";
      say();
    });
  });
})();
