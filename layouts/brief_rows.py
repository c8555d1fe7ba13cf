"""The brief's KPI rows (issue #16): each family's headline KPIs with their targets, traffic
lights and changes against the previous period and a year before, in a language; pure, from a
:class:`ioc.brief.Brief`. The report page (:mod:`layouts.brief`) and the XLSX share them.

Each family's headline KPIs are listed in :data:`HEADLINES` with their targets, the same
targets the pages draw (the settings' ``IOC_TARGET_*``, the 70 % online target of
:mod:`layouts.admin_shaping`, the cameras' uptime target in their KPI set); a system declared
by a spec file brings its own (its Overview KPIs, with their target and direction).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ioc.i18n import fmt_date, fmt_hours, fmt_int, fmt_local_datetime, fmt_number, fmt_pct, fmt_vnd, t
from ioc.kpi.compare import Change, Direction, Kind, Rule, Status, compare, compare_sets
from layouts.admin_shaping import ONLINE_TARGET
from layouts.compare_shaping import ARROWS, amount_text
from layouts.shaping import tile_state

#: value kinds: how a KPI value is written (and stored in the XLSX)
KINDS = ("int", "pct", "pct100", "vnd", "hours", "number", "mm", "score")


@dataclass(frozen=True)
class Headline:
    """One KPI of a brief: ``key`` in the family's KPI set, its label's catalogue key, how its
    value is written, and its target: ``(brief, kpis) → (target, "higher"|"lower")`` or None."""

    key: str
    label_key: str
    kind: str
    target: Callable[[Any, Mapping[str, Any]], tuple[float, str] | None] | None = None


def _setting(name: str) -> Callable[[Any, Mapping[str, Any]], tuple[float, str]]:
    return lambda brief, _kpis: (float(brief.targets[name]), "higher")


def _fixed(value: float) -> Callable[[Any, Mapping[str, Any]], tuple[float, str]]:
    return lambda _brief, _kpis: (value, "higher")


def _uptime_target(_brief: Any, kpis: Mapping[str, Any]) -> tuple[float, str] | None:
    target = kpis.get("uptime_target_pct")
    return None if target is None else (float(target), "higher")


#: the headline KPIs of the families written as code, in order (systems: their spec's Overview)
HEADLINES: dict[str, tuple[Headline, ...]] = {
    "feedback": (
        Headline("received", "kpi_received", "int"),
        Headline("processed_rate", "kpi_processed_rate", "pct", _setting("target_processed")),
        Headline("on_time_rate", "kpi_on_time_rate", "pct", _setting("target_on_time")),
        Headline("satisfaction_rate", "kpi_satisfaction_rate", "pct", _setting("target_satisfaction")),
        Headline("overdue", "kpi_overdue", "int"),
    ),
    "traffic": (
        Headline("violations", "traffic_kpi_violations", "int"),
        Headline("fines_issued_vnd", "traffic_kpi_fines_issued_vnd", "vnd"),
        Headline("collection_rate", "traffic_kpi_collection_rate", "pct"),
        Headline("satisfaction_rate", "traffic_kpi_satisfaction_rate", "pct", _setting("target_satisfaction")),
        Headline("fine_out_of_range", "traffic_kpi_fine_out_of_range", "int"),
    ),
    "cameras": (
        Headline("online", "cam_kpi_online", "int"),
        Headline("offline_30m", "cam_kpi_offline_30m", "int"),
        Headline("uptime_pct", "cam_kpi_uptime", "pct100", _uptime_target),
        Headline("events", "cam_kpi_events", "int"),
    ),
    "environment": (
        Headline("reporting_stations", "env_kpi_reporting", "int"),
        Headline("completeness_overall", "env_kpi_completeness", "pct"),
    ),
    "admin": (
        Headline("received", "admin_kpi_received", "int"),
        Headline("on_time_rate", "admin_kpi_on_time_rate", "pct", _setting("target_on_time")),
        Headline("overdue", "admin_kpi_overdue", "int"),
        Headline("online_rate", "admin_kpi_online_rate", "pct", _fixed(ONLINE_TARGET)),
        Headline("score_766", "admin_kpi_score_766", "score"),
    ),
    "warnings": (
        Headline("in_force", "wn_kpi_in_force", "int"),
        Headline("issued", "wn_kpi_issued", "int"),
        Headline("cancelled", "wn_kpi_cancelled", "int"),
    ),
    "flood": (
        Headline("highest_alarm", "fl_kpi_highest_alarm", "int"),
        Headline("stations_at_alarm", "fl_kpi_stations_at_alarm", "int"),
        Headline("max_rain_24h_mm", "fl_kpi_max_rain_24h", "mm"),
        Headline("reporting_stations", "fl_kpi_reporting", "int"),
    ),
    "vessels": (
        Headline("at_sea", "vs_kpi_at_sea", "int"),
        Headline("silent_6h", "vs_kpi_silent_6h", "int"),
        Headline("outside_zone", "vs_kpi_outside", "int"),
        Headline("at_sea_in_warning", "vs_kpi_in_warning", "int"),
    ),
}


# --- values -----------------------------------------------------------------------------------


def number_of(value: Any, kind: str) -> float | None:
    """The KPI's value as a plain number (the 766 score: its points), None when missing."""
    if kind == "score":
        value = value.get("total_points") if isinstance(value, Mapping) and value.get("measured_max_points") else None
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if isinstance(value, float) and math.isnan(value) else float(value)


