"""The IOC Huế dashboard (Dash). ``python app.py`` runs everything in one process on
embedded defaults; in production ``gunicorn 'app:create_server()'`` (or ``app:server``)
serves it while ``python -m ioc scheduler`` collects.

Everything is served locally (``serve_locally=True``, assets in ``assets/``): no CDN, so the
wall screens work on a closed network.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import dash
import flask
from dash import State

from ioc.context import Context
from ioc.live import LiveStatus, build_id

ROOT = Path(__file__).resolve().parent
CONTEXT_KEY = "IOC_CONTEXT"


def _ctx() -> Context:
    """The Context of the app serving the current request (layouts run inside a request)."""
    return flask.current_app.config[CONTEXT_KEY]


def _overview_page(lang_pref: str | None = None, **params: Any) -> Any:
    from layouts import overview

    return overview.layout(_ctx().settings, lang_pref, **params)


def _feedback_page(lang_pref: str | None = None, **params: Any) -> Any:
    from callbacks.common import local_today
    from layouts import feedback

    ctx = _ctx()
    return feedback.layout(ctx.settings, local_today(ctx), lang_pref, **params)


def _page_title(key: str) -> Any:
    """A tab title in the viewer's language (Dash calls it with the page's path variables)."""

    def title(**_path_variables: Any) -> str:
        from callbacks.shell import _url_lang
        from ioc.i18n import resolve_lang, t
        from layouts import ids

        try:
            search = dash.callback_context.inputs.get(f"{ids.PAGES_LOCATION}.search")
            stored = dash.callback_context.states.get(f"{ids.LANG_STORE}.data")
        except Exception:  # noqa: BLE001 - the index page request, outside a callback
            search, stored = "?" + flask.request.query_string.decode(), None
        return f"IOC Huế · {t(key, resolve_lang(_url_lang(search), stored, default=_ctx().settings.lang))}"

    return title


def _gzip_json(server: flask.Flask, min_bytes: int = 2048) -> None:
    """Gzip JSON answers (callbacks, layouts). The map's GeoJSON is ~5 MB of repetitive text for
    5,000 reports and ~250 kB gzipped; flask-compress is not a dependency, so do it here."""

    @server.after_request
    def compress(response: flask.Response) -> flask.Response:
        if (response.direct_passthrough or response.status_code != 200 or response.mimetype != "application/json"
                or "Content-Encoding" in response.headers
                or "gzip" not in flask.request.headers.get("Accept-Encoding", "")):
            return response
        data = response.get_data()
        if len(data) >= min_bytes:
            response.set_data(gzip.compress(data, compresslevel=5))
            response.headers["Content-Encoding"] = "gzip"
            response.headers["Vary"] = "Accept-Encoding"
        return response


def _api_routes(server: flask.Flask, ctx: Context) -> None:
    """Cheap JSON endpoints: the data-version key screens and probes poll, and a health check."""

    @server.get("/api/versions")
    def api_versions() -> flask.Response:
        response = flask.jsonify(versions=ctx.notifier.versions(), degraded=ctx.notifier.degraded)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-IOC-Worker"] = str(os.getpid())
        return response

    live = LiveStatus(ctx)

    @server.get("/api/live")
    def api_live() -> flask.Response:
        """What every screen polls: versions, the live channel, the build, source freshness."""
        response = flask.jsonify(live.payload())
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-IOC-Worker"] = str(os.getpid())
        return response

    @server.get("/healthz")
    def healthz() -> tuple[flask.Response, int]:
        try:
            with ctx.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - report any database failure
            return flask.jsonify(ok=False, database=f"{type(exc).__name__}"), 503
        return flask.jsonify(ok=True, notifier=ctx.notifier.degraded or "ok"), 200


def create_app(ctx: Context | None = None) -> dash.Dash:
    """Build the Dash app for ``ctx`` (default: the process-wide context from the environment)."""
    from callbacks import admin as admin_callbacks  # admin
    from callbacks import alerts as alerts_callbacks
    from callbacks import environment as environment_callbacks  # environment
    from callbacks import feedback as feedback_callbacks
    from callbacks import overview as overview_callbacks
    from callbacks import shell as shell_callbacks
    from callbacks import traffic as traffic_callbacks  # traffic
    from callbacks import wall as wall_callbacks
    from layouts import alerts as alerts_layout
    from layouts import ids, shell
    from layouts import wall as wall_layout

    if ctx is None:
        from ioc.context import context

        ctx = context()
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,
        update_title=None,
        title="IOC Huế",
        suppress_callback_exceptions=True,
        # The layout functions also get the language remembered in localStorage.
        routing_callback_inputs={"lang_pref": State(ids.LANG_STORE, "data")},
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.server.config[CONTEXT_KEY] = ctx
    _gzip_json(app.server)
    _api_routes(app.server, ctx)
    # Page layouts are registered globally by Dash; they look the context up per request.
    dash.register_page("overview", path="/", name="Overview", title=_page_title("nav_overview"),
                       layout=_overview_page)
    dash.register_page("feedback", path="/feedback", name="Feedback", title=_page_title("nav_feedback"),
                       layout=_feedback_page)
    dash.register_page("environment", path="/environment", name="Environment", title=_page_title("env_nav"),
                       layout=lambda lang_pref=None, **params: environment_callbacks.page(_ctx(), lang_pref, **params))
    dash.register_page("traffic", path="/traffic", name="Traffic", title=_page_title("traffic_nav"),  # traffic
                       layout=lambda lang_pref=None, **params: traffic_callbacks.page(_ctx(), lang_pref, **params))
    dash.register_page("admin", path="/admin", name="Admin", title=_page_title("admin_nav"),  # admin
                       layout=lambda lang_pref=None, **params: admin_callbacks.page(_ctx(), lang_pref, **params))
    dash.register_page("alerts", path="/alerts", name="Alerts", title=_page_title("alerts_nav"),
                       layout=lambda lang_pref=None, **params: alerts_layout.layout(_ctx().settings, lang_pref, **params))
    dash.register_page("wall", path="/wall", name="Wall", title=_page_title("wall_title"),
                       layout=lambda lang_pref=None, **params: wall_layout.layout(_ctx().settings, _ctx().simulated, lang_pref, **params))
    app.layout = lambda: shell.layout(ctx.settings, ctx.simulated, ctx.notifier.versions(), build_id())
    shell_callbacks.register(app, ctx)
    overview_callbacks.register(app, ctx)
    feedback_callbacks.register(app, ctx)
    environment_callbacks.register(app, ctx)  # environment
    traffic_callbacks.register(app, ctx)  # traffic
    admin_callbacks.register(app, ctx)  # admin
    wall_callbacks.register(app, ctx)
    alerts_callbacks.register(app, ctx)
    return app


def create_server() -> flask.Flask:
    """The WSGI app for gunicorn: ``gunicorn 'app:create_server()'``."""
    return create_app().server


def __getattr__(name: str) -> Any:
    # ``gunicorn app:server`` works too, without building the app on a plain import.
    if name == "server":
        return create_server()
    raise AttributeError(name)


if __name__ == "__main__":
    from ioc.context import context
    from ioc.runtime import start_embedded

    ctx = context()
    start_embedded(ctx)
    create_app(ctx).run(host=ctx.settings.host, port=ctx.settings.port, debug=False,
                        dev_tools_disable_version_check=True)
