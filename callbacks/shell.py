"""Shell callbacks: the language switch, navigation (every registered page), header texts and
the live badge."""

from __future__ import annotations

from urllib.parse import parse_qs

import dash
from dash import ClientsideFunction, Input, Output

from callbacks import access, request_guard
from callbacks.common import follow_versions
from ioc.access import Can
from ioc.context import Context
from ioc.family import Page
from ioc.i18n import resolve_lang, t
from ioc.live import simulator_speed
from ioc.registry import registry
from layouts import ids
from layouts import shell as shell_layout
from layouts.shell import nav_class, nav_group_id, nav_href, nav_id


def url_lang(search: str | None) -> str | None:
    """The ``lang`` of a query string (``?lang=en``); none for anything that is not a string."""
    values = parse_qs(search.lstrip("?")).get("lang") if isinstance(search, str) else None
    return values[-1] if values else None


def is_active(path: str, pathname: str | None) -> bool:
    """Whether the page at ``path`` is the one shown ("/" only on itself, others on sub-paths)."""
    here = pathname if isinstance(pathname, str) and pathname else "/"
    return here == "/" if path == "/" else (here == path or here.startswith(path + "/"))


def nav_entry(page: Page, pathname: str | None, lang: str) -> tuple[str, str, str]:
    """A navigation link's (text, href, class name) in ``lang``, ``active`` on its own page."""
    return t(page.title_key, lang), nav_href(page.path, lang), nav_class(is_active(page.path, pathname), page.nav_class)


def register(app: dash.Dash, ctx: Context) -> None:
    # The shell's location feeds Dash's page router, which does not check it: every callback
    # request's envelope and location are checked first.
    request_guard.install(app)

    # The live poll is assets/ioc.js (GET /api/live, paused while the tab is hidden): it writes
    # ids.VERSIONS only when a family's version moves, so data callbacks run only on news. The
    # feedback callbacks listen to their family's version alone (a traffic ingest every 10 s
    # must not recompute the feedback tiles on every open screen).
    follow_versions(app, ids.FEEDBACK_VERSION, ("feedback",))

    # The time of the last news, in the deployment's time zone: in the browser, because with 200
    # screens a server round trip per version move was a third of all callback requests.
    app.clientside_callback(
        ClientsideFunction("ioc", "stampUpdate"),
        Output(ids.LIVE_UPDATED, "children"),
        Input(ids.VERSIONS, "data"),
    )

    pages = [p for p in registry().pages if p.nav]
    outputs = [Output(nav_id(p.name), prop) for p in pages for prop in ("children", "href", "className")]
    groups = list(dict.fromkeys(p.nav_group for p in pages if p.nav_group))  # their menus' titles
    outputs += [Output(nav_group_id(g), "children") for g in groups]
    outputs += [Output(ids.PRODUCT_SUB, "children"), Output(ids.NAV_TOGGLE_TEXT, "children"),
                Output(ids.LANG_VI, "className"), Output(ids.LANG_EN, "className")]
    if ctx.simulated:
        outputs += [Output(ids.SIM_BADGE, "children"), Output(ids.SIM_BADGE, "title")]

    @access.callback(app, Can.READ,
        *outputs,
        Input(ids.PAGES_LOCATION, "pathname"),
        Input(ids.PAGES_LOCATION, "search"),
        Input(ids.LANG_STORE, "data"),
    )
    def shell_texts(pathname: str | None, search: str | None, stored: str | None):  # noqa: ANN202
        lang = resolve_lang(url_lang(search), stored, default=ctx.settings.lang)
        out = [value for p in pages for value in nav_entry(p, pathname, lang)]
        out += [t(f"nav_group_{g}", lang) for g in groups]
        out += [
            t("product_long", lang), t("phone_menu", lang),
            "lang-btn" + (" active" if lang == "vi" else ""), "lang-btn" + (" active" if lang == "en" else ""),
        ]
        if ctx.simulated:
            out += list(shell_layout.sim_badge_texts(lang, simulator_speed(ctx.engine, ctx.settings.simulator_speed)))
        return out

    @access.callback(app, Can.READ, Output(ids.ACCOUNT, "children"),
                     Input(ids.PAGES_LOCATION, "pathname"), Input(ids.PAGES_LOCATION, "search"),
                     Input(ids.LANG_STORE, "data"))
    def account(pathname: str | None, search: str | None, stored: str | None):  # noqa: ANN202
        from callbacks.signin import csrf_token
        from ioc.i18n import fmt_local_datetime

        lang = resolve_lang(url_lang(search), stored, default=ctx.settings.lang)
        who = access.principal()
        here = (pathname if isinstance(pathname, str) and pathname.startswith("/") else "/") + \
            (search if isinstance(search, str) and search.startswith("?") else "")
        until = None
        if who.personal.value == "clear" and who.unmask_until is not None:
            until = fmt_local_datetime(who.unmask_until, ctx.tz, lang)
        return shell_layout.account_box(who.display, who.role, who.signed_in or who.token_id is not None, lang,
                                        csrf=csrf_token() if who.signed_in or who.token_id is not None else "",
                                        here=here, unmask=who.may(Can.UNMASK), unmasked_until=until)

    # The live badge follows live-state in the browser: "offline" happens exactly when the
    # server cannot answer a callback.
    app.clientside_callback(
        ClientsideFunction("ioc", "liveBadge"),
        Output(ids.LIVE_BADGE, "className"), Output(ids.LIVE_TEXT, "children"),
        Input(ids.LIVE_STATE, "data"), Input(ids.PAGES_LOCATION, "search"), Input(ids.LANG_STORE, "data"),
    )

    # The switch rewrites the URL's lang (keeping the filters) and remembers the choice; the
    # shell's dcc.Location(refresh="callback-nav") navigates to it as a dcc.Link would.
    app.clientside_callback(
        ClientsideFunction("ioc", "switchLang"),
        Output(ids.LANG_STORE, "data"),
        Output(ids.NAV_LOCATION, "href"),
        Input(ids.LANG_VI, "n_clicks"),
        Input(ids.LANG_EN, "n_clicks"),
        prevent_initial_call=True,
    )
