"""The operations wall (``/wall``): the city at a glance for a wall of 1080p and 4K screens.

Kiosk by construction (assets/ioc.js adds ``html.kiosk`` on /wall): no navigation and no
controls, large numerals, every status given by colour *and* by an icon or a word. Four family
panels whose tiles carry their own freshness, the city operational stage, the local time and
the alert ticker. ``?rotate=wall,traffic,environment&every=30`` (or IOC_WALL_PLAYLIST)
rotates through pages instead; ``?lang=en`` switches the language; ``?kiosk=0`` leaves kiosk
mode for the tab. A bad value of any of these is not used (the wall falls back to its default:
the deployment's playlist or the fixed wall, IOC_WALL_ROTATE_SECONDS, kiosk on) and is named in
a small amber note.

Banners never move the wall: a strip above the header is always kept for them (the note, and
the shell's live banner laid over it), and while the server is lost the stage says "unknown"
rather than the last level it computed.

The layout only builds the skeleton; callbacks in :mod:`callbacks.wall` fill it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dash import dcc, html

from ioc.i18n import t
from ioc.kpi.filters import Problem, shown_value
from layouts import ids
from layouts.components import fresh_badge
from layouts.query import param, parse_lang
from layouts.shell import sim_badge_texts

TICK_MS = 60_000  # overdue counts and today's figures move with the clock, not only with data


#: ``?kiosk=`` values ioc.js understands (compared in lower case): on, or off for this tab.
KIOSK_VALUES = ("1", "true", "0", "false")
EVERY_RANGE_S = (5, 3600)  # seconds a page may stay up in a rotation (ioc.js holds the same range)


@dataclass(frozen=True)
class KioskProblem(Problem):
    """A refused kiosk parameter whose reason and default are catalogue strings with
    placeholders (``values``): "no page called nowhere", "the deployment's playlist: wall,
    traffic", "45 seconds"."""

    values: tuple[tuple[str, str], ...] = ()

    def message(self, lang: str) -> str:
        values = dict(self.values)
        return t("bad_param", lang, name=self.param, value=shown_value(self.value), reason=t(self.reason, lang, **values),
                 default=t(self.default, lang, **values))


def parse_playlist_param(raw: str, pages: Collection[str]) -> tuple[list[str], list[str]]:
    """``"Wall, traffic,"`` → (["wall", "traffic"], []): the names of a playlist in lower case,
    and those of them that are not in ``pages``."""
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    return names, [n for n in names if n not in pages]


def parse_rotation(params: Mapping[str, object], pages: Collection[str], playlist: Sequence[str] = (),
                   default_every_s: int = 30) -> tuple[str | None, int | None, list[Problem]]:
    """``rotate`` (two or more names of ``pages``) and ``every`` (whole seconds, 5 to 3600) from
    the URL, as assets/ioc.js reads them. A bad value is reported and not used: the wall falls
    back to the deployment's ``playlist`` (IOC_WALL_PLAYLIST; empty: the fixed wall) and to
    ``default_every_s`` (IOC_WALL_ROTATE_SECONDS) — partly good playlists are not half used."""
    problems: list[Problem] = []
    rotate, every = param(params, "rotate"), param(params, "every")
    fallback = (("default_playlist", (("pages", ", ".join(playlist)),)) if playlist else ("default_wall_fixed", ()))
    if rotate is not None:
        names, unknown = parse_playlist_param(rotate, pages)
        if unknown:
            problems.append(KioskProblem("rotate", rotate, "reason_pages", fallback[0],
                                         values=(("names", shown_value(", ".join(unknown))), *fallback[1])))
            rotate = None
        elif len(names) < 2:
            problems.append(KioskProblem("rotate", rotate, "reason_pages_few", fallback[0], values=fallback[1]))
            rotate = None
        else:
            rotate = ",".join(names)
    seconds = None
    if every is not None:
        low, high = EVERY_RANGE_S
        # ASCII digits only: int() would also take "+20", "1_0" and other scripts' digits, which ioc.js does not
        if re.fullmatch(r"[0-9]{1,5}", every) and low <= int(every) <= high:
            seconds = int(every)
        else:
            problems.append(KioskProblem("every", every, "reason_every", "default_every",
                                         values=(("low", str(low)), ("high", str(high)), ("n", str(default_every_s)))))
    return rotate, seconds, problems


