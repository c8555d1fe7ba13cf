/* IOC Huế, environment page: air-quality station markers for dash-leaflet (served from assets/).
 *
 * dashExtensions.iocEnv.stationMarker: a round marker showing the station's current VN_AQI,
 * filled with its category colour; the station's name as a tooltip. Every text from the data
 * goes in through textContent (never as HTML); the popup is bound by dash-leaflet from the
 * server-escaped "popup" property. Its size follows a kiosk screen's scale (the marker's CSS is
 * in rem; window.iocScale, assets/scale.js).
 */
(function () {
  "use strict";

  window.dashExtensions = window.dashExtensions || {};
  window.dashExtensions.iocEnv = {
    stationMarker: function (feature, latlng) {
      var p = feature.properties || {}, size = 44 * (window.iocScale ? window.iocScale() : 1);
      var el = document.createElement("div");
      el.className = "aqi-marker";
      el.textContent = p.aqi || "–";
      el.style.background = p.bg || "#475569";
      el.style.color = p.fg || "#ffffff";
      var marker = L.marker(latlng, {
        icon: L.divIcon({ className: "aqi-marker-wrap", html: el, iconSize: [size, size],
                          iconAnchor: [size / 2, size / 2] }),
        keyboard: true, riseOnHover: true, title: p.name || "",
      });
      var tip = document.createElement("span");
      tip.textContent = p.name || "";
      marker.bindTooltip(tip, { direction: "top", offset: [0, -size / 2], className: "aqi-tooltip" });
      return marker;
    },
  };
})();
