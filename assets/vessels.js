/* IOC Huế, fishing-vessels page: vessel markers for dash-leaflet (served from assets/).
 *
 * dashExtensions.iocVessels.marker: a circle marker per vessel (SVG paths, no DOM icon per
 * vessel, so 2,000 vessels stay light), filled with its state's colour; a vessel outside the
 * watch zone gets a thick magenta ring; in port it is small and muted. The tooltip is built
 * only when hovered, its text set through textContent (never as HTML). The server sends the
 * colours and texts: no copy of a rule lives here.
 *
 * dash_clientside.iocVessels.rowPage: the table's page holding the vessel selected.
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

  // The page of the vessels' table that holds the vessel selected (callbacks/vessels.py): the
  // grid's own sort, filter and page size decide it. Returns the page for the grid's
  // paginationGoTo, or no_update (already shown, no grid yet, a vessel the table does not list).
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.iocVessels = {
    rowPage: function (vesselId) {
      var noUpdate = window.dash_clientside.no_update;
      var api = null;
      try {
        api = window.dash_ag_grid.getApi("vs-grid");
      } catch (e) {
        return noUpdate; // the grid is not drawn yet: its first page is the one shown anyway
      }
      if (typeof vesselId !== "string" || !api || api.isDestroyed()) return noUpdate;
      var node = api.getRowNode(vesselId);
      if (!node || typeof node.rowIndex !== "number") return noUpdate;
      var page = Math.floor(node.rowIndex / api.paginationGetPageSize());
      return page === api.paginationGetCurrentPage() ? noUpdate : page;
    },
  };
})();