def fmt_value(value: float | None, kind: str, lang: str, unit: str = "") -> str:
    """A KPI value as the pages write it (``93,8 %``, ``9.143``, ``296.050.000 ₫``)."""
    if value is None:
        return "–"
    if kind == "int":
        return fmt_int(value, lang)
    if kind == "pct":
        return fmt_pct(value, lang)
    if kind == "pct100":
        return fmt_pct(value / 100, lang)
    if kind == "vnd":
        return fmt_vnd(value, lang)
    if kind == "hours":
        return fmt_hours(value, lang)
    if kind == "mm":
        return f"{fmt_number(value, lang, 1)}\u00a0mm"
    text = fmt_int(value, lang) if float(value).is_integer() else fmt_number(value, lang, 1)
    return f"{text}\u00a0{unit}" if unit else text


def _state(value: float | None, target: tuple[float, str] | None, kind: str) -> str:
    if target is None:
        return "info"
    goal, direction = target
    if kind == "pct100":
        value, goal = (None if value is None else value / 100), goal / 100
    if direction == "lower":
        return tile_state(None if value is None else -value, -goal)
    return tile_state(value, goal)


@dataclass(frozen=True)
class KpiRow:
    family: str
    family_label: str
    key: str
    label: str
    kind: str
    value: float | None
    value_text: str
    target: float | None
    target_text: str
    direction: str | None
    state: str  # good / warn / bad / none / info (no target)
    previous: Delta | None = None  # the change against the previous period (None: no rule)
    year: Delta | None = None  # against the same period a year before (None: no rule, or a snapshot)


def _spec_headlines(spec: Any, lang: str) -> list[tuple[Headline, str, tuple[float, str] | None, str]]:
    rows = []
    for name in spec.overview:
        kpi = next((k for k in spec.kpis if k.name == name), None)
        if kpi is None:
            continue
        kind = "pct" if kpi.percent else "int" if kpi.type in ("count", "sum") and kpi.unit is None else "number"
        unit = kpi.unit(lang) if kpi.unit is not None else ""
        target = (float(kpi.target), kpi.direction or "higher") if kpi.target is not None else None
        rows.append((Headline(name, "", kind), kpi.label(lang), target, unit))
    return rows


@dataclass(frozen=True)
class Delta:
    """A KPI's change against one earlier period as the brief writes it: arrow and size
    (``▲ 2,1 điểm``, ``▼ 12 %``) or why there is none; its tone (good / bad / neutral / none)
    by the KPI's direction; the change as a number (a ratio difference for a rate, a relative
    change otherwise; None without one)."""

    text: str
    tone: str
    value: float | None


def delta_of(change: Change, lang: str) -> Delta:
    """A change as the brief and the scorecard write it (arrow and size, or why there is none)."""
    if change.status in (Status.CHANGE, Status.FROM_ZERO):
        return Delta(f"{ARROWS[change.sign]} {amount_text(change, lang)}", change.tone, change.value)
    if change.status == Status.NOT_COMPARABLE:
        return Delta(t("cmp_snapshot", lang), "none", None)
    return Delta(t("cmp_no_comparison", lang), "none", None)


_RATE_UP = Rule(Kind.RATE, Direction.HIGHER)


def rank_change(value: float, change: float, covered: bool, lang: str) -> Delta:
    """A ranked unit's change of a rate (higher better) against the previous period: ``change``
    the ratio difference, NaN when the unit had no rate then or the history does not cover it."""
    if math.isnan(change) or math.isnan(value):
        return Delta(t("cmp_no_comparison", lang), "none", None)
    return delta_of(compare(_RATE_UP, value, value - change, covered), lang)


