"""Briefs: every family's KPIs for a chosen period, as a PDF or an XLSX (issue #16).

The data of a brief (:func:`collect_brief`) is read here, from each family's own KPI set
(``family.kpis``: the one definition the pages and ``python -m ioc kpi`` use too; read through
``family.headline``, which skips what only the CLI's report carries), the TTHC
units' ranking and two trend series. The report itself is laid out by the web layer's pure
builder :mod:`layouts.brief` (HTML, and the KPI rows of the XLSX); the core loads it by name,
as :mod:`ioc.registry` loads the composition package, so ``ioc`` never imports ``layouts``.

The PDF is Chromium's print-to-PDF of that HTML (:class:`PdfPrinter`, playwright with the
machine's ``/usr/bin/chromium``, the browser the browser tests already use): the report is the
same HTML, CSS and Plotly charts as the pages, with no second layout engine to keep in step.
"""

from __future__ import annotations

import importlib
import logging
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine

from ioc.kpi.periods import Period, to_local

log = logging.getLogger(__name__)

#: The web layer's report builder, loaded by name: ``render_html(brief, lang) -> str`` and
#: ``kpi_frame(brief, lang) -> DataFrame``.
RENDERER = "layouts.brief"
XLSX_WRITER = "layouts.xlsx"  # the web layer's workbook writer, shared with the exports
FORMATS = ("pdf", "xlsx")
#: the Chromium the browser tests use (Debian's package); playwright drives it
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class BriefError(ValueError):
    """A brief that cannot be made as asked (bad format, filter, language); the message says why."""


@dataclass(frozen=True)
class FamilyBrief:
    """One family's KPI set for the brief's period. ``applied``: the brief's filters it took;
    ``ignored``: those it does not take (its KPIs are for the whole province)."""

    code: str
    kpis: dict[str, Any]
    applied: dict[str, Any] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    error: str | None = None  # its KPIs could not be read (the brief still goes out)
    # the comparisons (ioc.kpi.compare): the earlier periods and the family's first stored day,
    # and its KPI sets over them (None: not covered by the history, not computed); ``bases``
    # None for a family without comparison rules
    bases: Any = None
    history_start: date | None = None
    previous: dict[str, Any] | None = None
    year: dict[str, Any] | None = None
    rules: Mapping[str, Any] | None = None  # KPI key → its comparison rule (:func:`comparison_rules`)


@dataclass(frozen=True)
class Brief:
    """What a brief reports, in no language yet. Times are naive UTC; ``today`` is local."""

    period: Period
    filters: dict[str, str]
    generated_at: datetime
    tz: ZoneInfo
    today: date
    simulated: bool
    families: tuple[FamilyBrief, ...]
    targets: Mapping[str, float]  # the settings' targets: target_on_time, target_processed, …
    feedback_series: pd.DataFrame
    admin_series: pd.DataFrame
    rankings: tuple[Any, ...]  # ioc.kpi.rankings.Ranking: TTHC units, units handling reports
    freq: str  # bucket of the two series: day, week or month

    @property
    def last_day(self) -> date:
        """The period's last day (included)."""
        return self.period.end - timedelta(days=1)

    @property
    def provisional(self) -> bool:
        """Whether the period reaches today or later: its last figures are still incomplete."""
        return self.period.end > self.today

    def family(self, code: str) -> FamilyBrief | None:
        return next((f for f in self.families if f.code == code), None)


def series_freq(period: Period) -> str:
    """Bucket of the brief's trend charts: days up to two months, weeks up to ~15 months, else months."""
    days = (period.end - period.start).days
    return "day" if days <= 62 else "week" if days <= 460 else "month"


