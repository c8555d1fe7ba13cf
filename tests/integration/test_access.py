"""Sign-in, roles and the audit trail over plain HTTP (issue #12), on a dashboard configured as if
bound to a public address (``IOC_HOST=0.0.0.0``, so every request needs a session or a wall token)
and on the embedded default (loopback: anonymous visitors are viewers).

The tables are enumerated from the app itself: a new route or callback without an access rule
fails :func:`test_every_route_and_callback_declares_who_may_use_it`, and is refused at run time.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from callbacks.access import DASH_CALLBACKS, ROUTE_RULES, declared_need, forget_cached
from ioc import accounts, audit
from ioc.access import Can, Role
from ioc.config import ConfigError, load_settings
from ioc.context import Context, build_context
from ioc.sources import SourceSpec
from ioc.store import runs
from layouts import ids
from tests.export_links import href_callback, link_hrefs, page_links

SECRET = "k" * 48
PASSWORD = "correct horse battery staple"
PEOPLE = {role: f"{role}-user" for role in (Role.VIEWER, Role.OPERATOR, Role.LEADER, Role.ANALYST, Role.ADMIN)}
SRC = SourceSpec(name="hue-open311", type="open311", family="feedback", every_seconds=60, url="http://open311.test")


def make_context(tmp_path: Path, **env: str) -> Context:
    base = {"IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    return build_context(load_settings({**base, **env}))


@pytest.fixture
def public(tmp_path: Path) -> Context:
    """A context as on a server bound to a public address, with one account per role."""
    ctx = make_context(tmp_path, IOC_HOST="0.0.0.0", IOC_SECRET_KEY=SECRET)
    for role, name in PEOPLE.items():
        accounts.add_user(ctx.engine, name, role, PASSWORD, display_name=f"Cán bộ {role}")
    forget_cached()
    return ctx


@pytest.fixture
def app(public: Context):  # noqa: ANN201
    from app import create_app

    return create_app(public)


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD, **extra: Any) -> Any:
    page = client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/signin", data={"name": name, "password": password, "csrf": csrf, "next": "/alerts", **extra})


def callback_payload(app: Any, output: str, inputs: list | None = None, state: list | None = None,
                     changed: list[str] | None = None) -> dict[str, Any]:
    multi = output.startswith("..")
    parts = [p for p in output.strip(".").split("...") if p] if multi else [output]
    out_specs = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        out_specs.append({"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop.split("@")[0]})
    return {"output": output, "outputs": out_specs if multi else out_specs[0],
            "inputs": inputs or [], "state": state or [], "changedPropIds": changed or []}


def output_key(app: Any, component_id: str) -> str:
    [key] = [k for k in app.callback_map if f"{component_id}." in k and "callback" in app.callback_map[k]]
    return key


def an_alert(ctx: Context) -> int:
    from ioc.alerts import current_alerts, evaluate
    from ioc.store.db import utcnow

    runs.register_sources(ctx.engine, [SRC])
    run_id = runs.start_run(ctx.engine, SRC.name, "feedback")
    runs.finish_run(ctx.engine, run_id, "failed", {}, "ConnectError: refused")
    evaluate(ctx.engine, ctx.settings, utcnow(), sources=[SRC.name])
    return current_alerts(ctx.engine)[0].id


def ack_payload(app: Any, alert_id: int, note: str = "") -> dict[str, Any]:
    trigger = {"id": alert_id, "type": ids.AL_ACK}
    return callback_payload(
        app, output_key(app, ids.AL_MESSAGE),
        inputs=[[{"id": trigger, "property": "n_clicks", "value": 1}]],
        state=[{"id": ids.AL_NOTE, "property": "value", "value": note},
               {"id": ids.AL_REFRESH, "property": "data", "value": 0},
               {"id": ids.PAGE_LANG, "property": "data", "value": "en"}],
        changed=[json.dumps(trigger, separators=(",", ":"), sort_keys=True) + ".n_clicks"])


# --- the tables --------------------------------------------------------------------------------


def test_every_route_and_callback_declares_who_may_use_it(app: Any) -> None:
    client = app.server.test_client()
    client.get("/healthz")  # Dash registers its pages router at the first request
    endpoints = {rule.endpoint for rule in app.server.url_map.iter_rules()}
    assert endpoints - set(ROUTE_RULES) == set(), "a route without an access rule (callbacks/access.py ROUTE_RULES)"
    server_side = {k: v for k, v in app.callback_map.items() if "callback" in v}
    undeclared = sorted(k for k, v in server_side.items() if declared_need(v, k) is None)
    assert undeclared == [], "callbacks without an access rule: declare them with callbacks.access.callback"
    assert set(DASH_CALLBACKS) <= set(server_side)
    needs = {k: declared_need(v, k) for k, v in server_side.items()}
    assert needs[output_key(app, ids.AL_MESSAGE)] is Can.ACKNOWLEDGE
    # the pages' export links only say where (the export route checks who may download)
    assert {needs[href_callback(app, t)] for t in (ids.CSV_BUTTON, ids.TR_CSV_BUTTON, ids.AD_CSV_BUTTON,
                                                   ids.OV_CSV_BUTTON)} == {Can.READ}
    assert len(server_side) >= 40


def test_an_undeclared_callback_is_refused(app: Any) -> None:
    """A callback registered with plain ``app.callback`` never runs, whoever asks."""
    from dash import Input, Output

    ran = []

    @app.callback(Output("nowhere", "children"), Input("nothing", "value"))
    def undeclared(value):  # noqa: ANN001, ANN202
        ran.append(value)
        return "leaked"

    client = app.server.test_client()
    assert sign_in(client, PEOPLE[Role.ADMIN]).status_code == 302
    payload = {"output": "nowhere.children", "outputs": {"id": "nowhere", "property": "children"},
               "inputs": [{"id": "nothing", "property": "value", "value": 1}], "changedPropIds": ["nothing.value"]}
    assert client.post("/_dash-update-component", json=payload).status_code == 403
    assert ran == []


# --- nobody signed in, bound to a public address -----------------------------------------------


def test_without_a_session_only_the_sign_in_page_healthz_and_static_files_answer(app: Any) -> None:
    client = app.server.test_client()
    client.get("/healthz")
    healthz = client.get("/healthz")
    assert healthz.status_code == 200 and healthz.get_json() == {"ok": True}
    assert client.get("/signin").status_code == 200
    assert client.get("/assets/style.css").status_code == 200
    for path in ("/", "/alerts", "/feedback?from=2026-01-01", "/wall?kiosk=1"):
        page = client.get(path)
        assert page.status_code == 302 and page.headers["Location"].startswith("/signin?next="), path
    for path in ("/api/live", "/api/versions", "/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 401, path
    for output, entry in app.callback_map.items():
        if "callback" not in entry:
            continue
        answer = client.post("/_dash-update-component", json=callback_payload(app, output))
        assert answer.status_code == 401, output
    assert client.post("/unmask", data={"reason": "x" * 20, "minutes": "15"}).status_code == 401


def test_the_app_refuses_to_start_on_a_public_address_without_a_secret_key() -> None:
    with pytest.raises(ConfigError, match="IOC_SECRET_KEY"):
        load_settings({"IOC_HOST": "0.0.0.0"})
    with pytest.raises(ConfigError, match="too short"):
        load_settings({"IOC_HOST": "10.1.2.3", "IOC_SECRET_KEY": "short"})
    assert load_settings({"IOC_HOST": "10.1.2.3", "IOC_SECRET_KEY": SECRET}).require_signin is True
    assert load_settings({}).require_signin is False and load_settings({}).secret_key is None


# --- signing in --------------------------------------------------------------------------------


def test_sign_in_sets_a_signed_httponly_samesite_cookie_and_sign_out_ends_it(app: Any, public: Context) -> None:
    client = app.server.test_client()
    answer = sign_in(client, "Operator-User")  # names are case-insensitive
    assert answer.status_code == 302 and answer.headers["Location"] == "/alerts"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("ioc_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/api/live").status_code == 200
    assert client.get("/alerts").status_code == 200
    page = client.get("/signin").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/signout", data={"csrf": csrf}).status_code == 302
    assert client.get("/api/live").status_code == 401
    actions = [(e.actor, e.action) for e in audit.entries(public.engine)]
    assert ("operator-user", "sign_in") in actions and ("operator-user", "sign_out") in actions


def test_a_forged_or_tampered_cookie_is_nobody(app: Any) -> None:
    client = app.server.test_client()
    sign_in(client, PEOPLE[Role.ADMIN])
    cookie = client.get_cookie("ioc_session")
    client.set_cookie("ioc_session", cookie.value[:-4] + ("AAAA" if not cookie.value.endswith("AAAA") else "BBBB"))
    assert client.get("/api/live").status_code == 401
    from itsdangerous import URLSafeTimedSerializer

    other = app.server.test_client()
    forged = URLSafeTimedSerializer("x" * 48, salt="cookie-session", signer_kwargs={"key_derivation": "hmac",
                                                                                     "digest_method": __import__("hashlib").sha1})
    other.set_cookie("ioc_session", forged.dumps({"uid": 1, "epoch": 0}))
    assert other.get("/api/live").status_code == 401


def test_wrong_passwords_back_off_and_are_recorded(app: Any, public: Context) -> None:
    client = app.server.test_client()
    for _ in range(3):
        answer = sign_in(client, PEOPLE[Role.LEADER], "wrong password!")
        assert answer.status_code == 401
    # Three failures: locked for a while, even with the right password.
    answer = sign_in(client, PEOPLE[Role.LEADER])
    assert answer.status_code == 401 and "try again after" in answer.get_data(as_text=True).replace("Đăng", "")\
        or "thử lại sau" in answer.get_data(as_text=True)
    failed = audit.entries(public.engine, action="sign_in_failed")
    assert len(failed) == 4 and {e.actor for e in failed} == {PEOPLE[Role.LEADER]}
    # An unknown name answers exactly like a wrong password.
    unknown = sign_in(client, "nobody-here", "whatever password")
    assert unknown.status_code == 401
    assert accounts.lock_delay(3) == timedelta(seconds=2) and accounts.lock_delay(20) == accounts.MAX_LOCK


def test_a_form_without_its_csrf_token_is_refused(app: Any) -> None:
    client = app.server.test_client()
    client.get("/signin")
    answer = client.post("/signin", data={"name": PEOPLE[Role.ADMIN], "password": PASSWORD, "csrf": "forged"})
    assert answer.status_code == 400
    assert client.get("/api/live").status_code == 401


def test_sign_in_never_redirects_to_another_site(app: Any) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client = app.server.test_client()
        answer = sign_in(client, PEOPLE[Role.VIEWER], next=target)
        assert answer.status_code == 302 and answer.headers["Location"] == "/", target


def test_disabling_an_account_ends_its_sessions(app: Any, public: Context) -> None:
    client = app.server.test_client()
    sign_in(client, PEOPLE[Role.ANALYST])
    assert client.get("/api/live").status_code == 200
    accounts.disable_user(public.engine, PEOPLE[Role.ANALYST])
    forget_cached()
    assert client.get("/api/live").status_code == 401
    assert sign_in(app.server.test_client(), PEOPLE[Role.ANALYST]).status_code == 401


# --- roles on callbacks ------------------------------------------------------------------------


def test_only_an_operator_acknowledges_and_always_under_the_signed_in_name(app: Any, public: Context) -> None:
    alert_id = an_alert(public)
    for role in (Role.VIEWER, Role.LEADER, Role.ANALYST, Role.ADMIN):
        client = app.server.test_client()
        sign_in(client, PEOPLE[role])
        assert client.post("/_dash-update-component", json=ack_payload(app, alert_id)).status_code == 403, role
    client = app.server.test_client()
    sign_in(client, PEOPLE[Role.OPERATOR])
    payload = ack_payload(app, alert_id, note="đã gọi kỹ thuật")
    answer = client.post("/_dash-update-component", json=payload)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    with public.engine.connect() as conn:
        assert conn.execute(text("SELECT acked_by FROM alert_acks WHERE alert_id = :a"), {"a": alert_id}).scalar() \
            == PEOPLE[Role.OPERATOR]
    [entry] = audit.entries(public.engine, action="acknowledge")
    assert (entry.actor, entry.target, entry.detail) == (PEOPLE[Role.OPERATOR], f"alert {alert_id}",
                                                         {"note": "đã gọi kỹ thuật"})


def test_downloads_by_role_and_every_download_is_recorded(app: Any, public: Context) -> None:
    from callbacks.feedback import RECORD_EXPORTS

    links = page_links(app, public, "feedback")

    def download(role: str, chart: str) -> int:
        """What the page's CSV link of ``chart`` answers a reader of ``role``."""
        client = app.server.test_client()
        sign_in(client, PEOPLE[role])
        href = link_hrefs(client, app, links, "?from=2026-11-01&to=2026-11-30", "vi", {ids.FB_AREA_BY: "commune"})[
            (chart, "csv")]
        assert href == f"/export/feedback/{chart}.csv?from=2026-11-01&to=2026-11-30&area=commune&lang=vi"
        return client.get(href).status_code

    assert "overdue" in RECORD_EXPORTS
    assert download(Role.VIEWER, "category") == 403
    assert download(Role.OPERATOR, "category") == 403
    assert download(Role.LEADER, "category") == 200
    assert download(Role.LEADER, "overdue") == 403  # records: analysts only
    assert download(Role.ANALYST, "overdue") == 200
    entries = audit.entries(public.engine)
    exported = [(e.actor, e.action, e.detail["personal"]) for e in entries if e.action in ("export", "report")]
    assert sorted(exported) == [(PEOPLE[Role.ANALYST], "export", "masked"), (PEOPLE[Role.LEADER], "report", "masked")]
    assert all(e.target.endswith(".csv") and isinstance(e.detail["rows"], int)
               for e in entries if e.action in ("export", "report"))


