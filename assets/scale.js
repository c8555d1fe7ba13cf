/* IOC Huế: sizes at the screen's scale (served from assets/, no CDN).
 *
 * A kiosk screen scales the whole design with the root's font size (assets/wall.css: 1rem is
 * 10 px at 1920 × 1080, 20 px at 3840 × 2160; everywhere else 10 px). What CSS does not size
 * follows the same scale, so a 4K wall is the 1080p design at twice the size, sharp:
 * - charts: the figures the server sends are pure and built for 1080p; each is drawn with its
 *   fonts, margins, line widths, marker sizes and pixel offsets times the scale, from a copy, so
 *   the figure is kept as sent and a change of scale redraws it (scaledFigure, wrapPlotly);
 * - maps: the same view drawn with more pixels, circle markers' radii and lines' widths times
 *   the scale (hookLeaflet); the icons the family scripts draw use window.iocScale();
 * - tiles: a figure too wide for its tile is set smaller until it fits (fitTileValues).
 * Not CSS zoom: Plotly and Leaflet measure a zoomed page wrong (a 4K heatmap showed 13 hours).
 */
(function () {
  "use strict";

  function scale() {
    var px = parseFloat(window.getComputedStyle(document.documentElement).fontSize);
    return px > 0 ? Math.round(px * 10) / 100 : 1;  // hundredths: sub-pixel noise never redraws a chart
  }
  window.iocScale = scale;  // the family scripts' markers and icons

  var PIXEL_KEYS = ["ticklen", "tickwidth", "linewidth", "gridwidth", "zerolinewidth", "borderwidth", "outlinewidth",
                    "standoff", "thickness", "borderpad", "xshift", "yshift", "arrowwidth", "tracegroupgap", "xpad",
                    "ypad", "xgap", "ygap"];
  function times(value, k) {
    if (typeof value === "number") { return value * k; }
    return Array.isArray(value) ? value.map(function (v) { return typeof v === "number" ? v * k : v; }) : value;
  }
  /* A copy of `value` (a figure's data or layout, under the key `parent`) with every length in
   * pixels times k: font sizes (those written in a text's own style too), marker sizes, line
   * widths (not a bar's width: data units), margins and pads, tick lengths, standoffs, offsets.
   * Arrays of plain values (the data) are shared, not copied. */
  function scaledFigure(value, k, parent) {
    if (Array.isArray(value)) {
      return value.some(function (v) { return v && typeof v === "object"; })
        ? value.map(function (v) { return scaledFigure(v, k, parent); }) : value;
    }
    if (!value || typeof value !== "object") { return value; }
    var out = {};
    Object.keys(value).forEach(function (key) {
      var v = value[key];
      if ((key === "size" && (/font$/i.test(parent) || parent === "marker"))
          || (key === "width" && /line$/i.test(parent))
          || parent === "margin" || parent === "pad" || PIXEL_KEYS.indexOf(key) >= 0) {
        out[key] = times(v, k);
      } else if (typeof v === "string" && v.indexOf("font-size:") >= 0) {  // a text's own sizes (<span style=…>)
        out[key] = v.replace(/font-size:\s*([0-9.]+)px/g, function (_m, px) { return "font-size:" + px * k + "px"; });
      } else {
        out[key] = scaledFigure(v, k, key);
      }
    });
    return out;
  }
  /* Plotly.react (what dcc.Graph draws with) at the kiosk scale; the figure as sent is kept on the
   * graph's element (iocFigure) for a redraw when the scale changes (rescaleCharts). */
  function wrapPlotly(plotly) {
    if (!plotly || plotly.iocScaled || typeof plotly.react !== "function") { return; }
    var react = plotly.react;
    plotly.react = function (gd, data, layout, config) {
      var fig = data && !Array.isArray(data) && typeof data === "object" ? data
        : { data: data, layout: layout, config: config };
      var el = typeof gd === "string" ? document.getElementById(gd) : gd, k = scale();
      if (el) { el.iocFigure = fig; el.iocScale = k; }
      if (k === 1) { return react.apply(this, arguments); }
      var scaled = scaledFigure(fig.layout || {}, k, "layout");
      // the legend's symbols: Plotly's default width (30 px) is not in the figure
      scaled.legend = scaled.legend || {};
      if (scaled.legend.itemwidth === undefined) { scaled.legend.itemwidth = 30 * k; }
      return react.call(this, gd, { data: scaledFigure(fig.data || [], k, "data"), layout: scaled,
                                    frames: fig.frames, config: fig.config });
    };
    plotly.iocScaled = true;
  }
  function rescaleCharts() {
    var k = scale();
    if (!window.Plotly) { return; }
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      if (gd.iocFigure && gd.iocScale !== k) { window.Plotly.react(gd, gd.iocFigure); }
    });
  }
  /* A map on a screen at twice the design's scale or more draws the view its page asks for with as
   * many more pixels: its projection counts 2^n screen pixels per 1080p pixel (n: the whole number
   * of doublings), and its tile layers fetch the tiles of n zoom levels in, at their own size. The
   * page's zoom levels, centres, bounds and the scale bar keep their meaning. */
  function mapDoublings() {
    return Math.max(0, Math.round(Math.log(scale()) / Math.LN2));
  }
  function hookLeaflet(leaflet) {
    if (!leaflet || !leaflet.Map || !leaflet.TileLayer || leaflet.Map.iocScaled) { return; }
    leaflet.Map.addInitHook(function () {
      var n = mapDoublings(), crs = this.options.crs;
      if (!n || !crs || crs.iocScaled) { return; }
      var k = Math.pow(2, n);
      this.options.crs = leaflet.extend({}, crs, {
        scale: function (zoom) { return crs.scale(zoom) * k; },
        zoom: function (s) { return crs.zoom(s / k); },
        iocScaled: true,
      });
    });
    leaflet.TileLayer.addInitHook(function () {
      this.options.zoomOffset = (this.options.zoomOffset || 0) + mapDoublings();
    });
    // sizes in pixels, however a page gives them (a layout's dl.CircleMarker, a script's
    // pointToLayer, a GeoJSON style): a circle marker's radius (a Circle's is in metres), a line's width
    leaflet.Path.addInitHook(function () {
      var k = scale();
      if (k === 1) { return; }
      if (this.options.weight) { this.options.weight *= k; }
      if (this instanceof leaflet.CircleMarker && !(this instanceof leaflet.Circle)) {
        this.options.radius *= k;
        this._radius = this.options.radius;
      }
    });
    var setStyle = leaflet.Path.prototype.setStyle, setRadius = leaflet.CircleMarker.prototype.setRadius;
    leaflet.Path.prototype.setStyle = function (style) {
      var k = scale();
      var scaled = style && style.weight && k !== 1 ? leaflet.extend({}, style, { weight: style.weight * k }) : style;
      return setStyle.call(this, scaled);
    };
    leaflet.CircleMarker.prototype.setRadius = function (radius) {
      return setRadius.call(this, this instanceof leaflet.Circle ? radius : radius * scale());
    };
    // Leaflet's own re-sets the radius it holds (already scaled) through setRadius: once is enough
    leaflet.CircleMarker.prototype.setStyle = function (style) {
      var radius = style && style.radius ? style.radius * scale() : this._radius;
      leaflet.Path.prototype.setStyle.call(this, style);
      setRadius.call(this, radius);
      return this;
    };
    leaflet.Map.iocScaled = true;
  }
  /* Call `hook` with window[name] now, or as soon as a script sets it (Plotly loads with the first
   * graph): before anything is drawn with it. */
  function whenGlobal(name, hook) {
    if (window[name]) { hook(window[name]); return; }
    var current;
    try {
      Object.defineProperty(window, name, { configurable: true, enumerable: true,
        get: function () { return current; }, set: function (v) { current = v; hook(v); } });
    } catch (e) { /* a read-only global: tick() hooks it later */ }
  }
  whenGlobal("Plotly", wrapPlotly);
  whenGlobal("L", hookLeaflet);

  /* A tile's figure on one line, whole: one too wide for its tile ("442.02 bn VND" on the wall, in
   * a row of nine) is set smaller until it fits. Measured again only when the tile's width or the
   * text changes (a new figure, another screen size). */
  function fitTileValues() {
    document.querySelectorAll(".tile .tile-value").forEach(function (el) {
      var key = el.clientWidth + "|" + el.textContent;
      if (el.iocFit === key) { return; }
      el.style.fontSize = "";
      if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
        var px = parseFloat(window.getComputedStyle(el).fontSize);
        el.style.fontSize = (Math.floor(px * el.clientWidth / el.scrollWidth * 10) / 10) + "px";
      }
      el.iocFit = key;
    });
  }

  /* A responsive chart whose box changed after it was drawn (a kiosk grid's row above it grew when
   * its tiles were filled: the box shrinks, the drawing does not) is drawn again at its box's size.
   * Only a difference of more than 2 px counts, so a redraw that fits ends the loop. */
  function fitCharts() {
    if (!window.Plotly || !window.Plotly.Plots) { return; }
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      var full = gd._fullLayout, ctx = gd._context;
      if (!full || !ctx || !ctx.responsive || !gd.clientWidth || !gd.clientHeight) { return; }
      if (Math.abs(full.width - gd.clientWidth) > 2 || Math.abs(full.height - gd.clientHeight) > 2) {
        window.Plotly.Plots.resize(gd);
      }
    });
  }

  /* Kiosk mode turned on or off (html.kiosk), a window resized, tiles drawn anew. */
  var pending = false;
  function refresh() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      wrapPlotly(window.Plotly);
      hookLeaflet(window.L);
      rescaleCharts();
      fitTileValues();
      fitCharts();
    });
  }
  new MutationObserver(refresh).observe(document.documentElement, { attributes: true, attributeFilter: ["class"],
                                                                    childList: true, subtree: true });
  window.addEventListener("resize", refresh);
})();
