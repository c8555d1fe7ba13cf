"""The filter bar's callbacks, written once and registered for every family from its
:class:`~layouts.controls.FilterBar` declaration: presets ⇄ dates (and reset), controls → URL,
the exports of a page's panels (:func:`register_download`). Each decorated callback only unpacks
its arguments and delegates to :mod:`callbacks.filter_state` (tested directly).

Control ids stay plain strings (``fb-district``, ``tr-type``…: the pages look the same and the
browser tests find them); the export links are pattern-matching ids (``{"type": …, "chart": ALL,
"format": ALL}``), one callback per page writing all their addresses.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import dash
from dash import Input, Output, State
from dash import ctx as dash_ctx

from callbacks import access
from callbacks.common import local_today, page_lang
from callbacks.export_links import register_export_links
from callbacks.export_routes import Choice, PanelUrls, declare
from callbacks.filter_state import period_sync, selection_from_controls, url_and_banner
from ioc.access import Can
from ioc.context import Context
from ioc.kpi.filters import Selection
from layouts import ids
from layouts.controls import FilterBar
from layouts.export_cells import tidy_export

# (key, lang, *states) → (frame, filename): a family's export of chart ``key``
Export = Callable[..., tuple[Any, str]]
# context → by filter name, codes known only from the store (e.g. the categories of stored reports)
KnownFromStore = Callable[[Context], dict[str, tuple[str, ...]]]
_from_store: dict[str, KnownFromStore] = {}


def known_codes(bar: FilterBar, ctx: Context) -> dict[str, tuple[str, ...]]:
    """The codes each of ``bar``'s filters accepts: its static ones and those its family reads
    from the store (:func:`register_filter_bar`'s ``known``)."""
    extra = _from_store.get(bar.family)
    return {**bar.known, **(extra(ctx) if extra else {})}


def control_inputs(bar: FilterBar, kind: type = Input) -> list:
    """The bar's dates and controls as callback inputs (or ``State``), in declaration order."""
    return [kind(bar.id("dates"), "start_date"), kind(bar.id("dates"), "end_date"),
            *(kind(i, "value") for i in bar.control_ids)]


def bar_selection(bar: FilterBar, ctx: Context, start: str | None, last_day: str | None,
                  *values: str | None) -> Selection:
    """The bar's controls (dates, then its filters in declaration order) as a validated
    selection; "today" is the local date of ``ctx``. A family binds its bar:
    ``query_from_controls = partial(bar_selection, BAR)``."""
    return selection_from_controls(bar.filters, local_today(ctx), start, last_day, *values,
                                   known=known_codes(bar, ctx))


def register_filter_bar(app: dash.Dash, ctx: Context, bar: FilterBar, version: str | None = None,
                        known: KnownFromStore | None = None) -> None:
    """Presets ⇄ dates ⇄ reset, and controls → URL, for ``bar``. ``version``: the store of the
    family's data version, when a rolling preset should roll over at local midnight; ``known``:
    the codes some filters accept that only the store knows (read per call, cached by the caller)."""
    if known is not None:
        _from_store[bar.family] = known
    n_values = len(bar.control_ids)
    triggers = {bar.id("preset"): "preset", bar.id("dates"): "dates", bar.id("reset"): "reset"}
    if version:
        triggers[version] = "version"

    @access.callback(app, Can.READ,
        Output(bar.id("preset"), "value"), Output(bar.id("dates"), "start_date"), Output(bar.id("dates"), "end_date"),
        *(Output(i, "value") for i in bar.control_ids),
        Input(bar.id("preset"), "value"), Input(bar.id("dates"), "start_date"), Input(bar.id("dates"), "end_date"),
        Input(bar.id("reset"), "n_clicks"), *([Input(version, "data")] if version else []),
        prevent_initial_call=True,
    )
    def sync_period(preset, start, last_day, *_):  # noqa: ANN001, ANN202
        trigger = triggers.get(dash_ctx.triggered_id, "dates")
        return period_sync(trigger, preset, start, last_day, local_today(ctx), n_values)

    # Every page's bar may report on the one banner (its URL's problems are there already).
    @access.callback(app, Can.READ, Output(bar.id("url"), "search"),
                     Output(ids.PAGE_ERRORS, "children", allow_duplicate=True),
                     Output(ids.PAGE_ERRORS, "className", allow_duplicate=True),
                     Output(ids.PAGE_ERRORS, "role", allow_duplicate=True),
                     *control_inputs(bar), State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def filters_to_url(start, last_day, *rest):  # noqa: ANN001, ANN202
        *values, lang = rest
        return url_and_banner(bar.filters, local_today(ctx), page_lang(ctx, lang), start, last_day, *values,
                              known=known_codes(bar, ctx))


def register_download(app: dash.Dash, ctx: Context, button_type: str, location: str, export: Export,
                      charts: Collection[str], record_keys: Collection[str] = (), *, urls: PanelUrls,
                      settings: Sequence[tuple[Choice, str]] = ()) -> None:
    """A page's exports: ``export(key, lang, *states)`` gives panel ``key``'s frame (the same data
    function as the chart) and file name; ``charts`` are the keys of the page's panels. They answer
    on ``/export/<page>/<panel>.csv`` (and ``.xlsx``; ``.png`` for ``urls.charts``,
    :mod:`callbacks.export_routes`), and the page's export links (type ``button_type``) point there
    with its current filters (its URL, ``location``), language and view settings (``settings``:
    each :class:`~callbacks.export_routes.Choice` with the id of its control,
    :mod:`callbacks.export_links`).

    Downloads are reports (a chart's numbers: leaders, analysts, admins); the panels in
    ``record_keys`` list records (one row per report, violation or dossier) and are exports
    (analysts only). The route checks it and writes every download to the audit trail with its
    row count and whether personal data in it was masked."""
    panels = tuple(dict.fromkeys(charts))
    declare(app, urls, tidied(export), panels, record_keys)
    register_export_links(app, ctx, urls.page, button_type, location, panels,
                          [c for c in urls.charts if c in panels] if urls.figure is not None else (), settings)


def tidied(export: Export) -> Export:
    """``export`` with its table's cells made alike (:func:`layouts.export_cells.tidy_export`: yes/no
    words, whole numbers, no float noise, ISO times), for the buttons and the URLs alike."""

    def tidy(key: str, lang: str, *states: Any) -> tuple[Any, str]:
        frame, filename = export(key, lang, *states)
        return tidy_export(frame, lang), filename

    return tidy


def audit_download(ctx: Context, who: access.Principal, filename: str, rows: int, records: bool) -> None:
    """Record a download: what, how many rows, masked or not and the reason given."""
    from ioc import audit

    detail = {"rows": int(rows), "personal": who.personal.value}
    if who.personal.value == "clear":
        detail["reason"] = who.unmask_reason
    audit.record(ctx.engine, who.name, "export" if records else "report", target=filename, role=who.role,
                 detail=detail, address=access.client_address())
