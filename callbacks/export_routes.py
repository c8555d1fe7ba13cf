"""Exports through URLs: ``GET /export/<page>/<panel>.<csv|xlsx|png>?from=…&to=…&district=…&lang=en``.

A page declares its exportable panels once, where it registers its CSV buttons
(:func:`callbacks.filters.register_download` with ``urls=``): the same ``export(key, lang,
*states)`` function serves the button and the URL, so both give the same file. A
:class:`PanelUrls` says how the page's query parameters (the keys and meanings of the page's
own URL) become the values the download callback reads from its controls, and which panels
have a chart (PNG). Nothing here names a family: a new page's exports cost its declaration.

Who may: aggregate panels are reports (``Can.REPORT``), the page's record lists exports
(``Can.EXPORT``); personal data is masked as the page's downloads mask it (the export functions
read the reader's exposure), and every export is written to the audit trail.

Answers: 404 naming an unknown page, panel or format (or a renderer not installed); 400 naming
a parameter whose value cannot be used (a page would fall back to its default and say so; a
file must not silently hold other data than asked for); parameters the page does not know are
ignored, as the page ignores them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import flask

from ioc.context import Context
from ioc.i18n import LANGS, t
from ioc.kpi.filters import REASONS, Problem, Selection, parse_params

EXTENSION = "ioc_exports"  # flask app.extensions key: page name → PageExports
ENDPOINT = "export_panel"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
}


class BadParameter(ValueError):
    """A query parameter whose value cannot be used: its name, the value, and why (plain text)."""

    def __init__(self, name: str, value: object, why: str) -> None:
        self.name, self.value = name, str(value)[:80]
        super().__init__(f"parameter {name!r}: {self.value!r} {why}")

    @classmethod
    def of(cls, problem: Problem) -> BadParameter:
        """From a URL parser's :class:`~ioc.kpi.filters.Problem` (the page's banner line)."""
        if problem.reason == "reason_choice" and not problem.what:
            why = REASONS["reason_choice"].format(choices="the accepted values")
        elif problem.reason == "reason_choice":
            why = "is not a known value"
        else:
            why = REASONS.get(problem.reason, problem.reason)
        return cls(problem.param, problem.value, why)


@dataclass(frozen=True)
class UrlView:
    """What a URL asks of a page: the download callback's state values (as its controls would
    send them) and, for the "about" sheet, the view in words (label → value, ordered)."""

    states: list[Any]
    about: dict[str, str]


#: (context, query parameters, lang) → the view; raises :class:`BadParameter`
UrlStates = Callable[[Context, Mapping[str, Any], str], UrlView]
#: (key, lang, *states) → the panel's plotly figure
FigureOf = Callable[..., Any]


@dataclass(frozen=True)
class PanelUrls:
    """A page's exports by URL: ``page`` its page name (``/export/<page>/…``), ``family`` the
    family whose sources the files name, ``states`` the parameters → state values, ``figure``
    the figure of a chart panel and ``charts`` the panels that have one (PNG)."""

    page: str
    family: str
    states: UrlStates
    figure: FigureOf | None = None
    charts: Collection[str] = ()


@dataclass(frozen=True)
class PageExports:
    urls: PanelUrls
    export: Callable[..., tuple[Any, str]]
    panels: tuple[str, ...]
    record_keys: frozenset[str] = field(default_factory=frozenset)


def declare(app: Any, urls: PanelUrls, export: Callable[..., tuple[Any, str]], panels: Iterable[str],
            record_keys: Iterable[str] = ()) -> None:
    """Make ``urls.page``'s panels answer on ``/export/…`` of ``app`` (a Dash app)."""
    app.server.extensions.setdefault(EXTENSION, {})[urls.page] = PageExports(
        urls, export, tuple(dict.fromkeys(panels)), frozenset(record_keys))


def declared(server: flask.Flask) -> dict[str, PageExports]:
    """The pages whose panels ``server`` exports, by page name."""
    return server.extensions.get(EXTENSION, {})


# --- query parameters → a page's control values ------------------------------------------------


def query_params(args: Any) -> dict[str, Any]:
    """Flask's ``request.args`` as the pages get them: one value a string, repeated ones a list."""
    return {k: (v[0] if len(v) == 1 else v) for k, v in args.lists()}


