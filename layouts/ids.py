"""Component ids, one constant each, shared by layouts, callbacks, assets and browser tests."""

from typing import Any

# Dash pages' own location component (created by dash.page_container).
PAGES_LOCATION = "_pages_location"

# --- shell -----------------------------------------------------------------------------------
VERSIONS = "live-versions"          # dcc.Store: {family: version}, written by ioc.js only on change
LIVE_STATE = "live-state"           # dcc.Store: "live" | "degraded" | "offline" (written by ioc.js)
LIVE_VISIBLE = "live-visible"       # dcc.Store: whether the tab is visible (written by ioc.js)
LIVE_BANNER = "live-banner"         # the outage banner (text written by ioc.js)
FEEDBACK_VERSION = "live-feedback-version"  # dcc.Store: the feedback family's version alone
LIVE_BADGE = "live-badge"
LIVE_UPDATED = "live-updated"
LIVE_TEXT = "live-text"
LANG_STORE = "lang-store"           # dcc.Store persisted in localStorage: the user's choice
NAV_LOCATION = "nav-location"       # dcc.Location(refresh="callback-nav"): the language switch and wall rotation navigate through it
LANG_VI = "lang-vi"
LANG_EN = "lang-en"
NAV = "shell-nav"
NAV_TOGGLE = "shell-nav-toggle"  # the menu button of a narrow header (assets/menu.js opens the nav)
NAV_TOGGLE_TEXT = "shell-nav-toggle-text"
CLOCK = "shell-clock"
ACCOUNT = "account"
# the audit page (administrators)
AU_TRAIL = "au-trail"
AU_NOTE = "au-note"
AU_USERS = "au-users"
AU_TOKENS = "au-tokens"
AU_ACTION = "au-action"
AU_DAYS = "au-days"  # who is signed in, sign-out, unmasking (callbacks.shell)
SIM_BADGE = "sim-badge"
PRODUCT_SUB = "product-sub"

# --- pages (shared) ----------------------------------------------------------------------------
PAGE_LANG = "page-lang"             # dcc.Store: the language the page was built in
PAGE_ERRORS = "page-errors"

# --- overview ---------------------------------------------------------------------------------
OV_SOURCES = "ov-sources"


def overview_card(family: Any, part: str) -> dict[str, Any]:
    """A family card's component on the Overview (a pattern-matching id: one callback serves
    every family's card): ``tiles`` or ``sub`` (its note). ``family`` is a code, or ``dash.ALL``."""
    return {"type": f"ov-{part}", "family": family}


OV_VERSIONS = "ov-versions"         # every family's live version as one key ("feedback:3,traffic:9,…")
OV_SHOWN = "ov-shown"               # {family: the version its card shows}



OV_LEAD = "ov-lead"                 # the first family's card, across the page
OV_HEALTH_INTERVAL = "ov-health-interval"
OV_RECENT = "ov-recent"
OV_DAILY = "ov-chart-daily"
OV_URL = "ov-url"                   # dcc.Location(refresh=False): the export links follow its query
OV_CSV_BUTTON = "ov-csv-button"

# --- feedback ---------------------------------------------------------------------------------
FB_URL = "fb-url"                   # dcc.Location(refresh=False): mirrors the filters in the URL
FB_PRESET = "fb-preset"
FB_DATES = "fb-dates"
FB_UNIT = "fb-unit"                 # the unit filter (a current commune, or a district before 1 July 2025)
FB_UNIT_NOTE = "fb-unit-note"       # the unit map's notices for the period (spans the change; a district after it)
FB_AREA_BY = "fb-area-by"           # the "by area" chart: current communes, or district-level units of the time
FB_CATEGORY = "fb-category"
FB_CHANNEL = "fb-channel"
FB_RESET = "fb-reset"
FB_TILES = "fb-tiles"
FB_MAP = "fb-map"
FB_MAP_LAYER = "fb-map-layer"
FB_MAP_UNITS = "fb-map-units"      # the current communes' names on the map (readable with tiles offline)
FB_MAP_NOTE = "fb-map-note"
FB_GRID = "fb-overdue-grid"
FB_GRID_NOTE = "fb-overdue-note"
FB_PERIOD_NOTE = "fb-period-note"
FB_TOP_READY = "fb-top-ready"      # dcc.Store: the map is served; the lower part may refresh now

# Charts on the feedback page: graph id = "fb-chart-<key>"; export links = {"type": CSV_BUTTON, "chart": key, "format": csv|png|xlsx}.
CSV_BUTTON = "csv-button"
CHART_KEYS = ("trend", "category", "district", "channel", "handling")
EXPORT_KEYS = (*CHART_KEYS, "map", "overdue")


def chart(key: str) -> str:
    return f"fb-chart-{key}"


def csv_button(key: str, button_type: str = CSV_BUTTON) -> dict[str, str]:
    return export_link(key, "csv", button_type)


def export_link(key: str, fmt: str, button_type: str = CSV_BUTTON) -> dict[str, str]:
    """The id of panel ``key``'s link to its export in ``fmt`` (csv, png, xlsx)."""
    return {"type": button_type, "chart": key, "format": fmt}


