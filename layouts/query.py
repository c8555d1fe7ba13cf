"""The pages' URL query strings ⇄ filter values (pure: no Dash, no store).

``?from=2026-01-01&to=2026-11-27&district=474&category=lighting&channel=hue_s&lang=en``

Each family declares its filters once (``FEEDBACK_FILTERS``, ``TRAFFIC_FILTERS``,
``ADMIN_FILTERS`` in its KPI module); :func:`ioc.kpi.filters.parse_params` reads a page's
parameters into a :class:`~ioc.kpi.filters.Selection` and
:meth:`~ioc.kpi.filters.Selection.search` writes them back. ``from`` and ``to`` are local
dates, both included (the first and the last day the page shows: ``?from=2026-12-02&to=2026-12-02``
is that one day), exactly like ``python -m ioc kpi feedback --from … --to …``, the date picker,
the period note and the CSV file names, so a link and a CLI call with the same values give the
same figures; inside, the period is [from, to + 1 day). A bad parameter never breaks the page:
it falls back to its default and is reported as a :class:`Problem` naming the parameter and the
value; a code that is well formed but not one the filter knows (``?category=zzz``, a unit not
on the map) is such a parameter too. Here: the language, the period presets, and the
per-family shorthands the tests and older callers use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from ioc.domain.feedback import CATEGORIES
from ioc.i18n import LANGS
from ioc.kpi.admin import ADMIN_FILTERS
from ioc.kpi.feedback import FEEDBACK_FILTERS
from ioc.kpi.filters import Problem, Selection, parse_params, single_value


def param(params: Mapping[str, object], name: str) -> str | None:
    """One value of parameter ``name`` (repeated: the last), stripped; ``None`` when empty."""
    return single_value(params.get(name))




def parse_feedback_query(params: Mapping[str, object], today: date,
                         known_units: Iterable[str] | None = None,
                         known_categories: Iterable[str] | None = None) -> tuple[Selection, list[Problem]]:
    """The Feedback page's parameters (``today`` local; default: the last 365 days); a
    ``category`` must be one of ``known_categories`` (default: the shipped ones; the page adds
    those the store holds, e.g. an Open311 server's own service codes), a ``unit`` one of
    ``known_units`` (when given)."""
    known: dict[str, Iterable[str]] = {"category": CATEGORIES if known_categories is None else known_categories}
    if known_units is not None:
        known["unit"] = known_units
    return parse_params(FEEDBACK_FILTERS, params, today, known)


def parse_admin_query(params: Mapping[str, object], today: date,
                      known_units: Iterable[str] | None = None) -> tuple[Selection, list[Problem]]:
    """The Admin page's parameters; a ``unit`` not in ``known_units`` (when given) is reported and dropped."""
    return parse_params(ADMIN_FILTERS, params, today, None if known_units is None else {"unit": known_units})


def parse_lang(params: Mapping[str, object], *fallbacks: str | None) -> tuple[str, Problem | None]:
    """The page language: ``lang`` from the URL, else the first usable fallback, else ``vi``."""
    fallback = next((f for f in fallbacks if f in LANGS), "vi")
    raw = param(params, "lang")
    if raw is None:
        return fallback, None
    if raw.lower() in LANGS:
        return raw.lower(), None
    return fallback, Problem("lang", raw[:20], "reason_choice", fallback)


# 3 days: a flood's rise and fall (the rivers page's default period)
PRESETS = ("3", "7", "30", "90", "365", "month", "year")


def preset_dates(preset: str, today: date) -> tuple[date, date] | None:
    """[start, end) of a named period ending today (local dates; ``end`` the day after the
    last, as periods are held inside); None for 'custom'."""
    end = today + timedelta(days=1)
    if preset in ("3", "7", "30", "90", "365"):
        return end - timedelta(days=int(preset)), end
    if preset == "month":
        return today.replace(day=1), end
    if preset == "year":
        return today.replace(month=1, day=1), end
    return None


def match_preset(start: date, end: date, today: date) -> str:
    """The preset that gives exactly [start, end) today, else 'custom'."""
    for preset in PRESETS:
        if preset_dates(preset, today) == (start, end):
            return preset
    return "custom"