@dataclass(frozen=True)
class Choice:
    """A view setting of a page that is not a filter (the "by area" grouping, the queue shown):
    parameter ``name``, one of ``choices``, ``default`` when absent."""

    name: str
    choices: tuple[str, ...]
    default: str
    label: str = ""  # its i18n key, for the "about" sheet
    value_label: str = ""  # the i18n key of a value's label, ``{}`` for the value (``area_by_{}``)

    def read(self, params: Mapping[str, Any]) -> str:
        from ioc.kpi.filters import single_value

        raw = single_value(params.get(self.name))
        if raw is None:
            return self.default
        if raw not in self.choices:
            raise BadParameter(self.name, raw, REASONS["reason_choice"].format(choices=", ".join(self.choices)))
        return raw


#: (context, query parameters, local today) → the page's selection and the problems found
Parse = Callable[[Context, Mapping[str, Any], date], tuple[Selection, list[Problem]]]


def bar_states(bar: Any, *extra: Choice, parse: Parse | None = None) -> UrlStates:
    """The :data:`UrlStates` of a page with a filter bar (:class:`layouts.controls.FilterBar`):
    the page's parameters read by its declared filters (``parse``: the page's own parser, when its
    default period differs), a value the page would refuse is a :class:`BadParameter`; the
    states are the bar's dates and controls, then each ``extra`` setting."""

    def states(ctx: Context, params: Mapping[str, Any], lang: str) -> UrlView:
        from callbacks.common import local_today

        selection, problems = (parse or _parse_bar(bar))(ctx, params, local_today(ctx))
        if problems:
            raise BadParameter.of(problems[0])
        values = [_control_value(selection.get(f.name)) for f in bar.choices]
        chosen = [c.read(params) for c in extra]
        return UrlView([selection.start.isoformat(), selection.last_day.isoformat(), *values, *chosen],
                       about_selection(selection, bar.choices, lang, dict(zip(extra, chosen, strict=True))))

    return states


def _parse_bar(bar: Any) -> Parse:
    """The bar's filters read as the page reads them, with the codes it knows (its own and the store's)."""
    from callbacks.filters import known_codes

    return lambda ctx, params, today: parse_params(bar.filters, params, today, known_codes(bar, ctx))


def _control_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def about_selection(selection: Selection, filters: Sequence[Any], lang: str,
                    settings: Mapping[Choice, str] | None = None) -> dict[str, str]:
    """The view in words: the period (first and last day, ISO), each set filter's value(s) by
    its label (the option's label where the declaration has one), each view setting."""
    about = {t("xp_about_period", lang): f"{selection.start.isoformat()} – {selection.last_day.isoformat()}"}
    for f in filters:
        value = selection.get(f.name)
        if value is None:
            continue
        codes = value if isinstance(value, tuple) else (value,)
        about[t(f.label, lang)] = ", ".join(_option_label(f, c, lang) for c in codes)
    for choice, value in (settings or {}).items():
        shown = t(choice.value_label.format(value), lang) if choice.value_label else value
        about[t(choice.label, lang) if choice.label else choice.name] = shown
    return about


def _option_label(flt: Any, code: str, lang: str) -> str:
    try:
        labels = {o["value"]: o["label"] for o in flt.options(lang, current=code)}
    except Exception:  # noqa: BLE001 - a declaration without a vocabulary: the code itself
        labels = {}
    label = labels.get(code)
    return f"{label} ({code})" if isinstance(label, str) and label != code else code


# --- the route ---------------------------------------------------------------------------------


def url_lang(ctx: Context, params: Mapping[str, Any]) -> str:
    """A download URL's ``lang`` (``vi`` | ``en``, any case; absent: the configured language);
    :class:`BadParameter` naming another value."""
    raw = params.get("lang")
    if raw is None:
        return ctx.settings.lang if ctx.settings.lang in LANGS else "vi"
    if not isinstance(raw, str) or raw.strip().lower() not in LANGS:
        raise BadParameter("lang", raw, f"is not one of {', '.join(LANGS)}")
    return raw.strip().lower()


def text_answer(message: str, status: int) -> flask.Response:
    """A plain-text answer that is not kept by any cache (an error named for a script)."""
    response = flask.Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def file_answer(body: bytes, filename: str, content_type: str) -> flask.Response:
    """A download named ``filename``, not kept by any cache."""
    response = flask.Response(body, mimetype=content_type.split(";")[0])
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f"attachment; filename=\"{filename}\""
    response.headers["Cache-Control"] = "no-store"
    return response


