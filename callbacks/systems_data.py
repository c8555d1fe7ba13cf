"""One definition of the data behind each panel of a spec-declared system's page, used by the
panel and by its CSV, and the system at a glance (:func:`summary`).

Each function asks :mod:`ioc.kpi.systems` or :mod:`ioc.kpi.systems_views` through
``ctx.query`` (cached per data version of the system) and labels the result with the pure
helpers of :mod:`layouts.systems_shaping`. Event titles may carry personal data: they are
masked, hidden or shown in clear as the reader's exposure says, and cached per exposure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from callbacks import access
from callbacks.common import local_today, units
from callbacks.compare_data import card_compare
from ioc.context import Context
from ioc.i18n import fmt_date, fmt_int, t
from ioc.kpi import systems as kpis
from ioc.kpi import systems_views as views
from ioc.kpi.compare import Baselines, baselines, compare_sets
from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period, default_period
from ioc.kpi.systems_compare import (
    compared_by_period,
    history_starts,
    rank_steps,
    spec_rules,
    unit_change_kpi,
    unit_previous,
)
from ioc.privacy import hide_frame, mask_frame
from ioc.registry import registry
from ioc.store.db import utcnow
from ioc.systems.spec import SystemSpec
from layouts import systems_shaping as shaping
from layouts.compare_shaping import CompareLine, provisional_note
from layouts.components import tile
from layouts.exports import export_filename
from layouts.shaping import period_unit_names, series_freq
from layouts.systems import file_stem
from layouts.systems_compare import change_cell, tile_lines, unit_change, unit_change_note

#: the most recent events drawn on a system's map (each carries its popup; IOC_MAP_MAX_POINTS
#: lowers it): 2,000 keep the page settled within 2 s on a year of a million events
MAP_POINTS = 2000
#: how far back the Overview's indicator card looks (indices are yearly, published late; a period is at most 20 years)
INDICATORS_SINCE_YEARS = 15

LATEST_ROWS = 200
TITLE_COLUMNS = ("title",)


def spec_of(code: str) -> SystemSpec:
    """The spec of system ``code`` (from the registry: the families its specs declare)."""
    spec = registry().family(code).spec
    if spec is None:
        raise KeyError(f"{code!r} is not a system declared by a spec")
    return spec


def _clock_ttl(ctx: Context, sel: Selection) -> float:
    """How long a KPI read stays cached: rates and the "change" of a period that is not over
    depend on the clock (10 s); a past period's do not (the usual 30 s, and any ingest clears it)."""
    return 10.0 if sel.period.utc_bounds(ctx.tz)[1] > utcnow() else 30.0


def page_kpis(ctx: Context, spec: SystemSpec, sel: Selection) -> dict[str, float | None]:
    """Every KPI of ``spec`` over ``sel`` (the same function as ``python -m ioc kpi <code>``)."""
    return ctx.query(spec.code, "kpis", sel, lambda: kpis.kpis(ctx.engine, spec, sel, ctx.tz, utcnow()),
                     _clock_ttl(ctx, sel))


def first_days(ctx: Context, spec: SystemSpec) -> dict[str, date | None]:
    """KPI name → the first local day its history covers (cached per data version)."""
    return ctx.query(spec.code, "cmp:history-starts", None, lambda: history_starts(ctx.engine, spec), 300)


@dataclass(frozen=True)
class SystemCompare:
    """Tile key → its comparison lines; the note of a running period (text, title) or None, and
    the tiles compared by period (a rank's step between editions is never provisional)."""

    lines: dict[str, list[CompareLine]]
    provisional: tuple[str, str] | None
    by_period: frozenset[str] = frozenset()

    def of(self, key: str) -> list[CompareLine] | None:
        return self.lines.get(key)

    def note_of(self, key: str) -> tuple[str, str] | None:
        """The running period's note for tile ``key`` (None unless it is compared by period)."""
        return self.provisional if key in self.by_period else None