def parse_kiosk_flag(params: Mapping[str, object]) -> Problem | None:
    """``kiosk``: 1/true (kiosk on) or 0/false (off for this tab); anything else is reported and
    the wall stays a kiosk, as it always is."""
    raw = param(params, "kiosk")
    if raw is None or raw.lower() in KIOSK_VALUES:
        return None
    return KioskProblem("kiosk", raw, "reason_kiosk", "default_kiosk")


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


def notice_strip(messages: Sequence[str]) -> html.Div:
    """The strip the wall keeps free above its header, always the same height: the small amber
    note of refused parameters (one line each, as text) sits in it, and the live banner (the
    server lost, the database or Redis down, a backfill under way; drawn by the shell, filled
    by assets/ioc.js) is laid over it, so no banner ever moves the header, the panels or the
    ticker."""
    note = (html.Div([html.Div(m, className="wall-note-line") for m in messages], id=ids.PAGE_ERRORS,
                     className="wall-note", role="alert") if messages
            else html.Div(id=ids.PAGE_ERRORS, className="banner-hidden"))
    return html.Div(note, className="wall-notice")


def unknown_stage(lang: str) -> html.Div:
    """What the stage says while the server is lost (shown by CSS under ``html.ioc-offline``,
    which assets/ioc.js sets): the last level computed may be over by now, so it is not shown."""
    return html.Div([
        html.Div([html.Span("?", className="stage-icon", **{"aria-hidden": "true"}),
                  html.Span(t("wall_stage_unknown_level", lang), className="stage-level")], className="stage-badge"),
        html.Div([html.Div(t("wall_stage_unknown", lang), className="stage-name"),
                  html.Div(t("wall_stage_unknown_why", lang), className="stage-why")], className="stage-text"),
    ], className="wall-stage stage-unknown", role="status", **{"aria-label": t("wall_stage", lang)})


def layout(settings: Any, simulated: bool, families: Sequence[str], pages: Collection[str],
           lang_pref: str | None = None, sim_speed: float = 1.0, **params: Any) -> html.Div:
    """The wall: a panel per family of ``families``; ``?rotate=`` may name any of ``pages``;
    ``sim_speed``: the live simulators' speed-up, said on the SIMULATED badge."""
    lang, lang_problem = parse_lang(params, lang_pref, settings.lang)
    sim_text, sim_title = sim_badge_texts(lang, sim_speed)
    kiosk_problem = parse_kiosk_flag(params)
    rotate, every, problems = parse_rotation(params, pages, settings.wall_playlist, settings.wall_rotate_s)
    problems = [p for p in (lang_problem, kiosk_problem) if p] + problems
    return html.Div(
        [
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            dcc.Interval(id=ids.WALL_TICK, interval=TICK_MS, n_intervals=0),
            dcc.Store(id=ids.WALL_ALERTS_VERSION),
            *[dcc.Store(id=ids.wall_version(f)) for f in families],
            notice_strip([p.message(lang) for p in problems]),
            html.Header(
                [
                    html.Div([
                        html.Div("IOC", className="brand-mark", **{"aria-hidden": "true"}),
                        html.Div([html.Div(t("product", lang), className="wall-brand-name"),
                                  html.Div(t("wall_title", lang), className="wall-brand-sub"),
                                  *([html.Span(sim_text, className="badge badge-sim wall-sim", title=sim_title)]
                                    if simulated else [])]),
                    ], className="wall-brand"),
                    # the live stage and, laid over it while the server is lost, "unknown"
                    html.Div([
                        html.Div(html.Div("…", className="wall-loading"), id=ids.WALL_STAGE, className="wall-stage",
                                 role="status", **{"aria-label": t("wall_stage", lang)}),
                        unknown_stage(lang),
                    ], className="wall-stage-slot"),
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
