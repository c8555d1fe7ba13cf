"""The Content-Security-Policy's pieces (ioc/web_security.py): the tile server's host as a CSP
source, and the policy's directives."""

from __future__ import annotations

import pytest

from ioc.web_security import content_security_policy, tile_source


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png", "http://10.0.0.5:8080"),
        ("https://tiles-{s}.maps.hue.gov.vn:8443/{z}/{x}/{y}", "https://*.maps.hue.gov.vn:8443"),
        ("https://user:secret@tiles.example.vn/{z}/{x}/{y}.png", "https://tiles.example.vn"),  # never userinfo
        ("//tiles.example.vn/{z}/{x}/{y}.png", "https://tiles.example.vn"),
        ("/tiles/{z}/{x}/{y}.png", None),    # served by the dashboard: 'self'
        ("", None),
    ],
)
def test_tile_source(url: str, source: str | None) -> None:
    assert tile_source(url) == source


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://{s}.org/{z}/{x}/{y}.png", "leaves no domain"),
        ("https://{s}/{z}/{x}/{y}.png", "leaves no domain"),
        ("https://tiles.example.vn;script-src *", "cannot be written"),
        ("https:///{z}/{x}/{y}.png", "no host"),
    ],
)
def test_a_tile_url_that_cannot_be_allowed_is_named(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match="IOC_TILE_URL") as info:
        tile_source(url)
    assert problem in str(info.value)


def test_the_policy() -> None:
    policy = content_security_policy(["'sha256-abc='", "'sha256-def='"],
                                     "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert policy == ("default-src 'self'; script-src 'self' 'sha256-abc=' 'sha256-def='; "
                      "style-src 'self' 'unsafe-inline'; img-src 'self' data: https://*.tile.openstreetmap.org; "
                      "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
                      "frame-ancestors 'none'")
    assert "img-src 'self' data:;" in content_security_policy([], "/tiles/{z}/{x}/{y}.png")
