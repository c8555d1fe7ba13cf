"""What the browser's scripts (assets/*.js) need from the server, in one JSON-able dict.

The shell layout embeds :func:`browser_config` as the root's ``data-config`` attribute; the
scripts keep no copies of their own: the page map and rotation names, the freshness factors,
the component ids they touch and their UI strings all come from here, and the strings from the
same gettext catalogues as the Python side (``ioc/locale``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ioc.domain.freshness import FRESHNESS_FACTORS
from ioc.i18n import LANGS, t
from ioc.live import STATE_ORDER
from layouts import ids

#: The catalogue keys assets/ioc.js asks for (``text("key")``): the live badge, the freshness
#: badges and tile captions, the outage banner and the "… ago" durations.
BROWSER_STRINGS = (
    "live", "live_degraded", "live_offline",
    "live_fresh_ok", "live_fresh_late", "live_fresh_stale", "live_fresh_never", "live_fresh_none",
    "live_fresh_error", "live_fresh_family",
    "live_banner_offline", "live_banner_database", "live_banner_degraded", "live_banner_backfill",
    "live_banner_backfill_eta",
    "ago_s", "ago_min", "ago_h", "ago_hmin",
)

#: The component ids assets/ioc.js reads or writes, by their name in layouts/ids.py.
BROWSER_IDS = ("CLOCK", "VERSIONS", "LIVE_STATE", "LIVE_VISIBLE", "LIVE_BANNER", "LANG_STORE", "LANG_EN",
               "NAV_LOCATION")


def browser_config(pages: Mapping[str, str], rotation: Iterable[str] | None = None) -> dict[str, Any]:
    """``{pages, rotation, freshness, ids, strings}`` for assets/*.js.

    ``pages``: page name → path (the wall's playlist names and where they lead: every page of
    the registry, :meth:`ioc.registry.Registry.page_paths`). ``rotation``: the names a wall may rotate through (default:
    every page)."""
    return {
        "pages": dict(pages),
        "rotation": list(pages if rotation is None else rotation),
        "freshness": {**FRESHNESS_FACTORS, "order": list(STATE_ORDER)},
        "ids": {name: getattr(ids, name) for name in BROWSER_IDS},
        "strings": {lang: {key: t(key, lang) for key in BROWSER_STRINGS} for lang in LANGS},
    }


def browser_config_json(pages: Mapping[str, str], rotation: Iterable[str] | None = None) -> str:
    """:func:`browser_config` as compact JSON (for an HTML attribute)."""
    return json.dumps(browser_config(pages, rotation), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
