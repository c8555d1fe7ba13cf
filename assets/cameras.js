/* IOC Huế, urban-cameras page: camera markers for dash-leaflet (served from assets/).
 *
 * dashExtensions.iocCameras.marker: one small shape per camera, its fill the colour of its state
 * (online, offline, offline > 30 min, never reported) and its shape its purpose (circle: traffic,
 * square: security, diamond: flood watch), so purpose and state read apart at a glance. The
 * server sends the colours, shapes and texts: no copy of a rule lives here. The tooltip is built
 * only when hovered, its text set through textContent (never as HTML).
 */
(function () {
  "use strict";

  var SHAPES = { circle: true, square: true, diamond: true };

  window.dashExtensions = window.dashExtensions || {};
  window.dashExtensions.iocCameras = {
    marker: function (feature, latlng) {
      var p = feature.properties || {};
      var shape = SHAPES[p.shape] ? p.shape : "circle";
      var safe = function (v) { return String(v || "").replace(/[^A-Za-z0-9_-]/g, "_"); };
      var dot = document.createElement("span");
      dot.className = "cam-dot";
      dot.style.background = p.colour || "#64748b";
      var marker = L.marker(latlng, {
        icon: L.divIcon({
          html: dot,
          className: "cam-marker cam-shape-" + shape + " cam-state-" + safe(p.state) + " cam-c-" + safe(p.id),
          iconSize: [14, 14],
          iconAnchor: [7, 7],
        }),
        keyboard: false,
        riseOnHover: true,
        // offline cameras above online ones where they overlap
        zIndexOffset: p.state === "online" ? 0 : 500,
        bubblingMouseEvents: false,
      });
      marker.bindTooltip(function () {
        var tip = document.createElement("span");
        tip.textContent = p.tooltip || "";
        return tip;
      }, { direction: "top", offset: [0, -8] });
      return marker;
    },
  };
})();