def test_viewers_do_not_read_source_errors(app: Any, public: Context) -> None:
    runs.register_sources(public.engine, [SRC])
    run_id = runs.start_run(public.engine, SRC.name, "feedback")
    runs.finish_run(public.engine, run_id, "failed", {}, "ConnectError: refused by upstream")
    public_sources = list(public.sources)
    object.__setattr__(public, "sources", (*public_sources, SRC))
    viewer, leader = app.server.test_client(), app.server.test_client()
    sign_in(viewer, PEOPLE[Role.VIEWER])
    sign_in(leader, PEOPLE[Role.LEADER])
    seen_by_viewer = json.dumps(viewer.get("/api/live").get_json())
    seen_by_leader = json.dumps(leader.get("/api/live").get_json())
    assert "refused by upstream" in seen_by_leader and "refused by upstream" not in seen_by_viewer

    # The same on the alerts page and in the CAP feed: the alert is there, its error only for leaders.
    from ioc.alerts import evaluate
    from ioc.store.db import utcnow

    evaluate(public.engine, public.settings, utcnow(), sources=[SRC.name])
    page = callback_payload(app, output_key(app, ids.AL_ACTIVE),
                            inputs=[{"id": ids.AL_VERSION, "property": "data", "value": "x"},
                                    {"id": ids.AL_REFRESH, "property": "data", "value": 0},
                                    {"id": ids.PAGE_LANG, "property": "data", "value": "en"}])
    for path, send in (("/_dash-update-component", lambda c: c.post("/_dash-update-component", json=page)),
                       ("/cap/alerts.xml", lambda c: c.get("/cap/alerts.xml"))):
        by_viewer, by_leader = send(viewer), send(leader)
        assert by_viewer.status_code == by_leader.status_code == 200, path
        assert "hue-open311" in by_viewer.get_data(as_text=True), path
        assert "refused by upstream" in by_leader.get_data(as_text=True), path
        assert "refused by upstream" not in by_viewer.get_data(as_text=True), path


