"""The Content-Security-Policy in headless Chromium (issue #12): every page of the dashboard,
its charts, maps, grids and map popups drawn, with no policy violation reported by the browser.

The policy (ioc/web_security.py) allows scripts from the dashboard only plus the hashed inline
scripts Dash writes; a chart library or a map that needed more would show here as a
``securitypolicyviolation`` event (collected in the page) and a console error (the ``console``
fixture fails the test on it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from ioc.registry import registry
from tests.browser.harness import WALL, ConsoleLog, RunningApp

# What shows that a page has drawn its widgets (the last to load on it): plots, map markers, grid rows.
DRAWN = {
    "/": [".js-plotly-plot .main-svg", ".family-card .tile[data-value]"],
    "/wall": [".tile[data-value]", "#wall-stage .stage-level"],
    "/feedback": [".js-plotly-plot .main-svg", ".leaflet-interactive", ".ag-row"],
    "/traffic": [".js-plotly-plot .main-svg", ".leaflet-interactive", ".ag-row"],
    "/environment": [".js-plotly-plot .main-svg", ".leaflet-interactive"],
    "/admin": [".js-plotly-plot .main-svg", ".leaflet-container"],
    "/alerts": ["#al-active"],
    "/audit": [".page-audit .banner-error"],  # an anonymous viewer is refused: the refusal is the page
    "/search": [".search-note .banner"],  # an empty box: the hint under it
    "/warnings": ["#wn-tiles .tile[data-value]", ".leaflet-container", ".ag-header-cell"],
    "/flood": ["#fl-tiles .tile[data-value]", ".js-plotly-plot .main-svg", ".leaflet-container", ".ag-row"],
    # an anonymous viewer gets the fleet's counts, never a vessel's position or row
    "/vessels": ["#vs-tiles .tile[data-value]", ".leaflet-container"],
    "/scorecard": [".sc-table .sc-row", ".sc-spark"],  # the KPIs' rows and their trend lines
    "/cameras": ["#cam-tiles .tile[data-value]", ".js-plotly-plot .main-svg", ".leaflet-container", ".ag-header-cell"],
}
# The systems declared by spec files: their tiles, charts, grids and map, as their panels say (the
# map's container: the simulated history of these systems is still being written in the background).
for _family in registry().families:
    if _family.spec is not None:
        _spec = _family.spec
        DRAWN[f"/{_spec.code}"] = (
            [f"#sys-{_spec.code}-tiles .tile[data-value]", ".js-plotly-plot .main-svg"]
            + ([".sys-ind-table"] if _spec.kind == "indicator" else
               ([".ag-header-cell"] if {"latest", "by_unit"} & set(_spec.panels) else [])
               + ([".leaflet-container"] if "map" in _spec.panels else [])))
# Maps whose markers open a popup (HTML with inline styles, built by the server).
POPUPS = ("/feedback", "/traffic")
COLLECT = """document.addEventListener('securitypolicyviolation', e => {
    (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});"""


@pytest.fixture
def strict_page(browser: Browser, console: ConsoleLog) -> Iterator[Page]:
    """A page that obeys the policy (the shared ``page`` fixture bypasses it for Playwright's own
    string predicates, which this test does not use)."""
    context = browser.new_context(viewport=WALL, timezone_id="UTC", locale="en-US")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    console.attach(tab)
    try:
        yield tab
    finally:
        context.close()


def page_paths() -> list[str]:
    return [p.path for p in registry().pages]


def test_every_registered_page_is_covered() -> None:
    assert set(page_paths()) <= set(DRAWN), "a new page: say what shows it has drawn"


@pytest.mark.parametrize("path", sorted(DRAWN))
def test_the_page_draws_with_no_policy_violation(strict_page: Page, app: RunningApp, console: ConsoleLog,
                                                 path: str) -> None:
    page = strict_page
    page.add_init_script(COLLECT)
    response = page.goto(app.url(path))
    assert response is not None and response.ok
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self' 'sha256-" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    for selector in DRAWN[path]:
        expect(page.locator(selector).first).to_be_attached(timeout=45_000)
    if path in POPUPS:
        # The first marker may sit under another or be redrawn by a live update: try a few.
        popup, markers = page.locator(".leaflet-popup-content").first, page.locator(".leaflet-interactive")
        for i in range(min(5, markers.count())):
            markers.nth(i).click(force=True)
            try:
                expect(popup).to_be_visible(timeout=8_000)
                break
            except AssertionError:
                continue
        expect(popup).to_be_visible(timeout=20_000)
    assert page.evaluate("window.__csp || []") == []
    console.assert_clean()
