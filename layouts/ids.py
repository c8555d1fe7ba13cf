"""Component ids, one constant each, shared by layouts, callbacks, assets and browser tests."""

# Dash pages' own location component (created by dash.page_container).
PAGES_LOCATION = "_pages_location"

# --- shell -----------------------------------------------------------------------------------
LIVE_INTERVAL = "live-interval"
VERSIONS = "live-versions"          # dcc.Store: {family: version}, written only on change
LIVE_STATE = "live-state"           # dcc.Store: "live" | "degraded"
LIVE_BADGE = "live-badge"
LIVE_UPDATED = "live-updated"
LIVE_TEXT = "live-text"
LANG_STORE = "lang-store"           # dcc.Store persisted in localStorage: the user's choice
LANG_VI = "lang-vi"
LANG_EN = "lang-en"
NAV = "shell-nav"
NAV_OVERVIEW = "nav-overview"
NAV_FEEDBACK = "nav-feedback"
CLOCK = "shell-clock"
SIM_BADGE = "sim-badge"
PRODUCT_SUB = "product-sub"
SHELL_CONFIG = "shell-config"       # dcc.Store: tz, lang default (read by assets/ioc.js)

# --- pages (shared) ----------------------------------------------------------------------------
PAGE_LANG = "page-lang"             # dcc.Store: the language the page was built in
PAGE_ERRORS = "page-errors"

# --- overview ---------------------------------------------------------------------------------
OV_FEEDBACK_TILES = "ov-feedback-tiles"
OV_FEEDBACK_SUB = "ov-feedback-sub"
OV_SOURCES = "ov-sources"
OV_HEALTH_INTERVAL = "ov-health-interval"
OV_RECENT = "ov-recent"
OV_DAILY = "ov-chart-daily"
OV_DOWNLOAD = "ov-download"
OV_CSV_BUTTON = "ov-csv-button"

# --- feedback ---------------------------------------------------------------------------------
FB_URL = "fb-url"                   # dcc.Location(refresh=False): mirrors the filters in the URL
FB_PRESET = "fb-preset"
FB_DATES = "fb-dates"
FB_DISTRICT = "fb-district"
FB_CATEGORY = "fb-category"
FB_CHANNEL = "fb-channel"
FB_RESET = "fb-reset"
FB_TILES = "fb-tiles"
FB_MAP = "fb-map"
FB_MAP_LAYER = "fb-map-layer"
FB_MAP_UNITS = "fb-map-units"      # district names on the map (readable with tiles offline)
FB_MAP_NOTE = "fb-map-note"
FB_GRID = "fb-overdue-grid"
FB_GRID_NOTE = "fb-overdue-note"
FB_DOWNLOAD = "fb-download"
FB_PERIOD_NOTE = "fb-period-note"
FB_TOP_READY = "fb-top-ready"      # dcc.Store: the map is served; the lower part may refresh now

# Charts on the feedback page: graph id = "fb-chart-<key>"; CSV button = {"type": CSV_BUTTON, "chart": key}.
CSV_BUTTON = "csv-button"
CHART_KEYS = ("trend", "category", "district", "channel", "handling")
EXPORT_KEYS = (*CHART_KEYS, "map", "overdue")


def chart(key: str) -> str:
    return f"fb-chart-{key}"


def csv_button(key: str, button_type: str = CSV_BUTTON) -> dict[str, str]:
    return {"type": button_type, "chart": key}
