"""Small Dash building blocks shared by the pages: KPI tiles, chart cards, banners."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from ioc.i18n import t
from layouts import ids
from layouts.compare_shaping import CompareLine
from layouts.figures import empty_figure, graph_config
from layouts.shaping import SourceRow, Tile

STATE_ICONS = {"good": "✔", "warn": "▲", "bad": "✖", "none": "–"}


#: AG Grid's own texts (pager, page size, filter menus) that the catalogues translate (``grid_<key>``)
GRID_TEXTS = ("page", "of", "to", "more", "pageSizeSelectorLabel", "ariaPageSizeSelectorLabel", "firstPage",
              "previousPage", "nextPage", "lastPage", "loadingOoo", "filterOoo", "equals", "notEqual", "blank",
              "notBlank", "empty", "lessThan", "greaterThan", "lessThanOrEqual", "greaterThanOrEqual", "inRange",
              "inRangeStart", "inRangeEnd", "contains", "notContains", "startsWith", "endsWith", "before", "after",
              "andCondition", "orCondition", "applyFilter", "resetFilter", "clearFilter", "cancelFilter")


def grid_locale(lang: str, no_rows: str) -> dict[str, str]:
    """An AG Grid's ``localeText`` in ``lang``: the pager reads "Trang 1 / 3", "1 – 15 / 39" on a
    Vietnamese page, never the grid's English; ``no_rows``: what an empty grid says."""
    return {**{key: t(f"grid_{key}", lang) for key in GRID_TEXTS}, "noRowsToShow": no_rows}


def tile(spec: Tile, lang: str, compare: list[CompareLine] | None = None,
         provisional: tuple[str, str] | None = None) -> html.Div:
    """One KPI tile. The state is given as icon + text (never colour alone); the raw value sits
    in ``data-value`` so browser tests can compare it with the CLI. ``compare``: the lines of its
    changes against earlier periods, under the sub-text (``provisional``: their note, text and
    title, when the period is still running)."""
    meta = []
    if spec.state in STATE_ICONS:
        meta.append(html.Span([html.Span(STATE_ICONS[spec.state], className="tile-icon", **{"aria-hidden": "true"}),
                               spec.state_text(lang)], className="tile-state"))
    if spec.target:
        meta.append(html.Span(spec.target, className="tile-target"))
    return html.Div(
        [
            html.Div(spec.label, className="tile-label"),
            html.Div(spec.value, className="tile-value"),
            html.Div(meta, className="tile-meta"),
            html.Div(spec.sub, className="tile-sub"),
            *([compare_block(compare, provisional)] if compare else []),
        ],
        id=f"tile-{spec.key}",
        className=f"tile tile-{spec.state}",
        title=f"{spec.label}: {spec.value}",
        **{"data-kpi": spec.key, "data-value": "" if spec.raw is None else repr(spec.raw), "data-state": spec.state},
    )


def compare_block(lines: list[CompareLine], provisional: tuple[str, str] | None = None) -> html.Div:
    """A tile's comparisons, one line each: arrow (the sign) and text, coloured by tone (good
    green, bad red, neutral grey); the change in ``data-change`` (points or percent) for tests.
    A line is one element with one text (the arrow hangs before it, assets/compare.css): the
    Overview draws some fifty of them at once, and each element costs Dash's renderer time."""
    children = [
        html.Div(f"{line.arrow} {line.text}" if line.arrow else line.text,
                 className=f"cmp-line cmp-{line.tone}" + (" cmp-arrowed" if line.arrow else ""), title=line.title,
                 **{"data-cmp": line.which, "data-tone": line.tone,
                    "data-change": "" if line.value is None else repr(line.value)})
        for line in lines
    ]
    # provisional only next to a change shown: a count at now, or "no comparison", is not
    if provisional and any(line.which != "snapshot" and line.value is not None for line in lines):
        children.append(html.Div(provisional[0], className="cmp-provisional", title=provisional[1]))
    return html.Div(children, className="tile-compare")


def fresh_badge(family: str, extra_class: str = "") -> html.Span:
    """The freshness of ``family``'s data: last successful ingest, amber at 2× and red at 5×
    its source's cadence, and why a failing source fails. Rendered empty; assets/ioc.js writes
    its text (aged every second, so it goes on turning red while the server is unreachable)."""
    return html.Span(className=f"fresh-badge {extra_class}".strip(), role="status", **{"data-fresh-badge": family})