# --- traffic violations ----------------------------------------------------------------------------
TR_URL = "tr-url"                   # dcc.Location(refresh=False): the filters in the URL
TR_VERSION = "tr-version"           # dcc.Store: the traffic family's data version only
TR_TOP_READY = "tr-top-ready"       # dcc.Store: the map is served; charts and table may refresh now
TR_PRESET = "tr-preset"
TR_DATES = "tr-dates"
TR_TYPE = "tr-type"
TR_VEHICLE = "tr-vehicle"
TR_CHANNEL = "tr-channel"
TR_RESET = "tr-reset"
TR_PERIOD_NOTE = "tr-period-note"
TR_UNIT_NOTE = "tr-unit-note"       # the notice when the period spans 1 July 2025
TR_DISTRICT_CARD = "tr-district-card"  # the ranking by district-level unit (periods before 1 July 2025)
TR_TILES = "tr-tiles"
TR_MAP = "tr-map"
TR_MAP_LAYER = "tr-map-layer"       # GeoJSON: one circle per camera
TR_MAP_UNITS = "tr-map-units"
TR_MAP_NOTE = "tr-map-note"
TR_GRID = "tr-grid"
TR_GRID_NOTE = "tr-grid-note"
TR_CSV_BUTTON = "tr-csv-button"     # export links: {"type": TR_CSV_BUTTON, "chart": key, "format": …}
TR_CHART_KEYS = ("heatmap", "type", "vehicle", "fines")
TR_EXPORT_KEYS = (*TR_CHART_KEYS, "cameras", "recent")


def tr_chart(key: str) -> str:
    return f"tr-chart-{key}"


# --- environment (air quality, VN_AQI) -----------------------------------------------------------
ENV_URL = "env-url"                 # dcc.Location(refresh=False): range and stations in the URL
ENV_VERSION = "env-version"         # dcc.Store: the environment family's data version only
ENV_TOP_READY = "env-top-ready"     # dcc.Store: the top is served; the charts below may refresh now
ENV_RANGE = "env-range"
ENV_STATIONS = "env-stations"
ENV_UNIT = "env-unit"               # stations of one current commune
ENV_CALENDAR_STATION = "env-calendar-station"
ENV_TILES = "env-tiles"
ENV_AS_OF = "env-as-of"
ENV_MAP = "env-map"
ENV_MAP_LAYER = "env-map-layer"
ENV_MAP_UNITS = "env-map-units"     # the current communes' names on the map (readable with tiles offline)
ENV_NOW = "env-now"
ENV_ACTIVE = "env-active-alerts"    # the open alerts, next to the current AQI
ENV_ALERTS = "env-alerts"
ENV_ALERTS_NOTE = "env-alerts-note"
ENV_COMPLETENESS_NOTE = "env-completeness-note"
ENV_CSV_BUTTON = "env-csv-button"  # export links: {"type": ENV_CSV_BUTTON, "chart": key, "format": …}
ENV_CHART_KEYS = ("series", "pollutants", "calendar", "completeness")
ENV_EXPORT_KEYS = (*ENV_CHART_KEYS, "stations", "alerts")


def env_chart(key: str) -> str:
    return f"env-chart-{key}"


# --- admin (administrative services, TTHC) --------------------------------------------------------
AD_URL = "ad-url"                   # dcc.Location(refresh=False): the filters in the URL
AD_VERSION = "ad-version"           # dcc.Store: the admin family's data version only
AD_PRESET = "ad-preset"
AD_DATES = "ad-dates"
AD_LEVEL = "ad-level"
AD_UNIT = "ad-unit"
AD_RESET = "ad-reset"
AD_PERIOD_NOTE = "ad-period-note"
AD_TILES = "ad-tiles"
AD_LEVEL_CARDS = "ad-level-cards"
AD_MAP = "ad-map"
AD_MAP_LAYER = "ad-map-layer"
AD_MAP_UNITS = "ad-map-units"
AD_MAP_NOTE = "ad-map-note"
AD_SCORE_NOTE = "ad-score-note"
AD_RANKING = "ad-ranking-grid"
AD_RANKING_NOTE = "ad-ranking-note"
AD_BEST = "ad-best"
AD_WORST = "ad-worst"
AD_QUEUE = "ad-queue-grid"
AD_QUEUE_NOTE = "ad-queue-note"
AD_QUEUE_STATE = "ad-queue-state"   # which part of the queue: due_soon | overdue
AD_CSV_BUTTON = "ad-csv-button"     # export links: {"type": AD_CSV_BUTTON, "chart": key, "format": …}
AD_CHART_KEYS = ("levels", "online", "score", "field", "procedure")
AD_EXPORT_KEYS = (*AD_CHART_KEYS, "map", "ranking", "queue")


def ad_chart(key: str) -> str:
    return f"ad-chart-{key}"

# --- operations wall (/wall) -------------------------------------------------------------------
WALL_TICK = "wall-tick"             # dcc.Interval: time-dependent figures refresh each minute
WALL_STAGE = "wall-stage"
WALL_TICKER = "wall-ticker"
WALL_ALERTS_VERSION = "wall-alerts-version"


def wall_tiles(family: str) -> str:
    return f"wall-tiles-{family}"


def wall_sub(family: str) -> str:
    return f"wall-sub-{family}"


def wall_version(family: str) -> str:
    return f"wall-version-{family}"

# --- alerts page (/alerts) ---------------------------------------------------------------------
AL_VERSION = "al-version"
AL_REFRESH = "al-refresh"           # dcc.Store: bumped by an acknowledgement (re-render at once)
AL_OPERATOR = "al-operator"         # dcc.Store (localStorage): the operator's name, remembered
AL_WHO = "al-who"
AL_NOTE = "al-note"
AL_ACK = "al-ack"                   # pattern-matching type of the per-alert "acknowledge" buttons
AL_MESSAGE = "al-message"
AL_STAGE = "al-stage"
AL_ACTIVE = "al-active"
AL_ACTIVE_NOTE = "al-active-note"
AL_HISTORY = "al-history"
AL_HISTORY_NOTE = "al-history-note"
