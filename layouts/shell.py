"""The frame around every page: header, navigation, clock, language, live status, stores."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import dash
from dash import dcc, html

from ioc.i18n import fmt_local_datetime, fmt_number, t
from layouts import ids
from layouts.browser import browser_config_json


def sim_badge_texts(lang: str, speed: float = 1.0) -> tuple[str, str]:
    """The SIMULATED badge's text and tooltip; a speed-up of the live simulators (``speed`` > 1,
    ``IOC_SIMULATOR_SPEED``) is said on it: "DỮ LIỆU MÔ PHỎNG ×60", "SIMULATED DATA ×2.5"."""
    if speed <= 1:
        return t("simulated", lang), t("simulated_title", lang)
    decimals = 0 if float(speed).is_integer() else 1 if float(speed * 10).is_integer() else 2
    times = fmt_number(speed, lang, decimals)
    return t("simulated_speed", lang, speed=times), t("simulated_speed_title", lang, speed=times)


def nav_href(path: str, lang: str) -> str:
    return f"{path}?lang={lang}"


def nav_id(page: str) -> str:
    """The navigation link of page ``page`` (its registered name)."""
    return f"nav-{page}"


def nav_group_id(group: str) -> str:
    """The title of navigation group ``group``'s menu."""
    return f"nav-group-{group}-title"


def nav_class(active: bool, extra: str = "") -> str:
    return " ".join(c for c in ("nav-link", extra, "active" if active else "") if c)


def nav_links(pages: Sequence[Any], lang: str) -> list[Any]:
    """A link per page (``name``, ``path``, ``title_key``, ``nav_class``), in the given order;
    the pages of a ``nav_group`` (the systems declared by spec files: a dozen links would not fit
    a header) share a menu where the first of them stands (``details``: no script to open it)."""
    out: list[Any] = []
    groups: dict[str, list[Any]] = {}
    for p in pages:
        link = dcc.Link(t(p.title_key, lang), href=nav_href(p.path, lang), id=nav_id(p.name),
                        className=nav_class(False, p.nav_class))
        group = getattr(p, "nav_group", "")
        if not group:
            out.append(link)
            continue
        if group not in groups:
            groups[group] = []
            out.append(html.Details([html.Summary(t(f"nav_group_{group}", lang), id=nav_group_id(group),
                                                  className="nav-link nav-summary"),
                                     html.Div(groups[group], className="nav-menu")],
                                    className=f"nav-group nav-group-{group}", id=f"nav-group-{group}"))
        groups[group].append(link)
    return out


def nav_toggle(lang: str) -> html.Button:
    """The menu button of a header too narrow for its links (phones, laptops: assets/phone.css):
    it opens and closes the navigation in the browser (assets/menu.js keeps ``aria-expanded``),
    with no server round trip; on a wide screen it is not shown."""
    return html.Button([html.Span(className="nav-toggle-icon", **{"aria-hidden": "true"}),
                        html.Span(t("phone_menu", lang), id=ids.NAV_TOGGLE_TEXT, className="nav-toggle-text")],
                       id=ids.NAV_TOGGLE, type="button", className="nav-toggle",
                       **{"aria-expanded": "false", "aria-controls": ids.NAV})


def account_box(name: str, role: str | None, signed_in: bool, lang: str, csrf: str = "", here: str = "/",
                unmask: bool = False, unmasked_until: str | None = None) -> list[Any]:
    """The header's account area: who reads (name and role), sign-out (a POST form with its CSRF
    token) or sign-in, and for analysts the way to show personal data with a reason."""
    if not signed_in:
        who: list[Any] = [html.Span(t("account_anonymous", lang), className="account-name")]
        if role is None or role == "viewer":
            who.append(html.A(t("account_signin", lang), href=f"/signin?next={quote(here)}", className="account-link"))
        return who
    out: list[Any] = [html.Span([html.Span(name, className="account-name"), " ",
                                 html.Span(t(f"role_{role}", lang), className="account-role")],
                                title=f"{name} · {t(f'role_{role}', lang)}")]
    if unmasked_until:
        out.append(html.Span(t("account_unmasked", lang, time=unmasked_until), className="account-unmasked"))
    elif unmask:
        out.append(html.A(t("account_unmask", lang), href=f"/unmask?next={quote(here)}", className="account-link"))
    out.append(html.Form([dcc.Input(type="hidden", name="csrf", value=csrf),
                          html.Button(t("account_signout", lang), type="submit", className="account-link")],
                         method="post", action="/signout", className="account-signout"))
    return out


