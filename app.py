"""The IOC Huế dashboard (Dash). ``python app.py`` runs everything in one process on
embedded defaults; in production ``gunicorn 'app:create_server()'`` (or ``app:server``)
serves it while ``python -m ioc scheduler`` collects.

Everything is served locally (``serve_locally=True``, assets in ``assets/``): no CDN, so the
wall screens work on a closed network.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
from functools import cache
from pathlib import Path
from typing import Any

import dash
import flask
from dash import State
from sqlalchemy.exc import SQLAlchemyError

from ioc import web_security
from ioc.context import Context
from ioc.family import Family, Page
from ioc.live import LiveStatus, build_id, simulator_speed
from ioc.privacy import install_log_masking
from ioc.registry import registry
from ioc.secrets import install_log_redaction

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent
CONTEXT_KEY = "IOC_CONTEXT"


def _ctx() -> Context:
    """The Context of the app serving the current request (layouts run inside a request)."""
    return flask.current_app.config[CONTEXT_KEY]


def _page_title(key: str) -> Any:
    """A tab title in the viewer's language (Dash calls it with the page's path variables)."""

    def title(**_path_variables: Any) -> str:
        from callbacks.shell import url_lang
        from ioc.i18n import resolve_lang, t
        from layouts import ids

        try:
            search = dash.callback_context.inputs.get(f"{ids.PAGES_LOCATION}.search")
            stored = dash.callback_context.states.get(f"{ids.LANG_STORE}.data")
        except Exception:  # noqa: BLE001 - the index page request, outside a callback
            search, stored = "?" + flask.request.query_string.decode(), None
        return f"IOC Huế · {t(key, resolve_lang(url_lang(search), stored, default=_ctx().settings.lang))}"

    return title


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
        """What every screen polls: versions, the live channel, the build, source freshness. With
        the database down it answers 503 and says so (screens show a database banner, not "server
        unreachable"); the reason names the error's type only, never its text (which may hold a
        connection string)."""
        try:
            from callbacks.access import principal
            from ioc.access import Can

            response = flask.jsonify(live.payload(errors=principal().may(Can.OPERATIONS)))
        except SQLAlchemyError as exc:
            log.warning("/api/live: the database does not answer (%s)", type(exc).__name__)
            response = flask.jsonify(database="unavailable", reason=type(getattr(exc, "orig", None) or exc).__name__,
                                     build=build_id())
            response.status_code = 503
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-IOC-Worker"] = str(os.getpid())
        return response

    @server.get("/healthz")
    def healthz() -> tuple[flask.Response, int]:
        """For load balancers and probes, open to anyone: ok or not, nothing else (the reason is
        logged; signed-in screens read the details from /api/live)."""
        try:
            with ctx.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - report any database failure
            log.warning("/healthz: the database does not answer (%s)", type(exc).__name__)
            return flask.jsonify(ok=False), 503
        return flask.jsonify(ok=True), 200


@cache
def _reserved_names() -> frozenset[str]:
    """Python parameter names of the page builders and of the layouts they call: a query
    parameter of one of these names (``?settings=1``, ``?today=1``, ``?ctx=1``) would collide
    with the call and break the page, so it is never passed on."""
    import inspect

    import layouts

    names = {"ctx", "lang_pref"}
    for info in pkgutil.iter_modules(layouts.__path__):
        module = importlib.import_module(f"layouts.{info.name}")
        function = getattr(module, "layout", None)
        if callable(function):
            names |= {p.name for p in inspect.signature(function).parameters.values()
                      if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return frozenset(names)


def page_params(params: dict[str, Any]) -> dict[str, Any]:
    """The query parameters a page is given: text values under names that are not the builders'
    own (unknown parameters are then ignored by the page, bad values reported by its banner)."""
    reserved = _reserved_names()
    return {k: v for k, v in params.items() if k not in reserved and k.isidentifier() and isinstance(v, str | list)}


def _page_layout(page: Page, family: Family | None = None) -> Any:
    """A registered page's layout function: its declaration's builder, given this request's
    Context, with the panels it keeps in kiosk mode marked (:mod:`layouts.kiosk`; the page's own
    ``kiosk_panels``, else its ``family``'s)."""
    panels = page.kiosk_panels or (family.kiosk_panels if family else ())

    def layout(lang_pref: str | None = None, **params: Any) -> Any:
        ctx = _ctx()
        lang_pref = lang_pref if isinstance(lang_pref, str) else None
        root = page.layout(ctx, lang_pref, **page_params(params))
        if not panels:
            return root
        from ioc.i18n import t
        from layouts.kiosk import arrange
        from layouts.query import parse_lang

        lang = parse_lang(params, lang_pref, ctx.settings.lang)[0]
        return arrange(root, panels, family.label(lang) if family else t(page.title_key, lang))

    return layout


def _not_found_layout(pages: Any) -> Any:
    """The layout for an address no page holds (:mod:`layouts.not_found`), in the reader's language."""

    def layout(lang_pref: str | None = None, **params: Any) -> Any:
        from layouts import ids
        from layouts.not_found import not_found

        try:
            path = dash.callback_context.inputs.get(f"{ids.PAGES_LOCATION}.pathname") or ""
        except Exception:  # noqa: BLE001 - outside a callback
            path = flask.request.path if flask.has_request_context() else ""
        return not_found(_ctx().settings, pages, str(path), lang_pref if isinstance(lang_pref, str) else None, params)

    return layout


def _session_secret(ctx: Context) -> str:
    """``IOC_SECRET_KEY``, or (bound to loopback without one) the store's own key
    (:func:`ioc.accounts.stored_session_key`), so every worker signs cookies alike."""
    import secrets

    from ioc.accounts import stored_session_key

    if ctx.settings.secret_key:
        return ctx.settings.secret_key
    try:
        return stored_session_key(ctx.engine)
    except SQLAlchemyError as exc:  # the database is away: this worker's sessions last until it restarts
        log.warning("session key: the database does not answer (%s); using a key of this process", type(exc).__name__)
        return secrets.token_urlsafe(48)


def _configure_sessions(server: flask.Flask, ctx: Context) -> None:
    from datetime import timedelta

    server.secret_key = _session_secret(ctx)
    server.config.update(
        SESSION_COOKIE_NAME="ioc_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=ctx.settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=max(ctx.settings.session_hours, 24 * 365)),
    )


def create_app(ctx: Context | None = None) -> dash.Dash:
    """Build the Dash app for ``ctx`` (default: the process-wide context from the environment).

    Pages, navigation and callbacks come from the family registry (:mod:`ioc.registry`), in
    its order: nothing here names a family."""
    from callbacks import access, alerts, audit, cap, export_routes, overview, scorecard, search, shell, signin, wall
    from layouts import ids
    from layouts import shell as shell_layout

    if ctx is None:
        from ioc.context import context

        ctx = context()
    install_log_masking()
    install_log_redaction()
    reg = registry()
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,
        compress=True,  # flask-compress: gzip/brotli for callbacks and layouts (the map's GeoJSON)
        update_title=None,
        title="IOC Huế",
        suppress_callback_exceptions=True,
        # The layout functions also get the language remembered in localStorage.
        routing_callback_inputs={"lang_pref": State(ids.LANG_STORE, "data")},
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.server.config[CONTEXT_KEY] = ctx
    # The body limit first: the access check reads a callback's body to know which callback it is.
    web_security.register(app, ctx.settings.max_request_bytes, ctx.settings.tile_url)
    _configure_sessions(app.server, ctx)
    access.install(app)
    signin.register(app.server, ctx)
    # Small answers (every screen's /api/live poll: ≈ 3.3 kB with ten families and their sources) cost more
    # to compress than they save.
    app.server.config["COMPRESS_MIN_SIZE"] = 4096
    _api_routes(app.server, ctx)
    cap.register(app.server, ctx)
    export_routes.register(app.server, ctx)  # /export/<page>/<panel>.<fmt>: the pages declare their panels
    scorecard.register_routes(app.server, ctx)  # /scorecard/<period>.<pdf|xlsx>: the period's brief
    # Page layouts are registered globally by Dash; they look the context up per request.
    owners = {p.name: f for f in reg.families for p in f.pages}
    for page in reg.pages:
        dash.register_page(page.name, path=page.path, name=page.name, title=_page_title(page.title_key),
                           layout=_page_layout(page, owners.get(page.name)))
    dash.register_page("not_found_404", path="/_not-found", name="not_found_404", title=_page_title("notfound_title"),
                       layout=_not_found_layout(reg.pages))

    def app_shell() -> Any:
        from ioc.access import Can

        reader = access.principal()
        speed = simulator_speed(ctx.engine, ctx.settings.simulator_speed) if ctx.simulated else 1.0
        return shell_layout.layout(ctx.settings, ctx.simulated, ctx.notifier.versions(), build_id(), reg.pages,
                                   can=[c.value for c in Can if reader.may(c)], sim_speed=speed)

    app.layout = app_shell
    for register in (shell.register, overview.register, *(f.register_callbacks for f in reg.families),
                     wall.register, alerts.register, audit.register, search.register, scorecard.register):
        register(app, ctx)
    # last: the policy hashes the inline scripts, clientside callbacks included
    return app


def create_server() -> flask.Flask:
    """The WSGI app for gunicorn: ``gunicorn 'app:create_server()'``."""
    return create_app().server


def __getattr__(name: str) -> Any:
    # ``gunicorn app:server`` works too, without building the app on a plain import.
    if name == "server":
        return create_server()
    raise AttributeError(name)


def _arguments(argv: list[str]) -> argparse.Namespace:
    """``python app.py [--speed N]``: every other setting is an environment variable (README,
    Configuration)."""
    from ioc.config import add_speed_argument

    parser = argparse.ArgumentParser(prog="python app.py", description="The IOC Huế dashboard on embedded "
                                     "defaults: web server, scheduler and simulators in one process.")
    add_speed_argument(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    import sys

    from ioc.config import ConfigError, use_simulator_speed
    from ioc.context import context
    from ioc.registry import registry
    from ioc.runtime import start_embedded
    from ioc.systems.spec import SpecError

    arguments = _arguments(sys.argv[1:])  # a bad --speed: argparse's one line, exit 2
    if arguments.speed is not None:
        use_simulator_speed(arguments.speed)
    try:
        registry()  # the families, and the systems' spec files validated
        ctx = context()
    except ConfigError as exc:  # a setting we cannot use (e.g. a public address without IOC_SECRET_KEY): one line
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except SpecError as exc:  # a system spec file that does not validate (IOC_SYSTEMS): one line
        print(f"error: {exc.full}", file=sys.stderr)
        sys.exit(2)
    # One line per step on the terminal; each request's line only with IOC_ACCESS_LOG=1 (a wall of
    # screens polling every few seconds would bury the steps)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for quiet in ("apscheduler", "alembic", "dash"):
        logging.getLogger(quiet).setLevel(logging.WARNING)
    if os.environ.get("IOC_ACCESS_LOG", "") not in ("1", "true", "yes"):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    log.info("store ready: %s", ctx.engine.url.render_as_string(hide_password=True))
    if ctx.simulated and ctx.settings.simulator_speed > 1:
        log.info("live simulators at %g × the city's pace (--speed / IOC_SIMULATOR_SPEED)", ctx.settings.simulator_speed)
    # the app first: the first start's history, written by a thread, would otherwise compete with
    # building it for the interpreter (measured: 5.7 s to the first answer instead of ~3 s)
    app = create_app(ctx)
    start_embedded(ctx)
    log.info("dashboard: http://%s:%d/ (Ctrl+C stops it)", ctx.settings.host, ctx.settings.port)
    app.run(host=ctx.settings.host, port=ctx.settings.port, debug=False, dev_tools_disable_version_check=True)
