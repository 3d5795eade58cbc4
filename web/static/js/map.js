// Puts the search results on a Leaflet map. Reads the points from the list (data-* attributes),
// so the list alone is the page without JavaScript. No tiles unless MAP_TILE_URL is set.
(function () {
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") return;
  var items = document.querySelectorAll("#results .result[data-lat]");
  var map = L.map(el, { scrollWheelZoom: false });
  var tiles = el.getAttribute("data-tiles");
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }
  var origin = [parseFloat(el.getAttribute("data-lat")), parseFloat(el.getAttribute("data-lon"))];
  L.circleMarker(origin, { radius: 6, color: "#1d2733", fillOpacity: 0.9 }).addTo(map).bindTooltip("Search point");
  var bounds = [origin];
  items.forEach(function (li, index) {
    var point = [parseFloat(li.getAttribute("data-lat")), parseFloat(li.getAttribute("data-lon"))];
    if (isNaN(point[0]) || isNaN(point[1])) return;
    var link = document.createElement("a");
    link.href = li.getAttribute("data-url");
    link.textContent = (index + 1) + ". " + li.getAttribute("data-name");
    L.marker(point, { title: li.getAttribute("data-name") }).addTo(map).bindPopup(link);
    bounds.push(point);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
})();
