"""Controls from filter declarations: one function turns a :class:`~ioc.kpi.filters.Filter`
(+ its options, the current value, the language) into its control, and one builds a page's
filter bar from the family's tuple of filters.

A page's filter bar is declared by a :class:`FilterBar`: the family, its filters and the prefix
of its ids (``fb`` → ``fb-preset``, ``fb-dates``, ``fb-district``, ``fb-reset``, ``fb-url``,
``fb-period-note``), so the page and :mod:`callbacks.filters` derive the same ids from it.
Plain values in, components out: no store, no callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dash import dcc, html

from ioc.i18n import t
from ioc.kpi.filters import Filter, Selection
from layouts.query import PRESETS, match_preset


@dataclass(frozen=True)
class FilterBar:
    """A page's filter bar: the family's filters and the prefix of its components' ids.

    ``classes``: extra class names of a filter's field (by filter name); ``labels``: option
    labels ``(code, lang) → text`` where the page words them otherwise than the declaration;
    ``known``: by filter name, the codes the page lists for a filter without a static
    vocabulary (a value sent for it that is not one of them is named and ignored).
    """

    family: str
    filters: tuple[Filter, ...]
    prefix: str
    classes: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, Callable[[str, str], str]] = field(default_factory=dict, compare=False)
    known: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def id(self, part: str) -> str:
        """``preset``, ``dates``, ``reset``, ``url``, ``period-note`` or a filter's URL key."""
        return f"{self.prefix}-{part}"

    @property
    def choices(self) -> tuple[Filter, ...]:
        """The filters other than the period, in declaration order (the controls after the dates)."""
        return tuple(f for f in self.filters if f.kind != "period")

    @property
    def control_ids(self) -> tuple[str, ...]:
        return tuple(self.id(f.url_key) for f in self.choices)


def preset_options(lang: str) -> list[dict]:
    return [{"label": t(f"preset_{p}", lang), "value": p} for p in (*PRESETS, "custom")]


def field_div(label: str, control: Any, cls: str = "") -> html.Div:
    """A labelled filter field."""
    return html.Div([html.Label(label, className="filter-label"), control], className=f"filter {cls}".strip())


def control(flt: Filter, control_id: str, lang: str, value: Any = None, options: Sequence[dict] | None = None,
            today: date | None = None, label: Callable[[str, str], str] | None = None) -> Any:
    """The control of ``flt``: a date-range picker for the period (``value`` a
    :class:`~ioc.kpi.periods.Period`, ``today`` the last day one may pick), else a dropdown of
    ``options`` (default: the declaration's, with the current value kept)."""
    if flt.kind == "period":
        return dcc.DatePickerRange(
            id=control_id, start_date=value.start.isoformat(), end_date=(value.end - timedelta(days=1)).isoformat(),
            display_format="DD/MM/YYYY", first_day_of_week=1, max_date_allowed=(today or value.end).isoformat(),
            minimum_nights=0, number_of_months_shown=2, updatemode="bothdates")
    if options is None:
        options = flt.options(lang, current=value, label=label)
    extra: dict[str, Any] = {"multi": True} if flt.kind == "multi" else {}
    if len(options) > LONG_LIST:  # a long list (the 40 communes): a taller menu, words of the page's language
        extra.update(maxHeight=LONG_LIST_HEIGHT, labels=dropdown_labels(lang))
    return dcc.Dropdown(id=control_id, options=list(options), value=value, placeholder=t(flt.placeholder, lang),
                        clearable=True, **extra)


LONG_LIST = 15
LONG_LIST_HEIGHT = 420  # px: ten options or so (the default, 200 px, shows three)


def dropdown_labels(lang: str) -> dict[str, str]:
    """The dropdown's own words (its search box, no match) in the page's language."""
    return {"search": t("dropdown_search", lang), "no_options_found": t("dropdown_no_match", lang)}


def filter_bar(bar: FilterBar, selection: Selection, today: date, lang: str,
               options: Mapping[str, Sequence[dict]] | None = None) -> html.Div:
    """The page's filter bar for ``selection``: period preset, dates, one control per filter,
    reset, the period note. ``options`` by filter name overrides the declaration's."""
    options = options or {}
    period = selection.period
    fields = [
        field_div(t("period", lang), dcc.Dropdown(
            id=bar.id("preset"), options=preset_options(lang), value=match_preset(period.start, period.end, today),
            clearable=False, searchable=False), "filter-preset"),
        field_div(t("date_range", lang), control(bar.filters[0], bar.id("dates"), lang, period, today=today),
                  "filter-dates"),
    ]
    for flt in bar.choices:
        fields.append(field_div(t(flt.label, lang), control(
            flt, bar.id(flt.url_key), lang, selection.get(flt.name), options.get(flt.name), label=bar.labels.get(flt.name),
        ), bar.classes.get(flt.name, "")))
    fields += [html.Div(html.Button(t("reset", lang), id=bar.id("reset"), n_clicks=0, className="btn"),
                        className="filter filter-actions"),
               html.Div(id=bar.id("period-note"), className="period-note")]
    return html.Div(fields, className="filter-bar")