def tile_comparisons(ctx: Context, spec: SystemSpec, sel: Selection, values: dict[str, float | None], lang: str,
                     only: tuple[str, ...] | None = None) -> SystemCompare:
    """The tiles' changes against the previous period and the same period a year before, by the
    rules the spec's KPIs give (:mod:`ioc.kpi.systems_compare`); the earlier KPI sets hold only
    the KPIs compared (a ``change`` or ``latest`` costs queries of its own), cached per data
    version, and are computed only when some KPI's history covers them. ``only``: compare these
    KPIs by period and no other (an Overview card's); a rank is always compared with its previous
    edition."""
    starts = first_days(ctx, spec)
    today = local_today(ctx)
    names = tuple(n for n in compared_by_period(spec) if only is None or n in only)
    bases: dict[str, Baselines] = {n: baselines(sel.period, today, starts[n]) for n in names}
    comparisons, note = {}, None
    if names:
        # the earlier periods are the same for every KPI; only their coverage differs (indicators)
        first = bases[names[0]]

        def earlier(period: Period) -> dict[str, float | None]:
            shifted = sel.shifted(period)
            return ctx.query(spec.code, "cmp:kpis", (shifted, names),  # an Overview card asks fewer KPIs
                             lambda: kpis.kpis(ctx.engine, spec, shifted, ctx.tz, utcnow(), names))

        previous = earlier(first.previous) if any(b.previous_covered for b in bases.values()) else None
        year = earlier(first.year_before) if any(b.year_covered for b in bases.values()) else None
        rules = spec_rules(spec)
        for name in names:
            comparisons.update(compare_sets(spec.code, (name,), values, previous, year, bases[name], rules))
        note = provisional_note(first, lang)
    ranks = ctx.query(spec.code, "cmp:ranks", sel, lambda: rank_steps(ctx.engine, spec, sel)) \
        if any(k.type == "rank" for k in spec.kpis) else {}
    return SystemCompare(tile_lines(spec, comparisons, bases, starts, ranks, lang), note,
                         frozenset(f"{spec.code}_{name}" for name in names))


@dataclass(frozen=True)
class UnitChanges:
    """The by-unit table's change column: unit code → cell (:func:`layouts.systems_compare.change_cell`)
    of the KPI :func:`ioc.kpi.systems_compare.unit_change_kpi`, and the table's note on it."""

    cells: dict[str, dict]
    note: str


def unit_changes(ctx: Context, spec: SystemSpec, sel: Selection, frame: pd.DataFrame, lang: str) -> UnitChanges | None:
    """Each unit's change of the headline KPI against the previous period (one more grouped
    query, of that KPI's measures only, cached; none when the history does not cover that
    period). None: no KPI per unit."""
    kpi = unit_change_kpi(spec)
    if kpi is None:
        return None
    start = first_days(ctx, spec)[kpi.name]
    bases = baselines(sel.period, local_today(ctx), start)
    earlier = sel.shifted(bases.previous)
    before = ctx.query(spec.code, f"cmp:units:{kpi.name}", earlier, lambda: views.by_unit(
        ctx.engine, spec, earlier, ctx.tz, utcnow(), (kpi,))) if bases.previous_covered else None
    previous = unit_previous(kpi, frame, before)
    cells = {str(code): change_cell(unit_change(kpi, now, old, bases.previous_covered, bases.provisional), lang)
             for code, now, old in zip(frame["commune_code"], frame[kpi.name], previous, strict=True)}
    return UnitChanges(cells, unit_change_note(kpi, bases, lang))


def trend(ctx: Context, spec: SystemSpec, sel: Selection) -> tuple[pd.DataFrame, str]:
    freq = series_freq(sel.period)
    return ctx.query(spec.code, f"trend:{freq}", sel, lambda: views.trend(ctx.engine, spec, sel, freq)), freq


def by_dimension(ctx: Context, spec: SystemSpec, sel: Selection, name: str, lang: str) -> pd.DataFrame:
    frame = ctx.query(spec.code, f"dim:{name}", sel, lambda: views.by_dimension(ctx.engine, spec, sel, name))
    return shaping.dimension_rows(frame, spec.dimension(name), lang)


