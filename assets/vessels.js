/* IOC Huế, fishing-vessels page: vessel markers for dash-leaflet (served from assets/).
 *
 * dashExtensions.iocVessels.marker: a circle marker per vessel (SVG paths, no DOM icon per
 * vessel, so 2,000 vessels stay light), filled with its state's colour; a vessel outside the
 * watch zone gets a thick magenta ring; in port it is small and muted. The tooltip is built
 * only when hovered, its text set through textContent (never as HTML). The server sends the
 * colours and texts: no copy of a rule lives here.
 */
(function () {
  "use strict";

  window.dashExtensions = window.dashExtensions || {};
  window.dashExtensions.iocVessels = {
    marker: function (feature, latlng) {
      var p = feature.properties || {};
      var inPort = p.state === "in_port";
      var safeId = String(p.id || "").replace(/[^A-Za-z0-9_-]/g, "_");
      var marker = L.circleMarker(latlng, {
        radius: inPort ? 4 : 6,
        color: p.outside ? "#e879f9" : (inPort ? "#94a3b8" : "#0b1420"),
        weight: p.outside ? 3 : 1,
        fillColor: p.colour || "#38bdf8",
        fillOpacity: inPort ? 0.45 : 0.95,
        className: "vs-marker vs-state-" + (p.state || "") + (p.outside ? " vs-outside" : "") + " vs-v-" + safeId,
        bubblingMouseEvents: false,
      });
      marker.bindTooltip(function () {
        var tip = document.createElement("span");
        tip.textContent = p.tooltip || "";
        return tip;
      }, { direction: "top", offset: [0, -6] });
      return marker;
    },
  };
})();
