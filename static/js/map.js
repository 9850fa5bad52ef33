// The campaign page's map: loaded only when asked for, since map pictures come from a tile
// server that sees the visitor's address, and Leaflet itself (about 190 KB) is fetched then
// too: its styles and scripts are added to the page on "Show the map", never before. The
// event list works without it.
(function () {
  "use strict";
  var container = document.getElementById("map");
  var button = document.querySelector("[data-show-map]");
  if (!container || !button || !window.fetch || !window.Promise) return;
  button.hidden = false;

  function words(name) {
    return (container.getAttribute(name) || "").split(" ").filter(Boolean);
  }

  // An element added to <head>, resolved once it has loaded (scripts run in order).
  function add(tag, url) {
    return new Promise(function (resolve, reject) {
      var element = document.createElement(tag);
      if (tag === "link") {
        element.rel = "stylesheet";
        element.href = url;
      } else {
        element.src = url;
        element.async = false;
      }
      element.onload = resolve;
      element.onerror = reject;
      document.head.appendChild(element);
    });
  }

  var leaflet = null;
  function loadLeaflet() {
    if (window.L) return Promise.resolve();
    if (!leaflet) {
      var styles = words("data-styles").map(function (url) { return add("link", url); });
      var scripts = words("data-scripts").reduce(function (previous, url) {
        return previous.then(function () { return add("script", url); });
      }, Promise.resolve());
      leaflet = Promise.all(styles.concat([scripts]));
    }
    return leaflet;
  }

  function failed() {
    container.hidden = false;
    container.classList.add("map-failed");
    container.textContent = container.getAttribute("data-failed");
  }

  button.addEventListener("click", function () {
    button.hidden = true;
    container.hidden = false;
    loadLeaflet().then(show, failed);
  });

  function show() {
    var map = window.L.map(container, { scrollWheelZoom: false }).setView([20, 10], 2);
    var tiles = window.L.tileLayer(container.getAttribute("data-tiles"), {
      maxZoom: 18,
      attribution: container.getAttribute("data-attribution")
    }).addTo(map);
    var errors = 0;
    tiles.on("tileerror", function () {
      errors += 1;
      if (errors === 8) container.setAttribute("data-tiles-failed", "true");
    });
    fetch(container.getAttribute("data-points-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(); })
      .then(function (data) {
        var cluster = window.L.markerClusterGroup ? window.L.markerClusterGroup() : window.L.layerGroup();
        data.events.forEach(function (event) {
          var marker = window.L.marker([event.lat, event.lon], { title: event.title, alt: event.title });
          var link = document.createElement("a");
          link.href = event.url;
          link.textContent = event.title + " — " + event.city;
          marker.bindPopup(link);
          marker.on("keypress", function (e) { if (e.originalEvent.key === "Enter") window.location = event.url; });
          cluster.addLayer(marker);
        });
        map.addLayer(cluster);
        if (data.events.length) map.fitBounds(cluster.getBounds(), { maxZoom: 12, padding: [20, 20] });
        container.setAttribute("data-markers", String(data.events.length));
      })
      .catch(failed);
  }
})();