def by_unit(ctx: Context, spec: SystemSpec, sel: Selection) -> pd.DataFrame:
    return ctx.query(spec.code, "units", sel, lambda: views.by_unit(ctx.engine, spec, sel, ctx.tz, utcnow()),
                     _clock_ttl(ctx, sel))


def ranking(ctx: Context, spec: SystemSpec, sel: Selection) -> pd.DataFrame:
    return views.ranking(by_unit(ctx, spec, sel), spec)


def unit_names(ctx: Context, sel: Selection) -> dict[str, str]:
    """Names of the units in force in the period (and the current communes)."""
    return period_unit_names(units(ctx), sel.start, sel.end)


def _seen(frame: pd.DataFrame, exposure: Any) -> pd.DataFrame:
    if exposure.hidden:
        return hide_frame(frame, TITLE_COLUMNS)
    return mask_frame(frame, reveal_text=exposure.reveal_text, text_columns=TITLE_COLUMNS)


def latest(ctx: Context, spec: SystemSpec, sel: Selection) -> tuple[pd.DataFrame, int]:
    """The period's latest events (at most :data:`LATEST_ROWS`) with their titles as the reader
    may see them, and how many events there are."""
    seen = access.exposure(ctx.settings)
    frame, total = ctx.query(spec.code, "latest", (sel, seen.level),
                             lambda: views.latest_events(ctx.engine, spec, sel, ctx.tz, LATEST_ROWS))
    return _seen(frame, seen), total


def map_points(ctx: Context, spec: SystemSpec, sel: Selection) -> tuple[pd.DataFrame, int]:
    seen = access.exposure(ctx.settings)
    frame, total = ctx.query(spec.code, "map", (sel, seen.level),
                             lambda: views.map_points(ctx.engine, spec, sel, ctx.tz,
                                                      min(ctx.settings.map_max_points, MAP_POINTS)))
    return _seen(frame, seen), total


def indicators(ctx: Context, spec: SystemSpec, sel: Selection) -> pd.DataFrame:
    return ctx.query(spec.code, "indicators", sel, lambda: views.indicator_table(ctx.engine, spec, sel))


def indicator_series(ctx: Context, spec: SystemSpec, sel: Selection) -> pd.DataFrame:
    return ctx.query(spec.code, "indicator-series", sel, lambda: views.indicator_series(ctx.engine, spec, sel))


def dimension_codes(ctx: Context, spec: SystemSpec, today: date) -> dict[str, list[str]]:
    """Codes seen over the last year of each open dimension (their filter's options)."""
    sel = Selection.of(kpis.filters_for(spec), default_period(today))
    return {d.name: [c for c in by_dimension(ctx, spec, sel, d.name, "vi")["key"] if c]
            for d in spec.dimensions if d.open}


def export(ctx: Context, spec: SystemSpec, key: str, sel: Selection, lang: str) -> tuple[pd.DataFrame, str]:
    """Panel ``key``'s CSV table and file name (``<code>_<what>_<from>_<to>.csv``)."""
    names = unit_names(ctx, sel) if spec.kind == "events" else {}
    if key == "latest":
        frame = shaping.latest_export(spec, latest(ctx, spec, sel)[0], names, ctx.tz, lang)
    elif key in ("units", "ranking"):
        rows = by_unit(ctx, spec, sel) if key == "units" else ranking(ctx, spec, sel)
        frame = shaping.unit_export(spec, rows, names, lang, views.unit_kpis(spec))
        changes = unit_changes(ctx, spec, sel, rows, lang)
        if changes is not None:  # as the table shows it: points or percent, empty without a comparison
            changed = unit_change_kpi(spec)
            frame[t("cmp2_col_change", lang, kpi=changed.label(lang))] = [
                changes.cells[str(code)]["raw"] for code in rows["commune_code"]]
        if key == "ranking":
            frame.insert(0, t("systems_col_rank", lang), rows["rank"].to_numpy())
    elif key == "trend":
        series, _freq = trend(ctx, spec, sel)
        frame = pd.DataFrame({t("systems_col_bucket", lang): pd.to_datetime(series["bucket"]).dt.strftime("%Y-%m-%d"),
                              t("systems_series_events", lang): series["n"].astype("int64").to_numpy()})
    elif key.startswith("dim-"):
        rows = by_dimension(ctx, spec, sel, key[4:], lang)
        frame = pd.DataFrame({t("systems_col_code", lang): rows["key"].to_numpy(),
                              spec.dimension(key[4:]).label(lang): rows["label"].to_numpy(),
                              t("systems_series_events", lang): rows["n"].astype("int64").to_numpy()})
    elif key == "indicators" or key.startswith("ind-"):
        frame = shaping.indicator_export(spec, indicators(ctx, spec, sel), lang)
        if key.startswith("ind-"):
            series = indicator_series(ctx, spec, sel)
            series = series[series["indicator"] == key[4:]]
            frame = pd.DataFrame({t("systems_col_period", lang): series["period"].to_numpy(),
                                  t("systems_col_value", lang): series["value"].to_numpy(),
                                  t("systems_col_target", lang): series["target"].to_numpy(),
                                  t("systems_col_source", lang): [t("systems_simulated", lang) if s else ""
                                                                  for s in series["simulated"]]})
    else:
        raise KeyError(key)
    return frame, export_filename(file_stem(spec, key), sel.start, sel.end)