# --- unmasking ---------------------------------------------------------------------------------


def test_only_analysts_unmask_and_only_with_a_reason_which_is_recorded(app: Any, public: Context) -> None:
    leader = app.server.test_client()
    sign_in(leader, PEOPLE[Role.LEADER])
    assert leader.get("/unmask").status_code == 403
    analyst = app.server.test_client()
    sign_in(analyst, PEOPLE[Role.ANALYST])
    page = analyst.get("/unmask?next=/feedback").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    short = analyst.post("/unmask", data={"csrf": csrf, "reason": "why", "minutes": "15", "next": "/feedback"})
    assert short.status_code == 400
    done = analyst.post("/unmask", data={"csrf": csrf, "reason": "Xác minh phản ánh số 123 theo yêu cầu",
                                         "minutes": "15", "next": "/feedback"})
    assert done.status_code == 302 and done.headers["Location"] == "/feedback"
    [entry] = audit.entries(public.engine, action="unmask")
    assert entry.actor == PEOPLE[Role.ANALYST] and entry.detail["reason"].startswith("Xác minh")


# --- wall tokens -------------------------------------------------------------------------------


def test_a_wall_token_signs_a_screen_in_read_only_and_revoking_it_signs_the_screen_out(app: Any, public: Context) -> None:
    token, secret = accounts.add_wall_token(public.engine, "IOC room, screen 3", "admin-user")
    screen = app.server.test_client()
    assert screen.get("/signin/wall?token=wrong").status_code == 401
    answer = screen.get(f"/signin/wall?token={secret}&next=/wall%3Fkiosk%3D1")
    assert answer.status_code == 302 and answer.headers["Location"] == "/wall?kiosk=1"
    assert screen.get("/wall?kiosk=1").status_code == 200 and screen.get("/api/live").status_code == 200
    alert_id = an_alert(public)
    assert screen.post("/_dash-update-component", json=ack_payload(app, alert_id)).status_code == 403
    probe = app.server.test_client()
    assert probe.get("/api/live", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    accounts.revoke_wall_token(public.engine, token.id)
    forget_cached()
    assert screen.get("/api/live").status_code == 401
    assert probe.get("/api/live", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


# --- the embedded default ----------------------------------------------------------------------


def test_on_loopback_anonymous_visitors_are_viewers_but_not_through_a_proxy(tmp_path: Path) -> None:
    from app import create_app

    ctx = make_context(tmp_path)
    app = create_app(ctx)
    client = app.server.test_client()
    assert client.get("/").status_code == 200 and client.get("/api/live").status_code == 200
    alert_id = an_alert(ctx)
    assert client.post("/_dash-update-component", json=ack_payload(app, alert_id)).status_code == 403
    proxied = client.get("/api/live", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 401
    remote = client.get("/api/live", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert remote.status_code == 401


# --- OpenID Connect, against a local provider --------------------------------------------------


def oidc_sign_in(app: Any, provider: Any, next_url: str = "/alerts") -> tuple[FlaskClient, Any]:
    import httpx

    client = app.server.test_client()
    start = client.get(f"/signin/oidc?next={next_url}")
    assert start.status_code == 302 and start.headers["Location"].startswith(f"{provider.issuer}/authorize?")
    approved = httpx.get(start.headers["Location"], follow_redirects=False)
    assert approved.status_code == 302
    back = urlsplit(approved.headers["Location"])
    return client, client.get(f"{back.path}?{back.query}")


def test_openid_connect_sign_in_creates_the_account_with_the_provider_role(tmp_path: Path) -> None:
    from app import create_app
    from tests.integration.oidc_provider import OidcProvider

    with OidcProvider() as provider:
        ctx = make_context(tmp_path, IOC_HOST="0.0.0.0", IOC_SECRET_KEY=SECRET, IOC_OIDC_ISSUER=provider.issuer,
                           IOC_OIDC_CLIENT_ID=provider.client_id, IOC_OIDC_CLIENT_SECRET=provider.client_secret,
                           IOC_OIDC_LABEL="SSO Huế")
        app = create_app(ctx)
        assert "SSO Huế" in app.server.test_client().get("/signin").get_data(as_text=True)
        client, answer = oidc_sign_in(app, provider)
        assert answer.status_code == 302 and answer.headers["Location"] == "/alerts"
        assert client.get("/api/live").status_code == 200
        user = accounts.get_user(ctx.engine, "lan.nguyen")
        assert (user.role, user.display_name, user.has_password) == ("operator", "Nguyễn Thị Lan", False)
        assert user.oidc_subject == f"{provider.issuer}|u-001"
        alert_id = an_alert(ctx)
        assert client.post("/_dash-update-component", json=ack_payload(app, alert_id)).status_code == 200
        with ctx.engine.connect() as conn:
            assert conn.execute(text("SELECT acked_by FROM alert_acks")).scalar() == "lan.nguyen"
        [signed] = audit.entries(ctx.engine, action="sign_in")
        assert signed.detail["method"] == "oidc"

        # The provider's role claim is followed at the next sign-in; a claim naming no role keeps it.
        provider.claims["ioc_role"] = ["viewer", "leader"]
        oidc_sign_in(app, provider)
        assert accounts.get_user(ctx.engine, "lan.nguyen").role == "leader"
        provider.claims["ioc_role"] = "superuser"
        oidc_sign_in(app, provider)
        assert accounts.get_user(ctx.engine, "lan.nguyen").role == "leader"

        # A disabled account cannot come back through the provider either.
        accounts.disable_user(ctx.engine, "lan.nguyen")
        _client, refused = oidc_sign_in(app, provider)
        assert refused.status_code == 403


@pytest.mark.parametrize("tamper", ["nonce", "audience"])
def test_an_id_token_with_a_wrong_nonce_or_audience_is_refused(tmp_path: Path, tamper: str) -> None:
    from app import create_app
    from tests.integration.oidc_provider import OidcProvider

    with OidcProvider() as provider:
        ctx = make_context(tmp_path, IOC_HOST="0.0.0.0", IOC_SECRET_KEY=SECRET, IOC_OIDC_ISSUER=provider.issuer,
                           IOC_OIDC_CLIENT_ID=provider.client_id, IOC_OIDC_CLIENT_SECRET=provider.client_secret)
        app = create_app(ctx)
        provider.tamper = tamper
        client, answer = oidc_sign_in(app, provider)
        assert answer.status_code == 401 and provider.token_requests == 1
        assert client.get("/api/live").status_code == 401
        assert accounts.list_users(ctx.engine) == []
        [failed] = audit.entries(ctx.engine, action="sign_in_failed")
        assert failed.actor == "oidc:?"


def test_the_audit_retention_job_deletes_old_entries_once_and_records_it(tmp_path: Path) -> None:
    from ioc.scheduler import prune_audit
    from ioc.store.db import utcnow

    ctx = make_context(tmp_path, IOC_AUDIT_RETENTION_DAYS="30")
    audit.record(ctx.engine, "old-user", "sign_in", at=utcnow() - timedelta(days=31))
    audit.record(ctx.engine, "new-user", "sign_in", at=utcnow() - timedelta(days=29))
    assert prune_audit(ctx) == "ok"
    assert prune_audit(ctx) == "locked"  # not due again for a day
    kept = audit.entries(ctx.engine)
    assert [e.actor for e in kept if e.action == "sign_in"] == ["new-user"]
    [pruned] = [e for e in kept if e.action == "audit_prune"]
    assert pruned.detail["deleted"] == 1 and pruned.detail["retention_days"] == 30
    with ctx.engine.begin() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("UPDATE audit_log SET actor = 'someone else'"))


def test_the_audit_log_refuses_updates_on_both_databases(engine) -> None:  # noqa: ANN001
    audit.record(engine, "operator-user", "acknowledge", target="alert 1")
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone else'"))
    [entry] = audit.entries(engine)
    assert entry.actor == "operator-user"


def test_a_new_or_changed_source_is_recorded_without_its_secrets(engine) -> None:  # noqa: ANN001
    from dataclasses import replace

    spec = SourceSpec(name="hue-311", type="open311", family="feedback", every_seconds=60,
                      url="https://user:pw@open311.hue.gov.vn/v2", options={"api_key": "K3Y-S3CR3T"})
    runs.register_sources(engine, [spec])
    runs.register_sources(engine, [spec])  # every process registers at start: no change, no entry
    runs.register_sources(engine, [replace(spec, every_seconds=120)])
    changes = audit.entries(engine, action="source_change")
    assert [e.target for e in changes] == ["source hue-311", "source hue-311"]
    newest, first = changes
    assert first.detail["before"] is None and newest.detail["before"]["every_seconds"] == 60
    assert newest.detail["after"]["every_seconds"] == 120
    stored = json.dumps([e.as_json() for e in changes])
    assert "K3Y-S3CR3T" not in stored and "pw@" not in stored


# --- personal data by role ---------------------------------------------------------------------


def test_personal_data_by_role_hidden_masked_or_clear_with_a_reason(app: Any, public: Context) -> None:
    """The feedback map data (popups) and the overdue list as each role gets them through the
    page's data functions; the analyst sees the text in clear only after unmasking with a reason."""
    import flask

    from callbacks import feedback_data
    from callbacks.access import Principal
    from ioc.kpi.filters import Selection
    from ioc.kpi.periods import Period
    from tests.integration.test_privacy_boundary import ADDRESS, DESCRIPTION, PERIOD, put_report

    put_report(public.engine)
    query = Selection(Period(PERIOD.start, PERIOD.end))
    future = public_now() + timedelta(minutes=15)

    def seen(role: str, unmasked: bool = False) -> tuple[str, str]:
        with app.server.test_request_context("/feedback"):
            flask.g.ioc_principal = Principal(role, f"{role}-user", role, user_id=1,
                                              unmask_reason="kiểm tra phản ánh" if unmasked else None,
                                              unmask_until=future if unmasked else None)
            frame, _total = feedback_data.map_data(public, query)
            [row] = frame.to_dict("records")
            return row["description"], row["address"]

    assert seen(Role.VIEWER) == ("", "")
    assert seen(Role.WALL) == ("", "")
    masked = seen(Role.OPERATOR)
    assert "090* *** ***" in masked[0] and "0905 123 456" not in masked[0] and "123 456" not in masked[1]
    assert seen(Role.LEADER) == masked == seen(Role.ADMIN) == seen(Role.ANALYST)
    assert seen(Role.ANALYST, unmasked=True) == (DESCRIPTION, ADDRESS)
    assert seen(Role.LEADER, unmasked=True) == masked  # only analysts may unmask
    assert seen(Role.VIEWER) == ("", "")  # the cached clear copy never reaches another role


def public_now() -> Any:
    from ioc.store.db import utcnow

    return utcnow()


def test_exports_compared_across_roles(app: Any, public: Context) -> None:
    """The overdue list's CSV: masked for an analyst, in clear after unmasking with a reason (and
    the download recorded with it); a leader may not download it at all."""
    from tests.integration.test_privacy_boundary import put_report

    put_report(public.engine)

    links = page_links(app, public, "feedback", "en")

    def overdue_csv(client: FlaskClient) -> tuple[int, str]:
        """The page's link to the overdue list's CSV, followed by ``client``."""
        href = link_hrefs(client, app, links, "", "en", {ids.FB_AREA_BY: "commune"})[("overdue", "csv")]
        assert href == "/export/feedback/overdue.csv?area=commune&lang=en"
        answer = client.get(href)
        if answer.status_code != 200:
            return answer.status_code, ""
        return 200, answer.get_data(as_text=True)

    leader, analyst = app.server.test_client(), app.server.test_client()
    sign_in(leader, PEOPLE[Role.LEADER])
    sign_in(analyst, PEOPLE[Role.ANALYST])
    assert overdue_csv(leader) == (403, "")
    status, masked = overdue_csv(analyst)
    assert status == 200 and "090* *** ***" in masked and "0905 123 456" not in masked
    page = analyst.get("/unmask?next=/feedback").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    analyst.post("/unmask", data={"csrf": csrf, "reason": "Xác minh phản ánh fb-1 theo công văn 12", "minutes": "15"})
    status, clear = overdue_csv(analyst)
    assert status == 200 and "0905 123 456" in clear
    exports = audit.entries(public.engine, action="export")
    assert [(e.detail["personal"], e.detail.get("reason")) for e in exports] == [
        ("clear", "Xác minh phản ánh fb-1 theo công văn 12"), ("masked", None)]


def test_python_app_py_on_a_public_address_without_a_key_stops_with_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(IOC_HOST="0.0.0.0", IOC_DATABASE_URL=f"sqlite:///{tmp_path / 'store.db'}")
    proc = subprocess.run([sys.executable, "app.py"], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: IOC_HOST='0.0.0.0' is not a loopback address: set IOC_SECRET_KEY")
    assert len(proc.stderr.strip().splitlines()) == 1
