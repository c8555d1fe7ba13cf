"""Sign-in, sign-out, wall-screen tokens, OpenID Connect and unmasking: plain Flask routes.

The pages are small server-rendered HTML (no JavaScript, so they work under the strict CSP and
before any session exists). Forms carry a CSRF token kept in the session; the session cookie is
signed, HttpOnly and SameSite=Lax (``ioc_session``). Every sign-in, failed sign-in, sign-out
and unmasking is written to the audit trail.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

import flask
from markupsafe import Markup

from callbacks.access import client_address, principal, set_unmask, start_session, start_wall_session
from ioc import accounts, audit
from ioc.access import ROLES
from ioc.i18n import LANGS, fmt_local_datetime, t

log = logging.getLogger(__name__)

UNMASK_MINUTES = (15, 30, 60)
MIN_REASON = 10


def _lang() -> str:
    ctx = flask.current_app.config["IOC_CONTEXT"]
    asked = flask.request.args.get("lang") or flask.request.form.get("lang")
    return asked if asked in LANGS else ctx.settings.lang


def csrf_token() -> str:
    """This session's CSRF token for the forms (made on first use)."""
    token = flask.session.get("csrf")
    if not token:
        token = flask.session["csrf"] = secrets.token_urlsafe(24)
    return token


def _csrf_ok() -> bool:
    sent, kept = flask.request.form.get("csrf", ""), flask.session.get("csrf", "")
    return bool(kept) and hmac.compare_digest(sent, kept)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _page(title: str, body: Markup, lang: str, status: int = 200) -> flask.Response:
    html = Markup(
        '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>{title} · IOC Huế</title><link rel="stylesheet" href="/assets/signin.css"></head>'
        '<body class="signin-page"><main class="signin-card"><div class="signin-brand">IOC Huế</div>'
        "<h1>{title}</h1>{body}</main></body></html>"
    ).format(lang=lang, title=title, body=body)
    response = flask.make_response(str(html), status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


def _message(text: str | None, kind: str = "error") -> Markup:
    return Markup('<p class="signin-message {k}" role="alert">{m}</p>').format(k=kind, m=text) if text else Markup("")


def _signin_form(lang: str, next_url: str, message: str | None = None, name: str = "", status: int = 200) -> flask.Response:
    ctx = flask.current_app.config["IOC_CONTEXT"]
    other = "en" if lang == "vi" else "vi"
    oidc = Markup("")
    if ctx.settings.oidc_enabled:
        oidc = Markup('<p class="signin-or">{or_}</p><a class="signin-sso" href="{href}">{label}</a>').format(
            or_=t("signin_or", lang), href=flask.url_for("signin_oidc", next=next_url),
            label=t("signin_with", lang, provider=ctx.settings.oidc_label))
    body = Markup(
        '{message}<form method="post" action="{action}" class="signin-form">'
        '<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="next" value="{next}">'
        '<input type="hidden" name="lang" value="{lang}">'
        '<label>{name_label}<input name="name" autocomplete="username" required maxlength="100" value="{name}" autofocus></label>'
        '<label>{password_label}<input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>'
        '<button type="submit">{submit}</button></form>{oidc}'
        '<p class="signin-lang"><a href="{switch}">{switch_label}</a></p>'
    ).format(message=_message(message), action=flask.url_for("signin"), csrf=csrf_token(), next=next_url, lang=lang,
             name_label=t("signin_name", lang), name=name, password_label=t("signin_password", lang),
             submit=t("signin_submit", lang), oidc=oidc,
             switch=flask.url_for("signin", next=next_url, lang=other), switch_label=t(f"lang_name_{other}", lang))
    return _page(t("signin_title", lang), body, lang, status)


def register(server: flask.Flask, ctx: Any) -> None:  # noqa: C901 - one route per function below
    settings = ctx.settings

    @server.route("/signin", methods=["GET", "POST"])
    def signin() -> flask.Response:
        lang = _lang()
        next_url = safe_next(flask.request.values.get("next"))
        if flask.request.method == "GET":
            return _signin_form(lang, next_url)
        if not _csrf_ok():
            return _signin_form(lang, next_url, t("signin_expired", lang), status=400)
        name = (flask.request.form.get("name") or "").strip()[:100]
        result = accounts.verify_password(ctx.engine, name, flask.request.form.get("password") or "")
        if result.user is None:
            audit.record(ctx.engine, name or "?", "sign_in_failed", detail={"reason": result.reason},
                         address=client_address())
            if result.reason == "locked" or (result.reason == "bad" and result.retry_at is not None):
                message = t("signin_locked", lang, time=fmt_local_datetime(result.retry_at, ctx.tz, lang, seconds=True))
            elif result.reason == "disabled":
                message = t("signin_disabled", lang)
            else:
                message = t("signin_bad", lang)
            return _signin_form(lang, next_url, message, name=name, status=401)
        start_session(result.user.id, result.user.session_epoch, settings.session_hours)
        audit.record(ctx.engine, result.user.name, "sign_in", role=result.user.role, detail={"method": "password"},
                     address=client_address())
        return flask.redirect(next_url)

    @server.post("/signout")
    def signout() -> flask.Response:
        who = principal()
        if not _csrf_ok():
            return flask.redirect("/")
        if who.signed_in or who.token_id is not None:
            audit.record(ctx.engine, who.name, "sign_out", role=who.role, address=client_address())
        flask.session.clear()
        return flask.redirect(flask.url_for("signin"))

    @server.get("/signin/wall")
    def signin_wall() -> flask.Response:
        """A kiosk screen's bookmark: ``/signin/wall?token=…&next=/wall?kiosk=1``."""
        lang = _lang()
        token = accounts.wall_token_by_secret(ctx.engine, flask.request.args.get("token") or "")
        if token is None:
            audit.record(ctx.engine, "wall:?", "sign_in_failed", detail={"reason": "unknown or revoked wall token"},
                         address=client_address())
            return _page(t("signin_title", lang), _message(t("signin_wall_bad", lang)), lang, 401)
        # A wall session lasts as long as the token: screens run for weeks; revoking ends it.
        start_wall_session(token.id, hours=24 * 365)
        audit.record(ctx.engine, f"wall:{token.label}", "sign_in", role="wall", detail={"method": "wall token",
                     "token_id": token.id}, address=client_address())
        return flask.redirect(safe_next(flask.request.args.get("next") or "/wall?kiosk=1"))

    oauth = _oidc_client(server, settings) if settings.oidc_enabled else None

    @server.get("/signin/oidc")
    def signin_oidc() -> flask.Response:
        lang = _lang()
        if oauth is None:
            return _page(t("signin_title", lang), _message(t("signin_oidc_off", lang)), lang, 404)
        flask.session["oidc_next"] = safe_next(flask.request.args.get("next"))
        return oauth.sso.authorize_redirect(flask.url_for("signin_oidc_callback", _external=True))

    @server.get("/signin/oidc/callback")
    def signin_oidc_callback() -> flask.Response:
        lang = _lang()
        if oauth is None:
            return _page(t("signin_title", lang), _message(t("signin_oidc_off", lang)), lang, 404)
        try:
            token = oauth.sso.authorize_access_token()
            claims = token.get("userinfo") or oauth.sso.userinfo(token=token)
        except Exception as exc:  # noqa: BLE001 - any provider or token failure is a failed sign-in
            log.warning("OpenID Connect sign-in failed: %s", type(exc).__name__)
            audit.record(ctx.engine, "oidc:?", "sign_in_failed", detail={"reason": type(exc).__name__},
                         address=client_address())
            return _page(t("signin_title", lang), _message(t("signin_oidc_failed", lang)), lang, 401)
        subject = f"{claims.get('iss')}|{claims.get('sub')}"
        role = oidc_role(claims.get(settings.oidc_role_claim))
        name = claims.get("preferred_username") or claims.get("email") or str(claims.get("sub"))
        user = accounts.oidc_user(ctx.engine, subject, name, claims.get("name"), role, settings.oidc_default_role)
        if user.disabled:
            audit.record(ctx.engine, user.name, "sign_in_failed", detail={"reason": "disabled", "method": "oidc"},
                         address=client_address())
            return _page(t("signin_title", lang), _message(t("signin_disabled", lang)), lang, 403)
        next_url = flask.session.pop("oidc_next", "/")
        start_session(user.id, user.session_epoch, settings.session_hours)
        audit.record(ctx.engine, user.name, "sign_in", role=user.role, detail={"method": "oidc", "subject": subject},
                     address=client_address())
        return flask.redirect(safe_next(next_url))

    @server.route("/unmask", methods=["GET", "POST"])
    def unmask() -> flask.Response:
        """Personal data in clear for a while, with a stated reason (analysts; recorded)."""
        lang, who = _lang(), principal()
        next_url = safe_next(flask.request.values.get("next"))
        message = None
        if flask.request.method == "POST":
            reason = " ".join((flask.request.form.get("reason") or "").split())[:500]
            try:
                minutes = int(flask.request.form.get("minutes") or 0)
            except ValueError:
                minutes = 0
            if not _csrf_ok():
                message = t("signin_expired", lang)
            elif len(reason) < MIN_REASON:
                message = t("unmask_need_reason", lang, n=MIN_REASON)
            elif minutes not in UNMASK_MINUTES:
                message = t("unmask_bad_minutes", lang)
            else:
                until = set_unmask(reason, minutes)
                audit.record(ctx.engine, who.name, "unmask", role=who.role, target=next_url,
                             detail={"reason": reason, "minutes": minutes, "until": until.isoformat() + "Z"},
                             address=client_address())
                return flask.redirect(next_url)
        options = Markup("").join(Markup('<option value="{m}">{label}</option>').format(
            m=m, label=t("unmask_minutes", lang, n=m)) for m in UNMASK_MINUTES)
        body = Markup(
            '<p>{intro}</p>{message}<form method="post" class="signin-form">'
            '<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="next" value="{next}">'
            '<label>{reason_label}<textarea name="reason" required minlength="{min}" maxlength="500" rows="3"></textarea></label>'
            '<label>{minutes_label}<select name="minutes">{options}</select></label>'
            '<button type="submit">{submit}</button></form><p><a href="{back}">{back_label}</a></p>'
        ).format(intro=t("unmask_intro", lang), message=_message(message), csrf=csrf_token(), next=next_url,
                 reason_label=t("unmask_reason", lang), min=MIN_REASON, minutes_label=t("unmask_for", lang),
                 options=options, submit=t("unmask_submit", lang), back=next_url, back_label=t("unmask_back", lang))
        return _page(t("unmask_title", lang), body, lang, 400 if message else 200)


def oidc_role(claim: Any) -> str | None:
    """The role a provider's claim names (a string or a list of strings; of several, the last in
    :data:`ioc.access.ROLES`, i.e. the widest); None when it names none. ``wall`` is for
    screens, never for a person: it is ignored."""
    values = [claim] if isinstance(claim, str) else list(claim) if isinstance(claim, list | tuple) else []
    known = [str(v).strip().lower() for v in values if str(v).strip().lower() in ROLES and str(v).strip().lower() != "wall"]
    if not known:
        return None
    return max(known, key=ROLES.index)


def _oidc_client(server: flask.Flask, settings: Any) -> Any:
    """Authlib's Flask client for the provider at ``IOC_OIDC_ISSUER`` (discovery, PKCE S256,
    nonce and ID-token signature checked by Authlib)."""
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(server)
    oauth.register(
        "sso", client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256", "timeout": 10},
    )
    return oauth