def tile_placeholders(keys: tuple[str, ...], lang: str) -> list[html.Div]:
    return [html.Div([html.Div(t(f"kpi_{k}", lang), className="tile-label"), html.Div("…", className="tile-value")],
                     className="tile tile-loading", **{"data-kpi": k}) for k in keys]


def chart_card(key: str, title: str, lang: str, filename: str, extra_class: str = "",
               note_id: str | None = None, graph_id: str | None = None,
               button_type: str = ids.CSV_BUTTON, tools: Any = None) -> html.Section:
    """A titled card with its graph, a note line, ``tools`` (a control of the chart, e.g. how it
    groups) and the links to its exports (CSV, PNG, XLSX: :func:`chart_links`)."""
    head = [html.H2(title, className="card-title")]
    if note_id:
        head.append(html.Span(id=note_id, className="card-note"))
    if tools is not None:
        head.append(tools)
    head += chart_links(key, lang, button_type)
    return html.Section(
        [
            html.Header(head, className="card-head"),
            dcc.Graph(id=graph_id or ids.chart(key), figure=empty_figure("", lang), config=graph_config(filename),
                      className="chart", responsive=True),
        ],
        className=f"card chart-card {extra_class}".strip(),
    )


def csv_button(key: str, lang: str, button_type: str = ids.CSV_BUTTON) -> html.A:
    """The link to panel ``key``'s CSV (``/export/<page>/<key>.csv?…``): its ``href``, with the
    page's filters and language, is written by :func:`callbacks.export_links.register_export_links`."""
    return _export_link(key, "csv", ["↓ ", t("csv", lang)], t("csv_title", lang), button_type, "btn-csv")


def chart_links(key: str, lang: str, button_type: str = ids.CSV_BUTTON) -> list[html.A]:
    """A chart panel's export links: its CSV, then its PNG and XLSX (smaller, same style)."""
    return [csv_button(key, lang, button_type),
            *(_export_link(key, fmt, t(f"xb_{fmt}", lang), t(f"xb_{fmt}_title", lang), button_type, f"btn-xp btn-xp-{fmt}")
              for fmt in ("png", "xlsx"))]


def _export_link(key: str, fmt: str, text: Any, title: str, button_type: str, kind: str) -> html.A:
    return html.A(text, id=ids.export_link(key, fmt, button_type), className=f"btn {kind}", download="", title=title,
                  **{"aria-label": title, "data-format": fmt})


def error_banner(messages: list[str]) -> html.Div:
    """The page's banner of URL parameters it ignored (amber: the page works, with a default
    in their place), one line per parameter; hidden when there are none. The lines are text
    children, so a value from the URL is shown, never interpreted as markup."""
    if not messages:
        return html.Div(id=ids.PAGE_ERRORS, className="banner-hidden")
    return html.Div([html.Div(m, className="banner-line") for m in messages], id=ids.PAGE_ERRORS,
                    className="banner banner-warn", role="alert")


def recent_list(rows: list[dict], lang: str) -> html.Div | html.Ol:
    """The latest reports as a list (citizen text as text)."""
    if not rows:
        return html.Div(t("no_data", lang), className="empty-note")
    return html.Ol([
        html.Li([
            html.Span(r["time"], className="recent-time"),
            html.Span([html.Span("●", style={"color": r["colour"]}, **{"aria-hidden": "true"}), " ", r["status"]],
                      className="recent-status"),
            html.Span(r["category"], className="recent-cat"),
            html.Span(r["district"], className="recent-district"),
            html.Span(r["description"], className="recent-desc", title=r["description"]),
        ], className="recent-item", **{"data-id": r["id"]})
        for r in rows
    ], className="recent-list")


def sources_table(rows: list[SourceRow], lang: str) -> html.Table | html.Div:
    if not rows:
        return html.Div(t("no_sources", lang), className="empty-note")
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "src_name", "src_type", "src_family", "src_last_run", "src_status", "src_freshness", "src_counts",
        "src_error")]))
    body = html.Tbody([
        html.Tr([
            html.Td([html.Div(r.name, className="src-name"), html.Div(r.every, className="src-every")]),
            html.Td(r.type),
            html.Td(r.family),
            html.Td(r.last_run, className="num"),
            html.Td(html.Span(r.status_text, className=f"pill pill-run-{r.status}")),
            html.Td(html.Span(r.freshness_text, className=f"pill pill-fresh-{r.freshness}"),
                    **{"data-freshness": r.freshness}),
            html.Td(r.counts, className="num"),
            html.Td(r.error, className="src-error", title=r.error),
        ], **{"data-source": r.name})
        for r in rows
    ])
    return html.Table([head, body], className="table sources-table")
