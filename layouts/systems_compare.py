"""The words of a spec-declared system's comparisons (pure: no Dash, no store).

Tiles: the lines of :mod:`layouts.compare_shaping` for KPIs compared by period; one line saying
why for a ``latest`` or ``change`` KPI; the step against the previous published rank for a
``rank`` KPI («▲ lên 2 bậc so với lần công bố trước (2022)»: the arrow points up the table,
towards 1st). Tables: the change of one KPI per unit against the previous period, as a cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from ioc.i18n import DASH, fmt_date, fmt_int, t
from ioc.kpi.compare import Baselines, Change, Status, TileComparison, compare, tone
from ioc.kpi.systems_compare import RankStep, spec_rule
from ioc.systems.spec import Kpi, SystemSpec
from layouts.compare_shaping import ARROWS, CompareLine, amount_text, compare_lines, shown_flat


def rank_line(kpi: Kpi, step: RankStep | None, lang: str) -> CompareLine:
    """A rank tile's line: places gained or lost since the previous published rank (``step``
    holds a rank; none before it: "no earlier published rank")."""
    if step is None or step.previous is None:
        return CompareLine("rank", "", t("cmp2_rank_none", lang), "none", t("cmp2_rank_none_title", lang), None)
    places = step.rank - step.previous  # fewer is higher up the table
    shade = tone(spec_rule(kpi).direction, (places > 0) - (places < 0))
    values = {"n": fmt_int(abs(places), lang), "period": step.previous_period,
              "title": t("cmp2_rank_title", lang, period=step.previous_period, rank=fmt_int(step.previous, lang))}
    if places == 0:
        return CompareLine("rank", ARROWS[0], t("cmp2_rank_same", lang, **values), "neutral", values["title"], 0.0)
    key, arrow = ("cmp2_rank_up", ARROWS[1]) if places < 0 else ("cmp2_rank_down", ARROWS[-1])
    return CompareLine("rank", arrow, t(key, lang, **values), shade, values["title"], float(places))


def tile_lines(spec: SystemSpec, comparisons: Mapping[str, TileComparison], bases: Mapping[str, Baselines],
               starts: Mapping[str, date | None], ranks: Mapping[str, RankStep], lang: str,
               names: tuple[str, ...] | None = None) -> dict[str, list[CompareLine]]:
    """Tile key (``<code>_<kpi>``) → its comparison lines, for each KPI (or those ``names``):
    ``comparisons`` / ``bases`` / ``starts`` keyed by the KPI's name, for those compared by period."""
    out = {}
    for kpi in spec.kpis if names is None else tuple(spec.kpi(n) for n in names):
        key = f"{spec.code}_{kpi.name}"
        if kpi.type == "rank":
            step = ranks.get(kpi.name)
            out[key] = [] if step is None or step.rank is None else [rank_line(kpi, step, lang)]  # no rank shown
        elif kpi.type in ("latest", "change"):
            text = t("cmp2_latest" if kpi.type == "latest" else "cmp2_change_itself", lang)
            out[key] = [CompareLine("snapshot", "", text, "none", "", None)]
        elif kpi.name in comparisons:
            out[key] = compare_lines(comparisons[kpi.name], bases[kpi.name], starts.get(kpi.name), lang)
    return out


def unit_change(kpi: Kpi, current: float | None, previous: float | None, is_covered: bool,
                provisional: bool = False) -> Change:
    """One unit's change of ``kpi`` against the previous period (not covered: "no comparison")."""
    return compare(spec_rule(kpi), current, previous, is_covered, provisional)


def change_cell(change: Change, lang: str) -> dict:
    """A table cell of a change: ``text`` («▲ 2,1 điểm», a dash without one: the table's note
    says why), ``raw`` (points or
    percent, for sorting; None without one) and ``tone`` (``good`` | ``bad`` | ``neutral`` |
    ``none``)."""
    if change.status not in (Status.CHANGE, Status.FROM_ZERO):
        return {"text": DASH, "raw": None, "tone": "none"}
    flat = shown_flat(change)
    arrow = ARROWS[0 if flat else change.sign]
    raw = None if change.value is None else round(change.value * 100, 2)
    return {"text": f"{arrow} {amount_text(change, lang)}", "raw": raw, "tone": "neutral" if flat else change.tone}


def unit_change_note(kpi: Kpi, bases: Baselines, lang: str) -> str:
    """The by-unit table's note on its change column: the previous period compared, or why none."""
    first, last = fmt_date(bases.previous.start, lang), fmt_date(bases.previous.end - timedelta(days=1), lang)
    if not bases.previous_covered:
        return t("cmp2_units_not_covered", lang, kpi=kpi.label(lang), start=first, end=last)
    key = "cmp2_units_provisional" if bases.provisional else "cmp2_units_vs"
    return t(key, lang, kpi=kpi.label(lang), start=first, end=last)