def _changes(fb: Any, heads: list[Headline], lang: str) -> dict[str, tuple[Delta | None, Delta | None]]:
    """Per headline key, its changes against the previous period and the year before, by the
    family's rules (:func:`ioc.brief.comparison_rules`); empty for a family without rules."""
    if fb.bases is None or not fb.rules:
        return {}
    kinds = {h.key: h.kind for h in heads if h.key in fb.rules}

    def values(kpis: Mapping[str, Any] | None) -> dict[str, float | None] | None:
        return None if kpis is None else {k: number_of(kpis.get(k), kind) for k, kind in kinds.items()}

    sets = compare_sets(fb.code, list(kinds), values(fb.kpis), values(fb.previous), values(fb.year), fb.bases,
                        rules=fb.rules)
    return {key: (delta_of(c.previous, lang), None if c.previous.status == Status.NOT_COMPARABLE else
                  delta_of(c.year, lang)) for key, c in sets.items()}


def kpi_rows(brief: Any, lang: str, families: Any = None) -> list[KpiRow]:
    """Every family's headline KPIs with their targets and traffic lights, in the brief's order."""
    from ioc.registry import registry

    reg = families if families is not None else {f.code: f for f in registry().families}
    out: list[KpiRow] = []
    for fb in brief.families:
        fam = reg.get(fb.code)
        if fam is None:
            continue
        label = fam.label(lang)
        if fb.code in HEADLINES:
            specs = [(h, t(h.label_key, lang), h.target(brief, fb.kpis) if h.target else None, "")
                     for h in HEADLINES[fb.code]]
        elif getattr(fam, "spec", None) is not None:
            specs = _spec_headlines(fam.spec, lang)
        else:
            continue
        changes = _changes(fb, [h for h, *_ in specs], lang)
        for head, head_label, target, unit in specs:
            value = number_of(fb.kpis.get(head.key), head.kind)
            if head.kind == "score":
                score = fb.kpis.get(head.key) or {}
                text = "–" if value is None else t("admin_score_value", lang, p=fmt_number(value, lang, 1),
                                                  m=fmt_int(score.get("measured_max_points"), lang))
            else:
                text = fmt_value(value, head.kind, lang, unit)
            target_text = "" if target is None else \
                f"{'≥' if target[1] == 'higher' else '≤'} {fmt_value(target[0], head.kind, lang, unit)}"
            if head.kind == "pct" and target is not None:
                target_text = f"{'≥' if target[1] == 'higher' else '≤'} {fmt_pct(target[0], lang, 0)}"
            out.append(KpiRow(fb.code, label, head.key, head_label, head.kind, value, text,
                              None if target is None else target[0], target_text,
                              None if target is None else target[1], _state(value, target, head.kind),
                              *changes.get(head.key, (None, None))))
    return out


def kpi_frame(brief: Any, lang: str) -> pd.DataFrame:
    """The KPI rows as the XLSX sheet: labelled columns in ``lang``, numbers left as numbers."""
    rows = kpi_rows(brief, lang)
    cols = [t(f"brief_col_{c}", lang) for c in ("family", "kpi", "value", "value_text", "target", "state",
                                                   "previous", "year")]
    return pd.DataFrame([[r.family_label, r.label, r.value, r.value_text, r.target,
                          t(f"brief_state_{r.state}", lang), _change_text(r.previous), _change_text(r.year)]
                         for r in rows], columns=cols)


def _change_text(delta: Delta | None) -> str:
    return "" if delta is None else delta.text


def sheet_title(lang: str) -> str:
    return t("brief_sheet", lang)


def period_text(brief: Any, lang: str) -> str:
    first, last = brief.period.start, brief.last_day
    if first == last:
        return fmt_date(first, lang)
    return t("brief_period_span", lang, start=fmt_date(first, lang), end=fmt_date(last, lang))


def filters_text(brief: Any, lang: str) -> str:
    if not brief.filters:
        return t("brief_no_filters", lang)
    return ", ".join(f"{k} = {v}" for k, v in brief.filters.items())


def meta(brief: Any, lang: str) -> dict[str, Any]:
    """The brief's facts for the XLSX's information sheet."""
    return {
        t("brief_title", lang): t("brief_title", lang),
        t("brief_period", lang): period_text(brief, lang),
        t("brief_filters", lang): filters_text(brief, lang),
        t("brief_generated", lang): fmt_local_datetime(brief.generated_at, brief.tz, lang),
        t("brief_simulated_flag", lang): t("brief_yes", lang) if brief.simulated else t("brief_no", lang),
        t("brief_provisional_flag", lang): t("brief_yes", lang) if brief.provisional else t("brief_no", lang),
    }
