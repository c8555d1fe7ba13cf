/* IOC Huế dashboard: browser-side helpers (served locally from assets/, no CDN).
 *
 * - dashExtensions.ioc.pointToLayer: report markers coloured by status (dash-leaflet).
 * - dash_clientside.ioc.switchLang: the language switch (keeps the filters in the URL).
 * - the live poll pauses while the tab is hidden (visibilitychange → Interval.disabled).
 * - the header clock ticks in the deployment's time zone (data-tz), not the browser's.
 */
(function () {
  "use strict";

  window.dashExtensions = window.dashExtensions || {};
  window.dashExtensions.ioc = {
    pointToLayer: function (feature, latlng, context) {
      var hideout = (context && context.hideout) || {};
      var colours = hideout.colours || {};
      var status = (feature.properties && feature.properties.s) || "";
      return L.circleMarker(latlng, {
        radius: 7,
        color: "#0b1220",
        weight: 1.5,
        fillColor: colours[status] || "#9e9e9e",
        fillOpacity: 0.95,
      });
    },
    unitLabel: function (feature, latlng) {
      var el = document.createElement("div");
      el.textContent = (feature.properties && feature.properties.name) || "";  // text, never HTML
      return L.marker(latlng, {
        icon: L.divIcon({ className: "unit-label", html: el, iconSize: null }),
        interactive: false, keyboard: false, pane: "unit-labels",
      });
    },
  };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ioc = {
    switchLang: function () {
      var cc = window.dash_clientside.callback_context;
      var trig = cc && cc.triggered && cc.triggered.length ? cc.triggered[0].prop_id : "";
      if (!trig) {
        return window.dash_clientside.no_update;
      }
      var lang = trig.indexOf("lang-en") === 0 ? "en" : "vi";
      var l = window.location;
      var params = new URLSearchParams(l.search);
      params.set("lang", lang);
      // Navigate the way dcc.Link does: push the URL (filters kept) and tell every
      // dcc.Location; Dash pages then re-renders the page in the new language.
      window.history.pushState({}, "", l.pathname + "?" + params.toString() + l.hash);
      window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
      return lang;
    },
  };

  function setLivePaused(paused) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      try {
        window.dash_clientside.set_props("live-interval", { disabled: paused });
      } catch (e) {
        /* the layout is not there yet */
      }
    }
    document.documentElement.classList.toggle("ioc-paused", paused);
  }

  document.addEventListener("visibilitychange", function () {
    setLivePaused(document.visibilityState === "hidden");
  });

  var formatters = {};
  function tick() {
    var el = document.getElementById("shell-clock");
    if (el) {
      var tz = el.getAttribute("data-tz") || "Asia/Ho_Chi_Minh";
      if (!formatters[tz]) {
        formatters[tz] = new Intl.DateTimeFormat("en-GB", {
          timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
        });
      }
      var p = {};
      formatters[tz].formatToParts(new Date()).forEach(function (part) { p[part.type] = part.value; });
      el.textContent = p.day + "/" + p.month + "/" + p.year + " " + p.hour + ":" + p.minute + ":" + p.second;
    }
  }
  setInterval(tick, 1000);
})();
