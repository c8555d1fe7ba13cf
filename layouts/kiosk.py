"""Kiosk layouts: a page's most important panels on one screen, for a wall.

Kiosk mode is the browser's choice (``?kiosk=1``, a wall's rotation; assets/ioc.js sets
``html.kiosk``), so the server builds one layout for both modes: :func:`arrange` marks in it the
panels its declaration keeps (:attr:`ioc.family.Family.kiosk_panels`,
:attr:`ioc.family.Page.kiosk_panels`) and adds a title line, and assets/wall.css lays them out
under ``html.kiosk``:

- the page becomes a grid as high as the screen: the title line, then the strips (a kept panel
  that no card holds, such as the tiles' row or a status line, or a card holding a tiles' row),
  each across the whole width and as tall as its content, then the cards in equal cells
  (:func:`grid_tracks`), each group in the page's order;
- the containers between the page and a kept panel give their place to their children
  (``display: contents``), so a panel is a cell of that grid wherever the page put it;
- everything else on the way (filters, titles, tables, the panels not kept) is hidden.

The marks are ``data-kiosk`` attributes (``page``, ``path``, ``strip``, ``cell``), not classes,
which the pages' callbacks rewrite (a stage's level, a tile's state). Outside kiosk mode they
change nothing: the page is the same, and scrolls.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from dash import html
from dash.development.base_component import Component

log = logging.getLogger(__name__)

MARK = "data-kiosk"  # the attribute assets/wall.css lays kiosk pages out by
HEAD, TITLE = "kiosk-head", "kiosk-title"


def _classes(component: Component) -> list[str]:
    return str(getattr(component, "className", None) or "").split()


def _children(component: Component) -> list[Component]:
    kids = getattr(component, "children", None)
    kids = kids if isinstance(kids, list | tuple) else [kids]
    return [k for k in kids if isinstance(k, Component)]


def _descendants(component: Component) -> list[Component]:
    out = []
    for child in _children(component):
        out += [child, *_descendants(child)]
    return out


def _mark(component: Component, value: str) -> bool:
    """Set ``data-kiosk`` on an html component (others drop data attributes); False if it cannot."""
    if "data-" not in getattr(component, "_valid_wildcard_attributes", ()):
        return False
    setattr(component, MARK, value)
    return True


def path_to(root: Component, component_id: str) -> list[Component] | None:
    """The components from ``root`` down to the one whose id is ``component_id`` (both
    included), or None when there is none."""
    if getattr(root, "id", None) == component_id:
        return [root]
    for child in _children(root):
        found = path_to(child, component_id)
        if found is not None:
            return [root, *found]
    return None


def panel_of(path: Sequence[Component]) -> int:
    """Where the panel is on ``path`` (from the page down to a named component): the nearest
    card (class ``card``) holding the component, else the component itself."""
    return next((i for i in range(len(path) - 1, 0, -1) if "card" in _classes(path[i])), len(path) - 1)


def is_strip(panel: Component) -> bool:
    """Whether a kept panel runs across the page: it is no card (the tiles' row, a status line),
    or a card holding a tiles' row (the Overview's first family)."""
    if "card" not in _classes(panel):
        return True
    return any("tiles" in _classes(c) for c in _descendants(panel))


def grid_tracks(cells: int, strips: int) -> dict[str, str]:
    """The kiosk grid, as CSS variables: the title line and ``strips`` strips, each as tall as its
    content, then ``cells`` cells sharing the rest of the height, in one row of up to three
    columns, else as square as can be and wider than tall (4 → 2×2, 5 or 6 → 3×2)."""
    cols = cells if cells <= 3 else math.ceil(math.sqrt(cells))
    rows = math.ceil(cells / cols) if cells else 0
    heads = " ".join(["auto"] * (1 + strips))
    return {"--kiosk-cols": f"repeat({max(cols, 1)}, minmax(0, 1fr))",
            "--kiosk-rows": f"{heads} repeat({rows}, minmax(0, 1fr))" if rows else heads}


def arrange(page: Any, panels: Sequence[str], title: str) -> Any:
    """Mark on ``page`` (a layout root) the ``panels`` kept in kiosk mode, named by the id of a
    component in each (:func:`panel_of`), add the kiosk title line (``title``, shown in kiosk
    mode only) and the grid's tracks; returns ``page`` (changed in place). A name that no
    component of the page has is skipped and logged (a layout that changed under its
    declaration); a page with none of its panels, or that is no component, is left as it is."""
    if not panels or not isinstance(page, html.Div):
        return page
    strips = cells = 0
    for name in panels:
        path = path_to(page, name)
        if path is None or len(path) < 2:
            log.warning("kiosk: no component %r on the page %s", name, " ".join(_classes(page)))
            continue
        at = panel_of(path)
        strip = is_strip(path[at])
        if not _mark(path[at], "strip" if strip else "cell"):
            log.warning("kiosk: %r is no html component: it cannot be kept", name)
            continue
        for node in path[1:at]:
            _mark(node, "path")
        strips, cells = strips + strip, cells + (not strip)
    if not strips + cells:
        return page
    _mark(page, "page")
    page.style = {**(getattr(page, "style", None) or {}), **grid_tracks(cells, strips)}
    children = page.children if isinstance(page.children, list | tuple) else [page.children]
    page.children = [html.Div(html.H1(title, className=TITLE), className=HEAD), *children]
    return page
