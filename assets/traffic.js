/* IOC Huế, traffic violations: the camera map's markers (dash-leaflet GeoJSON pointToLayer).
 *
 * Each feature carries r (radius, px: area proportional to violations in the period),
 * c (colour of the camera's main violation type), n (violations) and k (a CSS class token of
 * the camera code, for tests and styling). Popup and tooltip texts are escaped server-side.
 */
(function () {
  "use strict";

  window.dashExtensions = window.dashExtensions || {};
  window.dashExtensions.traffic = {
    cameraToLayer: function (feature, latlng) {
      var p = feature.properties || {};
      return L.circleMarker(latlng, {
        radius: p.r || 4,
        color: "#e2e8f0",
        weight: 1,
        fillColor: p.c || "#64748b",
        fillOpacity: p.n ? 0.8 : 0.4,
        className: "tr-cam tr-cam-" + (p.k || ""),
      });
    },
  };
})();
