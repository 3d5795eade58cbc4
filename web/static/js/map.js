// Puts the search results on a Leaflet map. Reads the points from the list (data-* attributes),
// so the list alone is the page without JavaScript. No tiles unless MAP_TILE_URL is set.
// Each pin carries the number its listing has in the list and is named after it for screen
// readers; listings placed at a ZIP code's centre get a hollow pin ("near <ZIP>").
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
  var bounds = [origin], pins = [];
  items.forEach(function (li) {
    var point = [parseFloat(li.getAttribute("data-lat")), parseFloat(li.getAttribute("data-lon"))];
    if (isNaN(point[0]) || isNaN(point[1])) return;
    bounds.push(point);
    pins.push([li, point]);
  });
  // The view first: Leaflet draws a marker (and so its element exists) once the map has one.
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
  L.circleMarker(origin, { radius: 6, color: "#1d2733", fillOpacity: 0.9, interactive: false }).addTo(map);
  pins.forEach(function (pin) {
    var li = pin[0], point = pin[1];
    var number = li.getAttribute("data-number");
    var name = number + ". " + li.getAttribute("data-name");
    var approximate = li.getAttribute("data-approximate") === "1";
    var icon = L.divIcon({
      className: "pin-marker" + (approximate ? " approximate" : ""),
      html: "<span>" + number + "</span>",
      iconSize: [28, 28], iconAnchor: [14, 14], popupAnchor: [0, -14]
    });
    var link = document.createElement("a");
    link.href = li.getAttribute("data-url");
    link.textContent = name;
    var marker = L.marker(point, { icon: icon, title: name, alt: name, keyboard: true }).addTo(map).bindPopup(link);
    var node = marker.getElement();
    if (node) {
      node.setAttribute("aria-label", name + (approximate ? " (near its ZIP code)" : ""));
      node.setAttribute("role", "button");
    }
  });
})();