def summary(code: str, ctx: Context, lang: str, keys: tuple[str, ...], compare: bool = False) -> tuple[list, str]:
    """The system at a glance (Overview card, wall panel): the last 12 months' tiles ``keys``
    (``<code>_<kpi>`` of the spec's ``overview``), and today's events (events specs) or the
    latest period reported (indicator specs). ``compare``: each tile with its change against the
    same period a year before, or a rank's against its previous edition."""
    spec = spec_of(code)
    today = local_today(ctx)
    filters = kpis.filters_for(spec)
    names = tuple(k.removeprefix(f"{code}_") for k in keys)
    if spec.kind == "indicator":
        # Indices are published once a year, months after it ends: the card shows each one's latest
        # value whenever it was published, with its period (and "simulated" for a simulated one).
        sel = Selection.of(filters, Period(date(today.year - INDICATORS_SINCE_YEARS, 1, 1), today + timedelta(days=1)))
        values = kpis.kpis(ctx.engine, spec, sel, ctx.tz, utcnow(), names)
        table = views.indicator_table(ctx.engine, spec, sel)
        periods_of = views.kpi_periods(ctx.engine, spec, sel, names)
        # a published value is compared with its previous edition (a rank), never by period: the
        # card spans every year published
        cmp = tile_comparisons(ctx, spec, sel, values, lang, only=()) if compare else None
        tiles = []
        for made in shaping.kpi_tiles(spec, values, lang, names):
            period, simulated = periods_of.get(made.key.removeprefix(f"{code}_"), (None, False))
            if period:
                sub = period + (f" · {t('simulated', lang)}" if simulated else "")
                made = dataclasses.replace(made, sub=sub)
            tiles.append(tile(made, lang, *card_compare(cmp, made.key)))
        periods = sorted((start, period) for start, period in zip(table["period_start"], table["period"], strict=True)
                         if isinstance(period, str) and period)  # the latest period's name, e.g. 2026-Q3
        note = (t("systems_ov_latest_period", lang, period=periods[-1][1]) if periods
                else t("systems_ov_no_period", lang))
        return tiles, note
    sel = Selection.of(filters, default_period(today))
    values = kpis.kpis(ctx.engine, spec, sel, ctx.tz, utcnow(), names)
    cmp = tile_comparisons(ctx, spec, sel, values, lang, only=names) if compare else None
    tiles = [tile(s, lang, *card_compare(cmp, s.key)) for s in shaping.kpi_tiles(spec, values, lang, names)]
    today_sel = Selection.of(filters, Period(today, today + timedelta(days=1)))
    counted = views.trend(ctx.engine, spec, today_sel, "day")
    return tiles, t("systems_ov_today", lang, n=fmt_int(float(counted["n"].sum()), lang), day=fmt_date(today, lang))
