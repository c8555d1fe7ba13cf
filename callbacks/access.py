"""Who is asking, and whether they may: checked on the server for every route and callback.

- :func:`principal` is the reader of the current request: a signed-in account (session
  cookie), a wall screen (device token), or an anonymous visitor. Anonymous visitors are
  viewers only when the dashboard is bound to loopback, the request comes from this machine
  and no proxy forwarded it; otherwise they are nobody and must sign in.
- Every Flask endpoint has a rule in :data:`ROUTE_RULES`; an endpoint without one is refused
  (and ``tests/integration/test_access.py`` fails), so a new route must say who may use it.
- Every server-side callback declares what it needs with :func:`callback` (or :func:`guard`):
  the need is checked before Dash runs it (:func:`check_callback`) and again by the wrapper. A
  callback registered without a declaration is refused.

Roles and what they may do: :mod:`ioc.access`.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

import dash
import flask
from werkzeug.exceptions import Forbidden, Unauthorized

from ioc.access import Can, Personal, Role, may, personal_data
from ioc.domain.local_time import utcnow
from ioc.privacy import Exposure

log = logging.getLogger(__name__)

NEEDS_ATTR = "ioc_needs"
UPDATE_ENDPOINT = "/_dash-update-component"
# Flask endpoint → what it needs. Dash's own endpoints serve code and the page shell, which
# hold no data (the data comes through callbacks, checked one by one).
ROUTE_RULES: dict[str, Can] = {
    "static": Can.PUBLIC,
    "_dash_assets.static": Can.PUBLIC,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": Can.PUBLIC,
    "/_favicon.ico": Can.PUBLIC,
    "/_reload-hash": Can.READ,
    "/_dash-layout": Can.READ,
    "/_dash-dependencies": Can.READ,
    UPDATE_ENDPOINT: Can.READ,  # and then each callback's own need
    "/": Can.READ,
    "/<path:path>": Can.READ,
    "api_versions": Can.READ,
    "api_live": Can.READ,  # source errors only for roles that may see operations (ioc.live)
    "healthz": Can.PUBLIC,  # ok or not, nothing else
    "cap_alerts": Can.READ,  # the alerts as CAP 1.2 (callbacks/cap.py): source errors only for operations
    "cap_alert": Can.READ,
    "export_panel": Can.REPORT,  # /export/<page>/<panel>.<fmt> (callbacks/export_routes.py): records need EXPORT
    "scorecard_brief": Can.REPORT,  # /scorecard/<period>.<pdf|xlsx> (callbacks/scorecard.py): the period's brief
    "signin": Can.PUBLIC,
    "signin_wall": Can.PUBLIC,
    "signin_oidc": Can.PUBLIC,
    "signin_oidc_callback": Can.PUBLIC,
    "signout": Can.PUBLIC,
    "unmask": Can.UNMASK,
}
# Pages a browser navigates to: without a session they redirect to the sign-in page.
_PAGE_ENDPOINTS = {"/", "/<path:path>"}
_EPOCH = datetime(1970, 1, 1)  # session times are seconds since this, naive UTC like the store
_USER_CACHE_S = 5.0  # a disabled account or revoked token ends its sessions within this


@dataclass(frozen=True)
class Principal:
    """The reader of one request. ``role`` None: nobody (sign-in required)."""

    role: str | None
    name: str  # the account's name, "wall:<label>" or "anonymous"
    display: str
    user_id: int | None = None
    token_id: int | None = None
    unmask_reason: str | None = None
    unmask_until: datetime | None = None

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    @property
    def personal(self) -> Personal:
        """How much personal data this reader sees now."""
        active = self.unmask_until is not None and self.unmask_until > utcnow()
        return personal_data(self.role, unmasked=active)

    def may(self, need: Can | str) -> bool:
        return may(self.role, need)


NOBODY = Principal(None, "anonymous", "anonymous")
LOCAL_VIEWER = Principal(Role.VIEWER, "anonymous", "anonymous")


def _ctx():  # noqa: ANN202
    return flask.current_app.config["IOC_CONTEXT"]


def client_address() -> str | None:
    return flask.request.remote_addr if flask.has_request_context() else None


def _is_local_request() -> bool:
    """Whether this request comes straight from this machine: a loopback peer and no proxy
    header (behind a reverse proxy every request would look local)."""
    request = flask.request
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded") or request.headers.get("X-Real-IP"):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


_cache: dict[tuple[str, int], tuple[float, Any]] = {}


def _cached(kind: str, key: int, load: Callable[[], Any]) -> Any:
    now = time.monotonic()
    hit = _cache.get((kind, key))
    if hit is not None and now - hit[0] < _USER_CACHE_S:
        return hit[1]
    value = load()
    if len(_cache) > 10_000:
        _cache.clear()
    _cache[(kind, key)] = (now, value)
    return value


def forget_cached() -> None:
    """Drop the per-process account cache (tests, and after an account changes here)."""
    _cache.clear()


def _from_session() -> Principal | None:
    from ioc import accounts

    session, ctx = flask.session, _ctx()
    expires = session.get("exp")
    if expires is not None and time.time() > float(expires):
        session.clear()
        return None
    if "uid" in session:
        user = _cached("user", int(session["uid"]), lambda: accounts.user_by_id(ctx.engine, int(session["uid"])))
        if user is None or user.disabled or user.session_epoch != session.get("epoch"):
            session.clear()
            return None
        until = session.get("unmask_until")
        return Principal(user.role, user.name, user.display_name or user.name, user_id=user.id,
                         unmask_reason=session.get("unmask_reason"),
                         unmask_until=_EPOCH + timedelta(seconds=float(until)) if until else None)
    if "wall" in session:
        token = _cached("token", int(session["wall"]), lambda: accounts.wall_token_live(ctx.engine, int(session["wall"])))
        if token is None:
            session.clear()
            return None
        return Principal(Role.WALL, f"wall:{token.label}", token.label, token_id=token.id)
    return None


def _from_bearer() -> Principal | None:
    """A wall token in ``Authorization: Bearer …`` (probes and kiosks that cannot keep a cookie)."""
    from ioc import accounts

    header = flask.request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    token = accounts.wall_token_by_secret(_ctx().engine, header[7:].strip())
    return None if token is None else Principal(Role.WALL, f"wall:{token.label}", token.label, token_id=token.id)


def exposure(settings: Any = None) -> Exposure:
    """What the current reader may see of personal data (:class:`ioc.privacy.Exposure`).
    Outside a request (the CLI, tests and benches calling the page data functions) it is
    ``masked``, as the CLI shows it; ``settings`` is needed then (inside, the app's are used)."""
    if not flask.has_request_context():
        return Exposure.of(Personal.MASKED.value, bool(getattr(settings, "show_plates", False)))
    return Exposure.of(principal().personal.value, _ctx().settings.show_plates)


def principal() -> Principal:
    """The reader of the current request (NOBODY outside a request)."""
    if not flask.has_request_context():
        return NOBODY
    found = getattr(flask.g, "ioc_principal", None)
    if found is None:
        found = _from_session() or _from_bearer()
        if found is None:
            found = LOCAL_VIEWER if not _ctx().settings.require_signin and _is_local_request() else NOBODY
        flask.g.ioc_principal = found
    return found


def start_session(user_id: int, epoch: int, hours: float) -> None:
    """A fresh session for an account (the old one's contents dropped: no fixation)."""
    session = flask.session
    session.clear()
    session.permanent = True
    session.update(uid=user_id, epoch=epoch, exp=time.time() + hours * 3600)
    flask.g.pop("ioc_principal", None)


def start_wall_session(token_id: int, hours: float) -> None:
    session = flask.session
    session.clear()
    session.permanent = True
    session.update(wall=token_id, exp=time.time() + hours * 3600)
    flask.g.pop("ioc_principal", None)


def set_unmask(reason: str, minutes: int) -> datetime:
    """Personal data in clear for this session for ``minutes`` (the caller records why)."""
    until = utcnow() + timedelta(minutes=minutes)
    flask.session["unmask_reason"] = reason
    flask.session["unmask_until"] = (until - _EPOCH).total_seconds()
    flask.g.pop("ioc_principal", None)
    return until


# --- callbacks --------------------------------------------------------------------------------


def guard(need: Can | str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare (and check at every call) what a callback needs."""
    need = Can(need)

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            require(need)
            return function(*args, **kwargs)

        setattr(checked, NEEDS_ATTR, need)
        return checked

    return decorate


def callback(app: dash.Dash, need: Can | str, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """``app.callback(*args, **kwargs)`` for a callback that needs ``need`` (see :mod:`ioc.access`)."""

    def decorate(function: Callable[..., Any]) -> Any:
        return app.callback(*args, **kwargs)(guard(need)(function))

    return decorate


# Dash's own server-side callbacks, by output: the pages router renders the page layouts (each
# reads through checked code paths of its own).
DASH_CALLBACKS: dict[str, Can] = {".._pages_content.children..._pages_store.data..": Can.READ}


def declared_need(entry: dict[str, Any], output: str | None = None) -> Can | None:
    """What a ``callback_map`` entry's callback declared (None: nothing, or clientside);
    ``output``: its key, for Dash's own callbacks (:data:`DASH_CALLBACKS`)."""
    if output in DASH_CALLBACKS:
        return DASH_CALLBACKS[output]
    function = entry.get("callback")
    while function is not None:
        need = getattr(function, NEEDS_ATTR, None)
        if need is not None:
            return need
        function = getattr(function, "__wrapped__", None)
    return None


def require(need: Can | str) -> Principal:
    """The current reader if they may ``need``; else 401 (nobody) or 403 (a role without it)."""
    who = principal()
    if who.may(need):
        return who
    if who.role is None:
        raise Unauthorized("sign in first")
    raise Forbidden(f"the {who.role} role may not do this ({Can(need).value})")


def check_callback(app: dash.Dash) -> None:
    """Before Dash runs a callback: refuse one that declared nothing, or whose need the reader lacks."""
    body = flask.request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    entry = app.callback_map.get(output) if isinstance(output, str) else None
    if entry is None:
        return  # Dash answers an unknown callback itself (no code of ours runs)
    need = declared_need(entry, output)
    if need is None:
        log.error("callback %s declares no access rule: refused", output[:120])
        raise Forbidden("this callback declares no access rule")
    who = require(need)
    if output in DASH_CALLBACKS and who.personal is Personal.CLEAR:
        _record_unmasked_view(who, body)


def _record_unmasked_view(who: Principal, body: dict[str, Any]) -> None:
    """A page opened while personal data is in clear: which one, and under which reason."""
    from ioc import audit

    path = next((i.get("value") for i in body.get("inputs") or [] if isinstance(i, dict)
                 and i.get("property") == "pathname"), None)
    audit.record(_ctx().engine, who.name, "unmasked_view", target=str(path)[:300] if path else None, role=who.role,
                 detail={"reason": who.unmask_reason}, address=client_address())


def install(app: dash.Dash) -> None:
    """Check every request: the endpoint's rule, then (for callbacks) the callback's."""
    server = app.server

    @server.before_request
    def enforce() -> flask.Response | None:
        endpoint = flask.request.url_rule.endpoint if flask.request.url_rule is not None else None
        if endpoint is None:
            return None  # 404 / 405: nothing is served
        need = ROUTE_RULES.get(endpoint)
        if need is None:
            log.error("route %s declares no access rule: refused", endpoint)
            raise Forbidden("this route declares no access rule")
        who = principal()
        if not who.may(need):
            if who.role is None and endpoint in _PAGE_ENDPOINTS and flask.request.method in ("GET", "HEAD"):
                target = flask.request.full_path.rstrip("?")
                return flask.redirect(flask.url_for("signin", next=target))
            require(need)
        if endpoint == UPDATE_ENDPOINT:
            check_callback(app)
        return None


def readable_alert(alert: Any) -> Any:
    """``alert`` (an :class:`ioc.alerts.Alert`) as this request's reader may see it: a failing
    source's error text only for roles that see operations, as on ``/api/live``."""
    import dataclasses

    details = getattr(alert, "details", None)
    if not isinstance(details, dict) or "error" not in details or principal().may(Can.OPERATIONS):
        return alert
    return dataclasses.replace(alert, details={k: v for k, v in details.items() if k != "error"})


def alert_line(alert: Any, lang: str, tz: Any = None) -> str:
    """The ticker's line of ``alert`` for this request's reader (:func:`readable_alert`)."""
    from ioc.i18n_alerts import describe

    return describe(readable_alert(alert), lang, tz)