def layout(settings: Any, simulated: bool, versions: dict[str, int], build: str = "",
           pages: Sequence[Any] = (), can: Sequence[str] = (), sim_speed: float = 1.0) -> html.Div:
    """The app's layout. ``versions`` seeds the live store so the first poll finds no change;
    ``pages`` are every registered page in order (``name``, ``path``, ``title_key``, ``nav``,
    ``nav_class``): those with ``nav`` are linked in the header, all are in the browser's page map.

    The live poll itself is assets/ioc.js (``GET /api/live``); its settings ride on the root's
    ``data-*`` attributes: the poll interval, the build this page was served by (a different
    one later means a redeploy: reload), the scheduled reload of kiosk screens, the wall's
    default playlist and rotation interval. ``can``: what the reader may do (``ioc.access.Can``
    values), on ``data-can`` so the stylesheet hides controls they may not use (the server
    refuses them anyway). ``sim_speed``: the live simulators' speed-up, said on the SIMULATED
    badge when above 1."""
    lang = settings.lang
    now = datetime.now(UTC).replace(tzinfo=None)
    right = []
    if simulated:
        text, title = sim_badge_texts(lang, sim_speed)
        right.append(html.Span(text, id=ids.SIM_BADGE, className="badge badge-sim", title=title))
    right += [
        html.Span([html.Span(className="live-dot"), html.Span(t("live", lang), id=ids.LIVE_TEXT, className="live-text"),
                   html.Span("", id=ids.LIVE_UPDATED, className="live-updated")],
                  id=ids.LIVE_BADGE, className="badge badge-live", **{"aria-live": "polite"}),
        html.Time(fmt_local_datetime(now, settings.tz, lang, seconds=True), id=ids.CLOCK, className="clock",
                  **{"data-tz": settings.timezone}),
        html.Div([
            html.Button("VI", id=ids.LANG_VI, n_clicks=0, className="lang-btn" + (" active" if lang == "vi" else ""),
                        title="Tiếng Việt", lang="vi"),
            html.Button("EN", id=ids.LANG_EN, n_clicks=0, className="lang-btn" + (" active" if lang == "en" else ""),
                        title="English", lang="en"),
        ], className="lang-switch", role="group", **{"aria-label": t("lang_label", lang)}),
        html.Div(id=ids.ACCOUNT, className="account"),
    ]
    return html.Div(
        [
            dcc.Store(id=ids.LANG_STORE, storage_type="local"),
            dcc.Location(id=ids.NAV_LOCATION, refresh="callback-nav"),  # written by assets/ioc.js
            dcc.Store(id=ids.VERSIONS, data=versions),
            dcc.Store(id=ids.LIVE_STATE, data="live"),
            dcc.Store(id=ids.LIVE_VISIBLE, data=True),
            dcc.Store(id=ids.FEEDBACK_VERSION, data=versions.get("feedback", 0)),
            # Written by assets/ioc.js only (text, never HTML): a lost server or Redis, on screen.
            html.Div(id=ids.LIVE_BANNER, className="live-banner", role="status", **{"aria-live": "assertive"}),
            html.Header(
                [
                    html.Div([
                        html.Div("IOC", className="brand-mark", **{"aria-hidden": "true"}),
                        html.Div([html.Div(t("product", lang), className="brand-name"),
                                  html.Div(t("product_long", lang), id=ids.PRODUCT_SUB, className="brand-sub")]),
                    ], className="brand"),
                    nav_toggle(lang),
                    html.Nav(nav_links([p for p in pages if p.nav], lang), id=ids.NAV, className="nav"),
                    html.Div(right, className="topbar-right"),
                ],
                className="topbar",
            ),
            html.Main(dash.page_container, className="main"),
        ],
        className="app",
        **{"data-can": " ".join(can), "data-build": build, "data-versions": json.dumps(versions, sort_keys=True), "data-poll-ms": str(settings.live_poll_ms), "data-lang": lang,
           "data-reload-min": str(settings.page_reload_minutes), "data-rotate": ",".join(settings.wall_playlist),
           "data-rotate-s": str(settings.wall_rotate_s), "data-config": browser_config_json({p.name: p.path for p in pages})},
    )
