"""The web server's hardening (ioc/web_security.py, issue #12), through Flask's test client on
the real app: security headers on every kind of answer, a policy whose hashes cover every inline
script the page carries, and the request body limit (413) that leaves Dash callbacks working."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import re
from pathlib import Path

import pytest

from ioc.config import load_settings
from ioc.context import Context, build_context
from layouts import ids

LIMIT = 4096


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    path: Path = tmp_path_factory.mktemp("web") / "store.sqlite"
    return build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}",
                                        "IOC_MAX_REQUEST_BYTES": str(LIMIT)}))


@pytest.fixture(scope="module")
def client(ctx: Context):  # noqa: ANN201
    from app import create_app

    return create_app(ctx).server.test_client()


def callback_body(lang: str = "vi", padding: int = 0) -> dict:
    """A real callback of the app (the communes' names on the traffic map), as the browser
    posts it; ``padding``: extra characters in a field Dash ignores."""
    body = {"output": f"{ids.TR_MAP_UNITS}.data", "outputs": {"id": ids.TR_MAP_UNITS, "property": "data"},
            "inputs": [{"id": ids.PAGE_LANG, "property": "data", "value": lang}],
            "changedPropIds": [f"{ids.PAGE_LANG}.data"], "state": []}
    if padding:
        body["padding"] = "x" * padding
    return body


def directives(policy: str) -> dict[str, list[str]]:
    return {name: rest for name, *rest in (d.split() for d in policy.split(";") if d.strip())}


def assert_hardened(response) -> None:  # noqa: ANN001
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/wall", "/traffic", "/_dash-layout", "/_dash-dependencies", "/api/live",
                                  "/api/versions", "/healthz", "/assets/style.css", "/no-such-thing"])
def test_every_answer_carries_the_security_headers(client, path: str) -> None:  # noqa: ANN001
    response = client.get(path)
    assert response.status_code in (200, 404), (path, response.status_code)
    assert_hardened(response)


def test_the_policy_hashes_every_inline_script_of_the_page_and_nothing_runs_without(client) -> None:  # noqa: ANN001
    response = client.get("/")
    html = response.get_data(as_text=True)
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)  # the IE warning sits in a conditional comment
    allowed = set(directives(response.headers["Content-Security-Policy"])["script-src"])
    inline = [body for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
              if "src=" not in attrs and "application/json" not in attrs]
    # the renderer's start, the app's clientside callbacks, Dash's own (the pages' title)
    assert len(inline) >= 3
    assert any("document.title" in body for body in inline)
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, body[:200]
    # a script the app did not write has no hash in the policy
    stray = base64.b64encode(hashlib.sha256(b"alert(1)").digest()).decode()
    assert f"'sha256-{stray}'" not in allowed


def test_a_callback_under_the_limit_answers(client) -> None:  # noqa: ANN001
    response = client.post("/_dash-update-component", json=callback_body("vi", padding=LIMIT // 2))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["response"][ids.TR_MAP_UNITS]["data"]["type"] == "FeatureCollection"
    assert_hardened(response)


@pytest.mark.parametrize("path", ["/_dash-update-component", "/", "/api/live", "/healthz"])
def test_a_body_over_the_limit_is_refused_with_413(client, path: str) -> None:  # noqa: ANN001
    response = client.post(path, data=json.dumps(callback_body(padding=LIMIT)),
                           content_type="application/json")
    assert response.status_code == 413
    assert_hardened(response)


def test_a_body_without_a_length_is_cut_at_the_limit(client) -> None:  # noqa: ANN001
    """A streamed body (no Content-Length, as gunicorn hands on a chunked one) is refused with 413
    past the limit, and one under it reaches the callback whole."""

    def post(body: bytes):  # noqa: ANN202
        return client.post("/_dash-update-component", input_stream=io.BytesIO(body), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})

    assert post(json.dumps(callback_body(padding=LIMIT * 4)).encode()).status_code == 413
    small = post(json.dumps(callback_body("en")).encode())
    assert small.status_code == 200 and small.get_json()["response"][ids.TR_MAP_UNITS]["data"]["features"]


def test_the_default_limit_is_one_megabyte() -> None:
    assert load_settings({}).max_request_bytes == 1024 * 1024
    assert load_settings({"IOC_MAX_REQUEST_BYTES": "20000"}).max_request_bytes == 20000


def test_a_tile_server_elsewhere_is_allowed_for_images_only(ctx: Context) -> None:
    from app import create_app

    tiled = dataclasses.replace(ctx, settings=dataclasses.replace(
        ctx.settings, tile_url="https://tiles-{s}.maps.hue.gov.vn:8443/osm/{z}/{x}/{y}.png"))
    policy = directives(create_app(tiled).server.test_client().get("/").headers["Content-Security-Policy"])
    assert policy["img-src"] == ["'self'", "data:", "https://*.maps.hue.gov.vn:8443"]
    assert policy["connect-src"] == ["'self'"] and policy["default-src"] == ["'self'"]
