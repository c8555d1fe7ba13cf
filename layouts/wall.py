"""The operations wall (``/wall``): the city at a glance for a wall of 1080p and 4K screens.

Kiosk by construction (assets/ioc.js adds ``html.kiosk`` on /wall): no navigation and no
controls, large numerals, every status given by colour *and* by an icon or a word. Four family
panels whose tiles carry their own freshness, the city operational stage, the local time and
the alert ticker. ``?rotate=wall,traffic,environment&every=30`` (or IOC_WALL_PLAYLIST)
rotates through pages instead; ``?lang=en`` switches the language.

The layout only builds the skeleton; callbacks in :mod:`callbacks.wall` fill it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from dash import dcc, html

from ioc.i18n import t
from ioc.kpi.filters import Problem
from layouts import ids
from layouts.components import error_banner, fresh_badge
from layouts.query import param, parse_lang

TICK_MS = 60_000  # overdue counts and today's figures move with the clock, not only with data


def parse_rotation(params: Mapping[str, object], pages: Collection[str]) -> tuple[str | None, int | None,
                                                                               list[Problem]]:
    """``rotate`` (names of ``pages``) and ``every`` (seconds) from the URL; bad values are
    reported and dropped (the wall then stays fixed / uses the default interval)."""
    problems = []
    rotate, every = param(params, "rotate"), param(params, "every")
    if rotate is not None:
        names = [n.strip().lower() for n in rotate.split(",") if n.strip()]
        if not names or any(n not in pages for n in names):
            problems.append(Problem("rotate", rotate[:80], "reason_pages", "default_wall_fixed"))
            rotate = None
        else:
            rotate = ",".join(names)
    seconds = None
    if every is not None:
        try:
            seconds = int(every)
            if not 5 <= seconds <= 3600:
                raise ValueError
        except ValueError:
            problems.append(Problem("every", every[:20], "reason_every", "default_every"))
            seconds = None
    return rotate, seconds, problems


def grid_style(panels: int) -> dict[str, int]:
    """Columns and rows of the wall's grid for ``panels`` panels: as square as it can be, wider
    than tall (4 → 2×2, 5 or 6 → 3×2, 7 to 9 → 3×3)."""
    cols = max(1, math.ceil(math.sqrt(panels)))
    return {"--wall-cols": cols, "--wall-rows": max(1, math.ceil(panels / cols))}


def panel(family: str, lang: str) -> html.Section:
    return html.Section(
        [
            html.Header([
                html.H2(t(f"family_{family}", lang), className="wall-panel-title"),
                html.Span(id=ids.wall_sub(family), className="wall-panel-sub"),
                fresh_badge(family, "wall-fresh"),
            ], className="wall-panel-head"),
            html.Div(html.Div("…", className="wall-loading"), id=ids.wall_tiles(family), className="wall-tiles"),
        ],
        className=f"wall-panel wall-panel-{family}",
        **{"data-family": family, "data-connected": "true"},
    )


def layout(settings: Any, simulated: bool, families: Sequence[str], pages: Collection[str],
           lang_pref: str | None = None, **params: Any) -> html.Div:
    """The wall: a panel per family of ``families``; ``?rotate=`` may name any of ``pages``."""
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    rotate, every, problems = parse_rotation(params, pages)
    if lang_problem:
        problems.insert(0, lang_problem)
    return html.Div(
        [
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Interval(id=ids.WALL_TICK, interval=TICK_MS, n_intervals=0),
            dcc.Store(id=ids.WALL_ALERTS_VERSION),
            *[dcc.Store(id=ids.wall_version(f)) for f in families],
            error_banner([p.message(lang) for p in problems]),
            html.Header(
                [
                    html.Div([
                        html.Div("IOC", className="brand-mark", **{"aria-hidden": "true"}),
                        html.Div([html.Div(t("product", lang), className="wall-brand-name"),
                                  html.Div(t("wall_title", lang), className="wall-brand-sub"),
                                  *([html.Span(t("simulated", lang), className="badge badge-sim wall-sim",
                                               title=t("simulated_title", lang))] if simulated else [])]),
                    ], className="wall-brand"),
                    html.Div(html.Div("…", className="wall-loading"), id=ids.WALL_STAGE, className="wall-stage",
                             role="status", **{"aria-label": t("wall_stage", lang)}),
                    html.Div([
                        html.Div(className="wall-time", **{"data-clock": "time", "data-tz": settings.timezone}),
                        html.Div([html.Span(className="wall-date", **{"data-clock": "date", "data-tz": settings.timezone}),
                                  html.Span(t("wall_clock", lang), className="wall-tz")], className="wall-date-line"),
                    ], className="wall-clock"),
                ],
                className="wall-head",
            ),
            html.Div([panel(f, lang) for f in families], className="wall-grid", style=grid_style(len(families))),
            html.Footer(
                [
                    html.Div(t("wall_alerts", lang), className="wall-ticker-label"),
                    html.Div(id=ids.WALL_TICKER, className="wall-ticker", role="log", **{"aria-live": "polite"}),
                ],
                className="wall-foot",
            ),
        ],
        className="page wall-page",
        **{"data-page": "wall", "data-rotate-url": rotate or "", "data-every-url": str(every or "")},
    )