def collect_brief(engine: Engine, settings: Any, period: Period, filters: Mapping[str, str | None], *,
                  simulated: bool, now: datetime, families: Any = None) -> Brief:
    """Read a brief for ``period`` (local dates) with ``filters`` (CLI filter name → value,
    e.g. ``{"unit": "46"}``) applied to every family that takes them. ``now``: naive UTC.
    Raises :class:`BriefError` for a filter no family takes, or a bad value of one."""
    from ioc.family import UnsupportedFilter
    from ioc.kpi.admin import AdminFilter
    from ioc.kpi.admin_views import admin_series, unit_ranking
    from ioc.kpi.feedback import FeedbackFilter, feedback_series
    from ioc.kpi.periods import FilterError
    from ioc.kpi.rankings import handling_unit_ranking, tthc_ranking
    from ioc.registry import registry

    tz = settings.tz
    given = {k: v for k, v in filters.items() if v not in (None, "")}
    fams = tuple(families if families is not None else registry().families)
    unknown = [k for k in given if not any(k in f.flags for f in fams)]
    if unknown:
        raise BriefError(f"no family takes the filter --{unknown[0]}")
    out = []
    parsed_by_code: dict[str, dict[str, Any]] = {}
    for fam in fams:
        taken = {k: v for k, v in given.items() if k in fam.flags}
        try:
            parsed = fam.check_filters(taken)
        except (UnsupportedFilter, FilterError) as exc:
            raise BriefError(str(exc)) from None
        parsed_by_code[fam.code] = parsed
        try:
            kpis = fam.headline(engine, period, parsed, tz, now)
            error = None
        except FilterError as exc:  # a filter value the family's KPIs refuse (an unknown unit)
            raise BriefError(f"{fam.code}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - one family's failure must not lose the others' brief
            log.exception("brief: the KPIs of %s failed", fam.code)
            kpis, error = {}, f"{type(exc).__name__}: {exc}"
        earlier = _earlier(engine, fam, period, parsed, tz, now) if error is None else {}
        out.append(FamilyBrief(fam.code, kpis, taken, tuple(k for k in given if k not in taken), error, **earlier))
    freq = series_freq(period)
    codes = {f.code for f in fams}
    fb = adm = pd.DataFrame()
    rankings = []
    today = to_local(now, tz).date()
    if "admin" in codes:
        flt = AdminFilter(period, **_dims(parsed_by_code["admin"]))
        adm = admin_series(engine, flt, freq)
        rankings.append(tthc_ranking(unit_ranking(engine, flt, tz, now)))
    if "feedback" in codes:
        flt = FeedbackFilter(period, **_dims(parsed_by_code["feedback"]))
        fb = feedback_series(engine, flt, freq)
        rankings.append(handling_unit_ranking(engine, flt, today))
    return Brief(period=period, filters=given, generated_at=now, tz=tz, today=today,
                 simulated=simulated, families=tuple(out),
                 targets={k: getattr(settings, k) for k in ("target_on_time", "target_processed",
                                                             "target_satisfaction")},
                 feedback_series=fb, admin_series=adm, rankings=tuple(r for r in rankings if r is not None), freq=freq)


def family_history_starts() -> dict[str, Callable[[Engine], date | None]]:
    """Family code → its first stored local day, for the built-in families the comparisons cover
    (the same functions the pages' comparisons use); a system's: :func:`history_start_of`."""
    from ioc.kpi import admin, environment, feedback, traffic

    return {"feedback": feedback.first_received, "admin": admin.history_start, "traffic": traffic.history_start,
            "environment": environment.history_start}


def _event_spec(fam: Any) -> Any:
    spec = getattr(fam, "spec", None)
    return spec if spec is not None and spec.kind == "events" else None


def comparison_rules(fam: Any) -> Mapping[str, Any] | None:
    """KPI key → comparison rule for family ``fam``: the pages' (:data:`ioc.kpi.compare.RULES`),
    or, for a system of events declared by a spec, its KPIs' (the rules its page uses,
    :func:`ioc.kpi.systems_compare.spec_rules`); None for a family not compared by period (an
    indicators system: its ranks are compared with the previous publication instead)."""
    from ioc.kpi.compare import RULES

    if fam.code in RULES:
        return RULES[fam.code]
    spec = _event_spec(fam)
    if spec is None:
        return None
    from ioc.kpi.systems_compare import spec_rules

    return spec_rules(spec)


def history_start_of(fam: Any) -> Callable[[Engine], date | None] | None:
    """The function reading ``fam``'s first stored local day (None: not compared by period)."""
    start = family_history_starts().get(fam.code)
    spec = _event_spec(fam)
    if start is not None or spec is None:
        return start
    from ioc.kpi.systems import first_day

    def system_start(engine: Engine) -> date | None:
        with engine.connect() as conn:
            return first_day(conn, spec)

    return system_start


def _earlier(engine: Engine, fam: Any, period: Period, parsed: Mapping[str, Any], tz: ZoneInfo,
             now: datetime) -> dict[str, Any]:
    """The family's KPI sets over the previous period and the same period a year before, each
    only when its stored history covers it (:func:`ioc.kpi.compare.baselines`)."""
    from ioc.kpi.compare import baselines

    rules, first_day = comparison_rules(fam), history_start_of(fam)
    if rules is None or first_day is None:
        return {}
    start = first_day(engine)
    bases = baselines(period, to_local(now, tz).date(), start)
    previous = fam.headline(engine, bases.previous, dict(parsed), tz, now) if bases.previous_covered else None
    year = fam.headline(engine, bases.year_before, dict(parsed), tz, now) if bases.year_covered else None
    return {"bases": bases, "history_start": start, "previous": previous, "year": year, "rules": rules}


def _dims(parsed: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parsed.items() if k != "period"}


def renderer() -> Any:
    """The web layer's report builder (:data:`RENDERER`)."""
    return importlib.import_module(RENDERER)


def plotly_js_path() -> Path:
    """The plotly.min.js the plotly package ships (the charts' script in the printed page)."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


class PdfPrinter:
    """Chromium, started once, printing report pages to A4 PDFs (use as a context manager; the
    scheduler prints several briefs with one browser). Each page is written to a temporary
    file and opened from there, so Chromium reads plotly.min.js as a file: 4.6 MB of inline
    script would cross the DevTools connection and be parsed from a string each time."""

    def __init__(self, timeout_s: float = 60.0) -> None:
        self.timeout_ms = timeout_s * 1000
        self._pw: Any = None
        self._browser: Any = None
        self._thread: ThreadPoolExecutor | None = None

    # Every call to Playwright runs on one thread of the printer's own: its sync API refuses a
    # thread where an asyncio loop runs (a caller's scheduler or server, another Playwright
    # session in the same process), and its objects belong to the thread that made them.
    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._thread is None:
            raise RuntimeError("PdfPrinter is used outside its 'with' block")
        return self._thread.submit(fn, *args).result()

    def __enter__(self) -> PdfPrinter:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ioc-pdf")
        try:
            self._call(self._start)
        except BaseException:
            self._thread.shutdown(wait=True)
            self._thread = None
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._call(self._stop)
        finally:
            assert self._thread is not None
            self._thread.shutdown(wait=True)
            self._thread = None

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Exception:
            self._pw.stop()
            raise

    def _stop(self) -> None:
        try:
            self._browser.close()
        finally:
            self._pw.stop()

    def print_brief(self, brief: Brief, lang: str) -> bytes:
        """``brief`` in ``lang`` as a PDF (the page waits for its charts: ``window.briefReady``)."""
        html = renderer().render_html(brief, lang, plotly_src=plotly_js_path().as_uri())
        return self.print_html(html)

    def print_html(self, html: str) -> bytes:
        return self._call(self._print_html, html)

    def _print_html(self, html: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="ioc-brief-") as tmp:
            path = Path(tmp) / "brief.html"
            path.write_text(html, encoding="utf-8")
            page = self._browser.new_page()
            try:
                page.goto(path.as_uri(), wait_until="load", timeout=self.timeout_ms)
                page.wait_for_function("window.briefReady === true", timeout=self.timeout_ms)
                page.emulate_media(media="print")
                return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            finally:
                page.close()


def xlsx_of(frame: pd.DataFrame, meta: Mapping[str, Any], lang: str, sheet_title: str) -> bytes:
    """The KPI rows as a workbook, by the exports' XLSX writer (:data:`XLSX_WRITER`)."""
    return importlib.import_module(XLSX_WRITER).xlsx_bytes(frame, meta, lang, sheet_title)


def make_report(brief: Brief, fmt: str, lang: str) -> bytes:
    """The brief as ``fmt`` (pdf or xlsx) in ``lang`` (vi or en)."""
    if fmt not in FORMATS:
        raise BriefError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    if lang not in ("vi", "en"):
        raise BriefError(f"language {lang!r}: use vi or en")
    layout = renderer()
    if fmt == "pdf":
        with PdfPrinter() as printer:
            return printer.print_brief(brief, lang)
    frame = layout.kpi_frame(brief, lang)
    return xlsx_of(frame, layout.meta(brief, lang), lang, layout.sheet_title(lang))


def report_filename(kind: str, period: Period, lang: str, fmt: str) -> str:
    """``brief-daily_2026-12-02_vi.pdf``, ``brief-weekly_2026-11-23_2026-11-29_en.xlsx``."""
    last = period.end - timedelta(days=1)
    span = period.start.isoformat() if last == period.start else f"{period.start.isoformat()}_{last.isoformat()}"
    return f"brief-{kind}_{span}_{lang}.{fmt}"
