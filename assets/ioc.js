/* IOC Huế dashboard: browser-side helpers (served locally from assets/, no CDN).
 *
 * - dashExtensions.ioc.pointToLayer: report markers coloured by status (dash-leaflet).
 * - dashExtensions.ioc.clusterToLayer: cluster bubbles with their count grouped as the page's
 *   language writes numbers (1.234 / 1,234), not supercluster's "1.2k".
 * - dash_clientside.ioc.switchLang: the language switch (keeps the filters in the URL).
 * - the live poll (GET /api/live), freshness badges, the outage banner, kiosk mode, wall
 *   rotation and self-reload: see "live" below.
 * - the header clock ticks in the deployment's time zone (data-tz), not the browser's.
 * (Sizes at a kiosk screen's scale: assets/scale.js.)
 *
 * Everything these scripts need from the server (page map, rotation names, freshness factors,
 * component ids, UI strings in both languages) comes from the shell root's data-config
 * attribute, built by layouts/browser.py from the same sources as the Python side (the strings
 * from the gettext catalogues in ioc/locale). Nothing of it is copied here.
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
    clusterToLayer: function (feature, latlng) {
      var props = feature.properties || {}, n = props.point_count || 0, hideout = {};
      for (var i = 2; i < arguments.length; i++) {  // dash-leaflet appends its context (the layer's props)
        if (arguments[i] && arguments[i].hideout) { hideout = arguments[i].hideout; }
      }
      var lng = hideout.lang === "en" || hideout.lang === "vi" ? hideout.lang : lang();
      var size = n < 100 ? "small" : (n < 1000 ? "medium" : "large");  // dash-leaflet's own classes
      var k = window.iocScale ? window.iocScale() : 1;  // assets/scale.js
      var inner = document.createElement("div"), span = document.createElement("span");
      span.textContent = n.toLocaleString(lng === "en" ? "en-US" : "vi-VN");
      inner.appendChild(span);
      return L.marker(latlng, {
        icon: L.divIcon({ html: inner, className: "marker-cluster marker-cluster-" + size,
                          iconSize: L.point(40 * k, 40 * k) }),
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

  /* The server's settings for this page (layouts/browser.py), read once the shell is rendered. */
  var CONFIG = null;
  var NO_CONFIG = { pages: {}, rotation: [], freshness: { order: [] }, ids: {}, strings: { vi: {}, en: {} } };
  function config() {
    if (CONFIG) { return CONFIG; }
    var root = document.querySelector(".app[data-config]");
    if (!root) { return NO_CONFIG; }
    try { CONFIG = JSON.parse(root.getAttribute("data-config")); } catch (e) { return NO_CONFIG; }
    return CONFIG;
  }
  function id(name) { return config().ids[name]; }
  /* The catalogue string `key` in `lng` (default: the page's language); the key itself if absent. */
  function text(key, lng) {
    var strings = config().strings[lng || lang()] || {};
    return strings[key] === undefined ? key : strings[key];
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ioc = {
    stampUpdate: function () {
      var el = document.getElementById(id("CLOCK"));
      var zone = (el && el.getAttribute("data-tz")) || "Asia/Ho_Chi_Minh";
      return new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit",
                                                second: "2-digit", hour12: false }).format(new Date());
    },
    liveBadge: function (state, search, stored) {
      var p = new URLSearchParams(search || "").get("lang");
      var lang = p === "vi" || p === "en" ? p : (stored === "vi" || stored === "en" ? stored : null);
      if (!lang) {
        var root = document.querySelector(".app[data-lang]");
        lang = root && root.getAttribute("data-lang") === "en" ? "en" : "vi";
      }
      var s = state === "degraded" || state === "offline" ? state : "live";
      // before the shell is in the page its own (server-rendered) text stands
      var label = config() === NO_CONFIG ? window.dash_clientside.no_update : text(s === "live" ? "live" : "live_" + s, lang);
      return ["badge badge-live" + (s === "live" ? "" : " " + s), label];
    },
    /* Outputs: the remembered language and the shell's dcc.Location(refresh="callback-nav")
     * href: the same URL (filters kept) with the new lang; Dash pages re-renders the page in it. */
    switchLang: function () {
      var cc = window.dash_clientside.callback_context;
      var trig = cc && cc.triggered && cc.triggered.length ? cc.triggered[0].prop_id : "";
      if (!trig) {
        return [window.dash_clientside.no_update, window.dash_clientside.no_update];
      }
      var lang = trig.indexOf(id("LANG_EN") + ".") === 0 ? "en" : "vi";
      var l = window.location;
      var params = new URLSearchParams(l.search);
      params.set("lang", lang);
      return [lang, l.pathname + "?" + params.toString() + l.hash];
    },
  };

  /* ---- live -------------------------------------------------------------------------------
   * One loop per tab polls GET /api/live (setTimeout after each answer, so polls never pile up
   * behind a slow server; paused while the tab is hidden). It
   * - writes the live-versions store only when a family's version moved (data callbacks run
   *   on news only) and live-state (live / degraded / offline) when it changes;
   * - reloads the page when the server's build differs from the one that served the page
   *   (a redeploy), and kiosk screens on a schedule (data-reload-min) once /healthz answers;
   * - keeps the last answer's sources and ages them every second against the server's clock:
   *   badges turn amber and red at the server's multiples of a source's cadence (late, stale in
   *   the config) even while the server is away;
   * - shows a banner when the server cannot be reached or Redis is down (fallback in use).
   * Everything it writes into the page is text (textContent / data-* attributes), never HTML,
   * and only into elements React renders empty, so it never fights React's reconciliation.
   */
  var ICON = { ok: "\u2713", late: "\u25B2", stale: "\u2716", never: "\u2716", none: "\u2013" };
  var LIVE = { build: null, versions: null, state: "live", pollMs: 3000, timer: null, failures: 0,
               sources: [], offset: 0, offlineSince: null, degraded: null, databaseSince: null, databaseWhy: "",
               loadedAt: Date.now(),
               lastInput: Date.now(), reloading: false };
  window.iocLive = LIVE;  // read by the browser tests and bench/wall.py's browser case

  function shellRoot() { return document.querySelector(".app[data-build]"); }
  function cfg(name, dflt) {
    var r = shellRoot();
    var v = r && r.getAttribute("data-" + name);
    return v === null || v === undefined || v === "" ? dflt : v;
  }
  function setProps(id, props) {
    try { window.dash_clientside.set_props(id, props); return true; } catch (e) { return false; }
  }
  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, k) { return values[k] === undefined ? "" : values[k]; });
  }
  function lang() {
    var p = new URLSearchParams(window.location.search).get("lang");
    if (p === "vi" || p === "en") { return p; }
    try {
      var stored = JSON.parse(window.localStorage.getItem(id("LANG_STORE")));
      if (stored === "vi" || stored === "en") { return stored; }
    } catch (e) { /* nothing stored */ }
    return cfg("lang", "vi") === "en" ? "en" : "vi";
  }
  function tz() {
    var el = document.getElementById(id("CLOCK"));
    return (el && el.getAttribute("data-tz")) || "Asia/Ho_Chi_Minh";
  }
  var formatters = {};
  function parts(ms, zone) {
    if (!formatters[zone]) {
      formatters[zone] = new Intl.DateTimeFormat("en-GB", {
        timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
      });
    }
    var p = {};
    formatters[zone].formatToParts(new Date(ms)).forEach(function (part) { p[part.type] = part.value; });
    return p;
  }
  function clockText(ms, withDate) {
    var p = parts(ms, tz());
    var time = p.hour + ":" + p.minute + ":" + p.second;
    return withDate ? p.day + "/" + p.month + " " + time : time;
  }
  function agoText(seconds, lng) {
    var s = Math.max(0, Math.round(seconds));
    if (s < 90) { return fmt(text("ago_s", lng), { n: s }); }
    var m = Math.round(s / 60);
    if (m < 60) { return fmt(text("ago_min", lng), { n: m }); }
    var h = Math.floor(m / 60);
    return m % 60 ? fmt(text("ago_hmin", lng), { h: h, m: m % 60 }) : fmt(text("ago_h", lng), { n: h });
  }
  function serverNow() { return Date.now() + LIVE.offset; }

  /* A source's state at `now`, as ioc/store/runs.py SourceHealth.freshness computes it, with
   * the server's factors (config.freshness: late and stale, in multiples of the cadence). */
  function sourceState(src, now) {
    if (src.last_success === null || src.last_success === undefined) { return "never"; }
    var lag = (now - src.last_success) / 1000, factors = config().freshness;
    if (lag >= factors.stale * src.every_s) { return "stale"; }
    if (lag >= factors.late * src.every_s) { return "late"; }
    return "ok";
  }
  /* A family's freshness: its worst source decides; the first failing source says why. */
  function familyFresh(family, now) {
    var worst = null, error = null, order = config().freshness.order;
    LIVE.sources.forEach(function (src) {
      if (src.family !== family) { return; }
      var st = sourceState(src, now);
      if (!worst || order.indexOf(st) < order.indexOf(worst.state)) { worst = { state: st, src: src }; }
      if (src.error && !error) { error = src.name + ": " + src.error; }
    });
    if (!worst) { return { state: "none", error: null, src: null }; }
    worst.error = error;
    return worst;
  }
  function freshTexts(f, now, lng) {
    var src = f.src;
    var base = text("live_fresh_" + f.state, lng);  // live_fresh_ok, _late, _stale, _never, _none
    if (f.state !== "none" && f.state !== "never") {
      var t = clockText(src.last_success, now - src.last_success > 20 * 3600 * 1000);
      base = fmt(base, { t: t, ago: agoText((now - src.last_success) / 1000, lng) });
    }
    var short = ICON[f.state] + " " + base;
    var long = f.error ? short + " · " + ICON.late + " " + fmt(text("live_fresh_error", lng), { e: f.error }) : short;
    return { short: short, long: long };
  }
  function setAttr(el, name, value) {
    if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }
  function setText(el, value) {
    if (el.textContent !== value) { el.textContent = value; }
  }
  /* Every [data-family] block (Overview cards, family pages, wall panels) and the tiles in it
   * get data-fresh (state) and data-fresh-text (shown by CSS under each tile); every
   * [data-fresh-badge=FAMILY] element gets the long text, error included. */
  function renderFresh() {
    if (LIVE.build === null) { return; }
    var now = serverNow(), lng = lang(), cache = {};
    function get(family) {
      if (!cache[family]) { var f = familyFresh(family, now); cache[family] = { f: f, text: freshTexts(f, now, lng) }; }
      return cache[family];
    }
    document.querySelectorAll("[data-family]").forEach(function (block) {
      var family = block.getAttribute("data-family");
      if (block.getAttribute("data-connected") === "false") { return; }
      var info = get(family);
      setAttr(block, "data-fresh", info.f.state);
      block.querySelectorAll(".tile").forEach(function (tile) {
        setAttr(tile, "data-fresh", info.f.state);
        setAttr(tile, "data-fresh-text", info.text.short);
      });
    });
    document.querySelectorAll("[data-fresh-badge]").forEach(function (badge) {
      var info = get(badge.getAttribute("data-fresh-badge"));
      setAttr(badge, "data-fresh", info.f.state);
      setText(badge, info.text.long);
      setAttr(badge, "title", text("live_fresh_family", lng) + ": " + info.text.long);
    });
  }
  function renderBanner() {
    var el = document.getElementById(id("LIVE_BANNER"));
    if (!el) { return; }
    var message = "", kind = "";
    if (LIVE.offlineSince !== null) {
      kind = "offline";
      message = "\u26A0 " + fmt(text("live_banner_offline"), { t: clockText(LIVE.offlineSince + LIVE.offset, false) });
    } else if (LIVE.databaseSince !== null) {
      kind = "database";
      message = "\u26A0 " + fmt(text("live_banner_database"), { t: clockText(LIVE.databaseSince + LIVE.offset, false),
                                                                 e: LIVE.databaseWhy });
    } else if (LIVE.degraded) {
      kind = "degraded";
      message = "\u26A0 " + fmt(text("live_banner_degraded"), { e: LIVE.degraded });
    } else if (LIVE.backfill && !LIVE.backfill.finished) {
      // a first start writing its simulated history: how far, and about how long is left
      kind = "backfill";
      var b = LIVE.backfill, eta = b.eta_s === null || b.eta_s === undefined ? "" :
        " " + fmt(text("live_banner_backfill_eta"), { m: String(Math.max(1, Math.ceil(b.eta_s / 60))) });
      message = "\u25D4 " + fmt(text("live_banner_backfill"), { p: String(b.percent), d: String((b.done || []).length),
                                                              n: String((b.sources || []).length) }) + eta;
    }
    setAttr(el, "data-kind", kind);
    setText(el, message);
    document.documentElement.classList.toggle("ioc-offline", kind === "offline" || kind === "database");
    document.documentElement.classList.toggle("ioc-degraded", kind === "degraded");
  }
  function setState(state) {
    if (state !== LIVE.state && setProps(id("LIVE_STATE"), { data: state })) { LIVE.state = state; }
  }
  function sameVersions(a, b) {
    var ka = Object.keys(a || {}), kb = Object.keys(b || {});
    if (ka.length !== kb.length) { return false; }
    return ka.every(function (k) { return a[k] === b[k]; });
  }
  function onLive(data) {
    LIVE.failures = 0;
    LIVE.offlineSince = null;
    LIVE.databaseSince = null;
    LIVE.offset = data.now - Date.now();
    LIVE.sources = data.sources || [];
    LIVE.degraded = data.degraded || null;
    LIVE.backfill = data.backfill || null;
    LIVE.lastOk = Date.now();
    // a redeploy: reload (at most once a minute); meanwhile keep applying what the server says
    if (data.build && LIVE.build && data.build !== LIVE.build) { reload("redeploy"); }
    if (!sameVersions(data.versions, LIVE.versions) && setProps(id("VERSIONS"), { data: data.versions })) {
      LIVE.versions = data.versions;
      LIVE.seen = LIVE.seen || {};
      Object.keys(data.versions).forEach(function (k) { LIVE.seen[k] = [data.versions[k], Date.now()]; });
    }
    setState(LIVE.degraded ? "degraded" : "live");
    renderFresh();
    renderBanner();
  }
  /* The server answers but its database does not (503 from /api/live): say so, not "server
   * unreachable"; keep polling with the same back-off. */
  function onDatabaseDown(data) {
    LIVE.failures += 1;
    LIVE.offlineSince = null;
    if (LIVE.databaseSince === null) { LIVE.databaseSince = Date.now(); }
    LIVE.databaseWhy = String((data && data.reason) || "");
    setState("offline");
    renderBanner();
  }
  function onFail() {
    LIVE.failures += 1;
    if (LIVE.offlineSince === null) { LIVE.offlineSince = Date.now(); }
    setState("offline");
    renderBanner();
  }
  function schedule(ms) {
    if (LIVE.timer !== null) { clearTimeout(LIVE.timer); }
    LIVE.timer = setTimeout(poll, ms);
  }
  function poll() {
    LIVE.timer = null;
    if (document.visibilityState === "hidden" || LIVE.reloading) { return; }  // visibilitychange resumes
    var r = shellRoot();
    if (!r) { schedule(200); return; }
    if (LIVE.build === null) {
      LIVE.build = r.getAttribute("data-build");
      LIVE.pollMs = Math.max(250, parseInt(cfg("poll-ms", "3000"), 10) || 3000);
      try { LIVE.versions = JSON.parse(r.getAttribute("data-versions") || "{}"); } catch (e) { LIVE.versions = {}; }
    }
    var ctl = window.AbortController ? new AbortController() : null;
    var guard = setTimeout(function () { if (ctl) { ctl.abort(); } }, Math.max(5000, 2 * LIVE.pollMs));
    fetch("/api/live", { cache: "no-store", credentials: "same-origin", signal: ctl ? ctl.signal : undefined })
      .then(function (resp) {
        if (resp.status === 503) { return resp.json().then(function (body) { return { databaseDown: body }; }); }
        if (!resp.ok) { throw new Error("HTTP " + resp.status); }
        return resp.json();
      })
      .then(function (data) { if (data && data.databaseDown) { onDatabaseDown(data.databaseDown); } else { onLive(data); } },
            onFail)
      .then(function () {
        clearTimeout(guard);
        // back off while the server is away: 1x, 2x, 4x … the interval, at most 30 s
        var wait = LIVE.failures ? Math.min(30000, LIVE.pollMs * Math.pow(2, Math.min(LIVE.failures - 1, 4))) : LIVE.pollMs;
        if (LIVE.timer === null) { schedule(wait); }
      });
  }
  /* Reload only when the server answers /healthz, so a restart never leaves an error page. */
  function reload(why) {
    if (LIVE.reloading) { return; }
    var last = parseInt(window.sessionStorage.getItem("ioc-reload-at") || "0", 10);
    if (why === "redeploy" && Date.now() - last < 60000) { return; }  // one reload a minute at most
    LIVE.reloading = true;
    fetch("/healthz", { cache: "no-store" }).then(function (resp) {
      if (!resp.ok) { throw new Error("HTTP " + resp.status); }
      window.sessionStorage.setItem("ioc-reload-at", String(Date.now()));
      window.sessionStorage.setItem("ioc-reload-why", why);
      window.location.reload();
    }).catch(function () { LIVE.reloading = false; schedule(LIVE.pollMs); });
  }
  function scheduledReload() {
    var minutes = parseFloat(cfg("reload-min", "0"));
    if (!(minutes > 0) || LIVE.reloading) { return; }
    var due = Date.now() - LIVE.loadedAt >= minutes * 60000;
    // A kiosk reloads on schedule; a page someone is using waits until nobody has touched it for 10 min.
    if (due && (kiosk.on || Date.now() - LIVE.lastInput >= 600000)) { reload("schedule"); }
  }
  ["pointerdown", "keydown", "wheel"].forEach(function (type) {
    window.addEventListener(type, function () { LIVE.lastInput = Date.now(); }, { passive: true, capture: true });
  });
  document.addEventListener("visibilitychange", function () {
    var visible = document.visibilityState !== "hidden";
    setProps(id("LIVE_VISIBLE"), { data: visible });
    document.documentElement.classList.toggle("ioc-paused", !visible);
    if (visible && LIVE.timer === null) { poll(); }
  });

  /* ---- kiosk mode and rotation -----------------------------------------------------------
   * /wall, or ?kiosk=1 on any page: no navigation, no controls, large type (CSS: html.kiosk).
   * The choice is kept for the tab (sessionStorage), because pages rewrite their query string
   * with their filters; ?kiosk=0 leaves it. ?rotate=wall,traffic,…&every=30 (or the
   * deployment's IOC_WALL_PLAYLIST on /wall) rotates through pages at that interval; the names
   * are the config's rotation names, their paths its page map. A bad playlist or interval is
   * not used (the wall's note names it, layouts/wall.py): the deployment's defaults stand.
   */
  var kiosk = { on: false, rotate: [], every: 30, timer: null, key: "", ready: false };
  /* A parameter as the server reads it (layouts/query.py param): the last of repeated ones, trimmed. */
  function lastParam(p, name) {
    var all = p.getAll(name);
    return all.length ? all[all.length - 1].trim() : null;
  }
  /* The rules of layouts/wall.py (parse_rotation), which names a refused value on the wall: a
   * playlist is two or more known names, else it is not used at all (never half used); an
   * interval is whole seconds from 5 to 3600, else the deployment's default. */
  function playlist(raw) {
    var names = config().rotation;
    var list = String(raw || "").split(",").map(function (s) { return s.trim().toLowerCase(); })
      .filter(function (s) { return s !== ""; });
    return list.length >= 2 && list.every(function (s) { return names.indexOf(s) >= 0; }) ? list : null;
  }
  function rotationSeconds(raw) {
    var text = String(raw === undefined || raw === null ? "" : raw).trim();
    var s = /^[0-9]{1,5}$/.test(text) ? parseInt(text, 10) : NaN;
    return s >= 5 && s <= 3600 ? s : Math.max(5, parseInt(cfg("rotate-s", "30"), 10) || 30);
  }
  function readKiosk() {
    var p = new URLSearchParams(window.location.search);
    var saved = {};
    try { saved = JSON.parse(window.sessionStorage.getItem("ioc-kiosk") || "{}") || {}; } catch (e) { saved = {}; }
    var flag = (lastParam(p, "kiosk") || "").toLowerCase();
    var onWall = onWallPage();
    if (flag === "0" || flag === "false") { saved = {}; } else if (flag === "1" || flag === "true" || onWall) { saved.on = true; }
    if (p.get("rotate") !== null) { saved.rotate = lastParam(p, "rotate"); }
    if (p.get("every") !== null) { saved.every = lastParam(p, "every"); }
    if (onWall && !playlist(saved.rotate) && cfg("rotate", "")) { saved.rotate = cfg("rotate", ""); }
    window.sessionStorage.setItem("ioc-kiosk", JSON.stringify(saved));
    kiosk.on = !!saved.on;
    kiosk.ready = config() !== NO_CONFIG;  // until the shell is rendered, every tick reads again
    kiosk.rotate = playlist(saved.rotate) || [];
    kiosk.every = rotationSeconds(saved.every);
    document.documentElement.classList.toggle("kiosk", kiosk.on);
  }
  function onWallPage() {
    var wall = config().pages.wall, path = window.location.pathname;
    // the wall itself or a path under it, not a page whose path only starts with the same letters (the e-wallet)
    return !!wall && (path === wall || path.indexOf(wall.replace(/\/$/, "") + "/") === 0);
  }
  function pageName(path) {
    var name = null, pages = config().pages;
    Object.keys(pages).forEach(function (k) { if (pages[k] === path) { name = k; } });
    return name;
  }
  function rotateNext() {
    kiosk.timer = null;
    if (!kiosk.on || kiosk.rotate.length < 2) { return; }
    if (document.visibilityState === "hidden") { armRotation(true); return; }
    var i = kiosk.rotate.indexOf(pageName(window.location.pathname));
    var next = kiosk.rotate[(i + 1) % kiosk.rotate.length];
    var p = new URLSearchParams();
    p.set("lang", lang());
    p.set("kiosk", "1");
    var path = config().pages[next];
    // The shell's dcc.Location(refresh="callback-nav") navigates as dcc.Link does (no reload).
    if (!setProps(id("NAV_LOCATION"), { href: path + "?" + p.toString() })) {
      window.location.assign(path + "?" + p.toString());
    }
    kiosk.key = "";
    armRotation(false, path);  // the next turn counts from now, on the page being opened
  }
  function armRotation(force, path) {
    var key = (path || window.location.pathname) + "|" + kiosk.rotate.join(",") + "|" + kiosk.every + "|" + kiosk.on;
    if (key === kiosk.key && !force) { return; }
    kiosk.key = key;
    if (kiosk.timer !== null) { clearTimeout(kiosk.timer); kiosk.timer = null; }
    if (kiosk.on && kiosk.rotate.length >= 2) {
      kiosk.timer = setTimeout(rotateNext, kiosk.every * 1000);
      var root = document.documentElement;
      root.setAttribute("data-rotate", kiosk.rotate.join(","));
      root.setAttribute("data-rotate-next", String(Date.now() + kiosk.every * 1000));
    } else {
      document.documentElement.removeAttribute("data-rotate");
    }
  }
  window.iocKiosk = kiosk;
  function onLocation() { readKiosk(); armRotation(false); renderFresh(); }
  // Back and forward; navigation inside the app (links, rotation, the language switch) is
  // picked up by the clock's tick below, which re-reads the URL every second.
  window.addEventListener("popstate", onLocation);
  readKiosk();

  function renderClocks(nodes) {
    nodes.forEach(function (c) {
      var q = parts(Date.now(), c.getAttribute("data-tz") || tz());
      setText(c, c.getAttribute("data-clock") === "date" ? q.day + "/" + q.month + "/" + q.year : q.hour + ":" + q.minute + ":" + q.second);
    });
  }
  // a clock that Dash has just (re-)rendered is empty until the next tick: fill it at once,
  // so a page never shows a blank clock for up to a second; tiles that a callback has just
  // replaced have no freshness line yet: write it before they are painted (else the line
  // "✓ Updated" blinks out for up to a second after every update); and kiosk mode applies as
  // soon as the shell (with the config: which path is the wall) is in the page
  new MutationObserver(function () {
    if (!kiosk.ready && config() !== NO_CONFIG) { onLocation(); }
    var blank = document.querySelectorAll("[data-clock]:empty");
    if (blank.length) { renderClocks(blank); }
    if (document.querySelector("[data-family] .tile:not([data-fresh-text])")) { renderFresh(); }
  }).observe(document.documentElement, { childList: true, subtree: true });

  /* Unit names on the maps: where two would overlap at the current zoom, the later one (the
   * seed order puts the city first) moves to the right of its point, the left, below, above,
   * else it is hidden.
   * Redone only when the labels moved (zoom, new data, the map resized), not on every tick. */
  var LABEL_SHIFTS = ["translate(-50%, -50%)", "translate(8px, -50%)", "translate(calc(-100% - 8px), -50%)",
                      "translate(-50%, 35%)", "translate(-50%, -135%)"];  // centred, right, left, below, above
  function overlaps(a, b) {
    return a.left < b.right + 2 && b.left < a.right + 2 && a.top < b.bottom && b.top < a.bottom;
  }
  function declutterLabels() {
    document.querySelectorAll(".leaflet-container").forEach(function (map) {
      var labels = map.querySelectorAll(".unit-label");
      if (!labels.length || !map.offsetWidth) { return; }
      var sig = map.offsetWidth + "x" + map.offsetHeight;
      labels.forEach(function (l) { sig += "|" + l.style.transform + (l.firstElementChild ? l.firstElementChild.textContent : ""); });
      // labels drawn anew (same names, same places) have no shift yet: redo them too
      var unplaced = Array.prototype.some.call(labels, function (l) {
        return l.firstElementChild && !l.firstElementChild.hasAttribute("data-shift");
      });
      if (map.iocLabelSig === sig && !unplaced) { return; }
      map.iocLabelSig = sig;
      var placed = [];
      labels.forEach(function (l) {
        var div = l.firstElementChild;
        if (!div) { return; }
        div.style.visibility = "";
        for (var i = 0; i < LABEL_SHIFTS.length; i++) {
          div.style.transform = LABEL_SHIFTS[i];
          var box = div.getBoundingClientRect();
          if (!placed.some(function (p) { return overlaps(p, box); })) {
            placed.push(box);
            div.setAttribute("data-shift", String(i));
            return;
          }
        }
        div.style.visibility = "hidden";
        div.setAttribute("data-shift", "hidden");
      });
    });
  }

  function tick() {
    var el = document.getElementById(id("CLOCK"));
    if (el) {
      var p = parts(Date.now(), el.getAttribute("data-tz") || "Asia/Ho_Chi_Minh");
      setText(el, p.day + "/" + p.month + "/" + p.year + " " + p.hour + ":" + p.minute + ":" + p.second);
    }
    renderClocks(document.querySelectorAll("[data-clock]"));
    declutterLabels();
    renderFresh();
    renderBanner();
    scheduledReload();
    if (!kiosk.ready || window.location.search.indexOf("kiosk") >= 0 || onWallPage()) {
      onLocation();
    }
  }
  setInterval(tick, 1000);
  poll();
})();
