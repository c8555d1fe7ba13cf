"""Helpers every page's callbacks use: the local date, unit names, the language, and the checks
a value from the browser passes before a callback uses it."""

from __future__ import annotations

from datetime import date
from typing import Any

from dash import Input, Output, State

from ioc.context import Context
from ioc.domain.units import UnitMap
from ioc.i18n import resolve_lang
from ioc.kpi.periods import to_local
from ioc.store.db import load_units, utcnow
from layouts import ids


def local_today(ctx: Context) -> date:
    """Today's date in the deployment's time zone."""
    return to_local(utcnow(), ctx.tz).date()


def units(ctx: Context) -> UnitMap:
    """Every unit version in the store (units are data, not code)."""
    with ctx.engine.connect() as conn:
        return load_units(conn)


def unit_rows(ctx: Context) -> list[tuple[str, str, str]]:
    """(code, name, level) of the latest version of every unit code in the store."""
    return [(u.code, u.name, u.level) for u in units(ctx).latest()]


def unit_names(ctx: Context) -> dict[str, str]:
    return {code: name for code, name, _level in unit_rows(ctx)}


def page_lang(ctx: Context, lang: str | None) -> str:
    return resolve_lang(lang, default=ctx.settings.lang)


# A callback's arguments are whatever the POST to /_dash-update-component says, not what the
# component would send: each value is checked where the callback receives it, and a wrong one
# counts as missing (the callback then shows its default, as for a fresh page).

#: The largest counter a browser store keeps exactly (JavaScript numbers: 2^53).
MAX_COUNTER = 2**53


def text(value: Any, default: str | None = None) -> str | None:
    """``value`` when it is a string, else ``default`` (a dropdown's or a text box's value)."""
    return value if isinstance(value, str) else default


def texts(value: Any) -> list[str]:
    """The strings of a multi-select's value (a lone string is one choice; anything else none)."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def counter(value: Any) -> int:
    """A counter kept in a browser store (``*-ready``, ``al-refresh``): a whole number from 0 to
    :data:`MAX_COUNTER`, else 0."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_COUNTER:
        return 0
    return value


def whole_number(value: Any, low: int = 1, high: int = 2**63 - 1) -> int | None:
    """``value`` when it is an int (not a bool) in [``low``, ``high``] (a database id), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def follow_versions(app: Any, store_id: str, families: tuple[str, ...]) -> None:
    """Copy into ``store_id`` the live version of ``families`` (one family: its number; several:
    a "family:version,…" key), in the browser and only when it moved: callbacks listening to the
    store run on their own families' news, not on every ingest of every family."""
    if len(families) == 1:
        js = f"""function(versions, current) {{
            var v = (versions || {{}})["{families[0]}"] || 0;
            return v === current ? window.dash_clientside.no_update : v;
        }}"""
    else:
        keys = ", ".join(f'"{f}"' for f in families)
        js = f"""function(versions, current) {{
            var v = versions || {{}};
            var key = [{keys}].map(function (f) {{ return f + ":" + (v[f] || 0); }}).join(",");
            return key === current ? window.dash_clientside.no_update : key;
        }}"""
    app.clientside_callback(js, Output(store_id, "data"), Input(ids.VERSIONS, "data"), State(store_id, "data"))
