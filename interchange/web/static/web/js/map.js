// Draws a Leaflet map for each [data-module="app-map"]. The address text beside
// the map carries the meaning; a tile that never loads leaves the marker and text.
(function () {
  "use strict";
  if (!window.L) { return; }
  document.querySelectorAll('[data-module="app-map"]').forEach(function (el) {
    var lat = parseFloat(el.dataset.lat);
    var lon = parseFloat(el.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) { return; }
    var map = window.L.map(el, { scrollWheelZoom: false, keyboard: true });
    map.setView([lat, lon], parseInt(el.dataset.zoom || "16", 10));
    if (el.dataset.tiles) {
      window.L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
    }
    window.L.circleMarker([lat, lon], { radius: 9, color: "#0b0c0c", weight: 3, fillColor: "#ffdd00", fillOpacity: 1 }).addTo(map);
  });
})();
