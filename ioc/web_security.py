"""What every HTTP answer of the dashboard carries, and what no request may send (issue #12).

- **A request body limit** (``IOC_MAX_REQUEST_BYTES``, default 1 MB): a larger body is refused
  with 413 before it is read, whether it announces its length (``Content-Length``) or streams
  it (Flask's ``MAX_CONTENT_LENGTH`` stops the read). The largest legitimate body is a Dash
  callback's: the filter values and the language, a few kilobytes.
- **Security headers** on every response, pages, callbacks, assets, JSON and errors alike:

  * ``Content-Security-Policy``: everything from this origin only; scripts from this origin
    plus the hashes of the few inline scripts Dash writes into the page (its renderer start and
    the clientside callbacks given as strings, :meth:`dash.Dash.csp_hashes`); map tiles also
    from the tile server's host when ``IOC_TILE_URL`` points elsewhere; ``frame-ancestors
    'none'`` (no page of the IOC inside another site's frame);
  * ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (the filters in our
    URLs never leave for another site), ``X-Frame-Options: DENY`` (``frame-ancestors`` for
    browsers that predate it).

Registered by :func:`app.create_app` once every callback is registered (the hashes cover the
clientside callbacks' inline code). A layer of the web server only: nothing here queries data.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import dash
import flask
from werkzeug.exceptions import RequestEntityTooLarge

# 'unsafe-inline' styles, and only styles: the pages' component libraries inject <style>
# elements at run time whose text varies (so no list of hashes covers them), and popups carry
# `style` attributes. Measured in Chromium with style-src 'self' alone: dozens of "Applying
# inline style violates style-src" errors (style-src-elem) on the family pages and /alerts;
# tests/browser/test_security.py checks every page is clean with this policy. Inline *scripts*
# stay refused but for the hashed ones Dash writes, and no 'unsafe-eval' is needed: the same
# pages render without it.
STYLE_SRC = ("'self'", "'unsafe-inline'")
# data: images: AG Grid draws its icons (sort arrows, menus) as SVG data URLs; without it Chromium
# reports img-src violations on the pages with grids. Fonts need no data: (none loads one).
IMG_SRC = ("'self'", "data:")
REFERRER_POLICY = "same-origin"


def tile_source(url: str) -> str | None:
    """The CSP source that lets the browser load tiles from ``url`` (an ``IOC_TILE_URL`` template
    such as ``https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png``), or ``None`` for tiles served
    by the dashboard itself (a path). A host label holding a placeholder becomes the ``*`` a CSP
    host may start with (``https://*.tile.openstreetmap.org``)."""
    if not url or url.startswith("/") and not url.startswith("//"):
        return None
    parts = urlsplit(url if "://" in url or url.startswith("//") else f"https://{url}")
    host = parts.netloc.rsplit("@", 1)[-1]  # never userinfo in a policy
    if not host:
        raise ValueError(f"IOC_TILE_URL={url!r}: no host to allow in the Content-Security-Policy")
    labels = host.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label or "}" in label]
    if templated:
        rest = labels[templated[-1] + 1:]
        if len(rest) < 2:  # "*.org" or "*" would allow far too much
            raise ValueError(f"IOC_TILE_URL={url!r}: the placeholder in the host leaves no domain to allow")
        host = "*." + ".".join(rest)
    if not re.fullmatch(r"[A-Za-z0-9*.\-]+(:\d+)?", host):
        raise ValueError(f"IOC_TILE_URL={url!r}: host {host!r} cannot be written into a Content-Security-Policy")
    scheme = parts.scheme or "https"
    return f"{scheme}://{host}" if parts.scheme else f"https://{host}"


def content_security_policy(script_hashes: Iterable[str], tile_url: str = "") -> str:
    """The policy for every response: this origin only, the inline scripts Dash writes by their
    hashes, the tile server's host for images (see :func:`tile_source`)."""
    tiles = tile_source(tile_url)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": list(STYLE_SRC),
        "img-src": [*IMG_SRC, *([tiles] if tiles else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _read_streamed_body(environ: dict, limit: int) -> None:
    """A body sent without a length (chunked): read at most ``limit + 1`` bytes now and refuse it
    with 413 if there are more. Werkzeug alone would silently cut it at ``MAX_CONTENT_LENGTH``
    and the callback would fail on half a JSON document (400); the bytes read are handed on
    with their length."""
    body = environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge(f"the request body is over the limit of {limit} bytes (IOC_MAX_REQUEST_BYTES)")
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def register(app: dash.Dash, max_request_bytes: int, tile_url: str) -> None:
    """Install the body limit and the headers on ``app``'s server.

    The policy is computed at the first request, after Dash's own first-request set-up: Dash
    registers a clientside callback of its own there (the pages' ``document.title``), whose
    inline script must be hashed too. The tile host is checked now, so a bad ``IOC_TILE_URL``
    stops the start, not the first page."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = max_request_bytes
    tile_source(tile_url)
    fixed = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": REFERRER_POLICY,
        "X-Frame-Options": "DENY",
    }
    policy: list[str] = []  # computed once; the same string for every later response

    @server.before_request
    def refuse_large_bodies() -> None:
        # A route that never reads its body (a page, /healthz) would otherwise accept any size.
        length = flask.request.content_length
        if length is not None and length > max_request_bytes:
            raise RequestEntityTooLarge(f"the request body ({length} bytes) is over the limit of "
                                        f"{max_request_bytes} bytes (IOC_MAX_REQUEST_BYTES)")
        if length is None and flask.request.environ.get("wsgi.input_terminated"):
            _read_streamed_body(flask.request.environ, max_request_bytes)

    @server.after_request
    def security_headers(response: flask.Response) -> flask.Response:
        if not policy:
            policy.append(content_security_policy(dict.fromkeys(app.csp_hashes()), tile_url))
        response.headers.setdefault("Content-Security-Policy", policy[0])
        for name, value in fixed.items():
            response.headers.setdefault(name, value)
        return response