def renamed(filename: str, fmt: str) -> str:
    """``stem_2026-01-01_2026-01-31.csv`` as the file of format ``fmt``."""
    stem = filename[:-4] if filename.endswith(".csv") else filename
    return f"{stem}.{fmt}"


def _sources(ctx: Context, family: str) -> tuple[str, bool]:
    mine = [s for s in ctx.sources if s.family == family]
    return ", ".join(s.name for s in mine), any(s.type == "simulator" for s in mine)


def _page_title(page: str, lang: str) -> str:
    from ioc.registry import registry

    found = next((p for p in registry().pages if p.name == page), None)
    return t(found.title_key, lang) if found else page


def register(server: flask.Flask, ctx: Context) -> None:
    """``GET /export/<page>/<panel>.<format>`` on ``server`` for every page declared on it."""

    @server.get("/export/<string:page>/<string:file>", endpoint=ENDPOINT)
    def export_panel(page: str, file: str) -> flask.Response:
        return answer(ctx, declared(server), page, file, flask.request.args)


def answer(ctx: Context, pages: Mapping[str, PageExports], page: str, file: str, args: Any) -> flask.Response:
    """The export of ``file`` (``<panel>.<format>``) of ``page`` for the request's reader."""
    from callbacks import access
    from callbacks.filters import audit_download
    from ioc.access import Can
    from ioc.store.db import utcnow

    exports = pages.get(page)
    if exports is None:
        return text_answer(f"no page {page!r} exports panels (pages: {', '.join(sorted(pages)) or 'none'})", 404)
    panel, dot, fmt = file.rpartition(".")
    if not dot or fmt not in FORMATS:
        return text_answer(f"no format {fmt if dot else file!r} for exports (formats: {', '.join(FORMATS)})", 404)
    if panel not in exports.panels:
        return text_answer(f"no panel {panel!r} on page {page!r} (panels: {', '.join(exports.panels)})", 404)
    if fmt == "png" and (exports.urls.figure is None or panel not in exports.urls.charts):
        charts = ", ".join(c for c in exports.panels if c in exports.urls.charts) or "none"
        return text_answer(f"panel {panel!r} of page {page!r} has no chart to draw as PNG (charts: {charts})", 404)
    renderer = _renderer(fmt)
    params = query_params(args)
    try:
        lang = url_lang(ctx, params)
    except BadParameter as exc:
        return text_answer(str(exc), 400)
    records = panel in exports.record_keys
    who = access.principal()
    need = Can.EXPORT if records else Can.REPORT
    if not who.may(need):
        what = "lists records (an export)" if records else "is a report"
        return text_answer(f"panel {panel!r} {what}: the {who.role or 'anonymous'} role may not download it", 403
                     if who.role else 401)
    try:
        view = exports.urls.states(ctx, params, lang)
    except BadParameter as exc:
        return text_answer(str(exc), 400)
    frame, filename = exports.export(panel, lang, *view.states)
    filename = renamed(filename, fmt)
    source, simulated = _sources(ctx, exports.urls.family)
    if fmt == "csv":
        body = renderer(frame)
    elif fmt == "xlsx":
        meta = {**view.about, t("xp_about_source", lang): source or "—",
                t("xp_about_generated", lang): utcnow().replace(microsecond=0).isoformat() + "Z",
                t("xp_about_simulated", lang): t("xp_yes" if simulated else "xp_no", lang)}
        body = renderer(frame, meta, lang, re.sub(r"[\[\]:*?/\\]", " ", _page_title(page, lang))[:31].strip())
    else:
        figure = exports.urls.figure(panel, lang, *view.states)
        subtitle = " · ".join(f"{k}: {v}" for k, v in view.about.items())
        body = renderer(figure, title=_page_title(page, lang), subtitle=subtitle, source=source, simulated=simulated,
                        lang=lang)
    audit_download(ctx, who, filename, len(frame), records)
    return file_answer(body, filename, FORMATS[fmt])


def _renderer(fmt: str) -> Callable[..., Any]:
    """The function writing format ``fmt``."""
    if fmt == "csv":
        from layouts.exports import csv_text

        return lambda frame: csv_text(frame).encode("utf-8")
    if fmt == "xlsx":
        from layouts.xlsx import xlsx_bytes

        return xlsx_bytes
    from layouts.print_figure import figure_png

    return figure_png
