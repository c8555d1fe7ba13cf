"""The pages' export links: each panel's CSV link (and a chart's PNG and XLSX links,
:func:`layouts.components.chart_links`) points at its URL, ``/export/<page>/<panel>.<format>``
(:mod:`callbacks.export_routes`), with the page's current filters and language.

The filters are the page's own query string (its ``dcc.Location``, which the filter bar keeps in
sync), so the file holds what the page shows. A view setting that is not in the page's URL (the
feedback page's "by area" grouping, the admin page's queue) is read from its control. The route
checks who may download and records it; the links only say where.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import dash
from dash import ALL, Input, Output

from callbacks import access
from callbacks.common import page_lang
from callbacks.export_routes import FORMATS, Choice
from ioc.access import Can
from ioc.context import Context
from layouts import ids

#: longest query string taken from the page's URL (a longer one is not a page's own)
MAX_SEARCH = 4000


def export_query(search: Any, lang: str, settings: Mapping[Choice, Any] | None = None) -> str:
    """The export URL's query string (no ``?``): the page's ``search`` (``?from=…&district=…``)
    without its ``lang``, each view setting's value (``area=district``; one its choice does not
    know is left out: the route would refuse it), then ``lang``."""
    pairs = parse_qsl(search.lstrip("?")[:MAX_SEARCH]) if isinstance(search, str) else []
    own = {"lang", *(c.name for c in settings or {})}
    kept = [(k, v) for k, v in pairs if k not in own]
    kept += [(c.name, v) for c, v in (settings or {}).items() if isinstance(v, str) and v in c.choices]
    return urlencode([*kept, ("lang", lang)])


def link_href(prefix: str, link_id: Any, query: str, panels: Collection[str], charts: Collection[str]) -> str | None:
    """The address of the link ``link_id`` (``{"type": …, "chart": panel, "format": fmt}``) under
    ``prefix`` (``/export/<page>/``), or ``None`` for an id naming no panel or format of the page
    (a PNG only for a chart)."""
    if not isinstance(link_id, Mapping):
        return None
    panel, fmt = link_id.get("chart"), link_id.get("format")
    if not isinstance(panel, str) or panel not in panels or fmt not in FORMATS or (fmt == "png" and panel not in charts):
        return None
    return f"{prefix}{quote(panel, safe='')}.{fmt}?{query}"


def register_export_links(app: dash.Dash, ctx: Context, page: str, link_type: str, location: str,
                          panels: Collection[str], charts: Collection[str],
                          settings: Sequence[tuple[Choice, str]] = ()) -> None:
    """Keep the ``href`` of every export link of type ``link_type`` on page ``page`` in step with
    the page's URL (``location``: its ``dcc.Location``), its language and each view setting
    (a :class:`Choice` and the id of the control whose ``value`` it is)."""
    prefix = app.get_relative_path(f"/export/{quote(page, safe='')}/")
    choices = [choice for choice, _control in settings]

    @access.callback(app, Can.READ, Output(ids.export_link(ALL, ALL, link_type), "href"),
                     Input(location, "search"), Input(ids.PAGE_LANG, "data"),
                     *(Input(control, "value") for _choice, control in settings))
    def export_hrefs(search: Any, lang: Any, *values: Any) -> list[str | None]:
        query = export_query(search, page_lang(ctx, lang), dict(zip(choices, values, strict=True)))
        outputs = dash.ctx.outputs_list
        return [link_href(prefix, o.get("id") if isinstance(o, dict) else None, query, panels, charts)
                for o in (outputs if isinstance(outputs, list) else [])]
