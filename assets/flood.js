/* IOC Huế, rivers and rain page: station markers for dash-leaflet (served from assets/).
 *
 * dashExtensions.iocFlood.stationMarker: a river station is a square showing its alarm level
 * (0, I, II, III; "–" without a recent level) on the level's colour; a rain gauge a circle in a
 * neutral colour, its size from the 24-hour rain, showing the millimetres. The tooltip gives the
 * station's name and the lines the server wrote (level, alarm values, rise, rain, last time).
 * Every text from the data goes in through textContent (never as HTML). Sizes follow a kiosk
 * screen's scale (window.iocScale, assets/scale.js).
 */
(function () {
  "use strict";

  window.dashExtensions = window.dashExtensions || {};
  window.dashExtensions.iocFlood = {
    stationMarker: function (feature, latlng) {
      var p = feature.properties || {};
      var rain = p.kind === "rain";
      var size = (rain ? 2 * (p.radius || 8) : 40) * (window.iocScale ? window.iocScale() : 1);
      var el = document.createElement("div");
      el.className = rain ? "fl-marker fl-marker-rain" : "fl-marker fl-marker-river";
      el.textContent = p.label || "–";
      el.style.background = p.bg || "#475569";
      el.style.color = p.fg || "#ffffff";
      el.style.width = size + "px";
      el.style.height = size + "px";
      el.setAttribute("data-station", p.id || "");
      if (p.alarm !== null && p.alarm !== undefined) {
        el.setAttribute("data-alarm", String(p.alarm));
      }
      var marker = L.marker(latlng, {
        icon: L.divIcon({ className: "fl-marker-wrap", html: el, iconSize: [size, size],
                          iconAnchor: [size / 2, size / 2] }),
        keyboard: true, riseOnHover: true, title: p.name || "", zIndexOffset: rain ? 0 : 1000,
      });
      var tip = document.createElement("div");
      var head = document.createElement("div");
      head.className = "fl-tip-name";
      head.textContent = p.name || "";
      tip.appendChild(head);
      (p.lines || []).forEach(function (line) {
        var row = document.createElement("div");
        row.textContent = line;
        tip.appendChild(row);
      });
      marker.bindTooltip(tip, { direction: "top", offset: [0, -size / 2], className: "fl-tooltip" });
      return marker;
    },
  };
})();
