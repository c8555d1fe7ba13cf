"""The plain logic behind every page's filter callbacks (no decorators, no Dash context).

:mod:`callbacks.filters` wires these to Dash once for every family; tests call them directly.
Control values in, plain values out:

- :func:`selection_from_controls`: the controls' values (date-picker's first and last day,
  then one value per filter) as a validated :class:`~ioc.kpi.filters.Selection`;
- :func:`url_search`: the query string the URL shows for them;
- :func:`period_sync`: what a preset, edited dates, the reset button or a live notice (the
  day rolled over) change in the filter bar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from dash import no_update

from ioc.kpi.filters import PERIOD, Filter, Problem, Selection, parse_params
from layouts.components import error_banner
from layouts.query import match_preset, preset_dates

KEEP = no_update  # an output left as it is
DEFAULT_PRESET = "365"


def checked_controls(filters: Sequence[Filter], today: date, start: Any, last_day: Any,
                     *values: Any, known: Mapping[str, Iterable[str]] | None = None) -> tuple[Selection, list[Problem]]:
    """The controls' values as a validated selection, and the values that could not be used
    (what the page's banner names): ``start`` / ``last_day`` as the date picker gives them (the
    last day *included*, as the URL's ``to``), ``values`` one per non-period filter in
    declaration order; ``known``: by filter name, the codes the page lists. Bad or missing dates
    fall back to the default period's, bad values to "all" (the URL parser's rules)."""
    params: dict[str, object] = {}
    wrong_type: list[Problem] = []
    for f, value in zip([f for f in filters if f.kind != "period"], values, strict=False):
        # A dropdown sends a string (a multi-select a list of them); anything else is not a
        # choice, and a list for a single choice would silently become its last item.
        if isinstance(value, str) or (f.kind == "multi" and isinstance(value, list)
                                      and all(isinstance(v, str) for v in value)):
            params[f.url_key] = value
        elif value is not None:
            wrong_type.append(Problem(f.url_key, str(value)[:80], "reason_choice", f.default_text, f.label))
    if start and last_day:  # the URL's ``from`` / ``to`` are the picker's days, both included
        params.update({"from": str(start)[:10], "to": str(last_day)[:10]})
    selection, found = parse_params(filters, params, today, known)
    dates = [p for p in found if p.param in ("from", "to")]  # the period's first, as the URL parser reports them
    return selection, dates + wrong_type + [p for p in found if p not in dates]


def selection_from_controls(filters: Sequence[Filter], today: date, start: Any, last_day: Any,
                            *values: Any, known: Mapping[str, Iterable[str]] | None = None) -> Selection:
    """The validated selection of :func:`checked_controls`."""
    return checked_controls(filters, today, start, last_day, *values, known=known)[0]


def url_search(filters: Sequence[Filter], today: date, lang: str, start: str | None, last_day: str | None,
               *values: Any) -> str:
    """``?from=…&to=…&district=…&lang=…`` for the controls' values (a copied link reproduces the view)."""
    return selection_from_controls(filters, today, start, last_day, *values).search(lang)


def url_and_banner(filters: Sequence[Filter], today: date, lang: str, start: Any, last_day: Any,
                   *values: Any, known: Mapping[str, Iterable[str]] | None = None) -> tuple:
    """What the controls change: the URL's query string (the selection used), and the page's
    banner as (lines, class name, role) naming the values that could not be used; the banner is
    left as it is (:data:`KEEP`) when every value was good, so the page's report of its URL stays."""
    selection, problems = checked_controls(filters, today, start, last_day, *values, known=known)
    if not problems:
        return selection.search(lang), KEEP, KEEP, KEEP
    banner = error_banner([p.message(lang) for p in problems])
    return selection.search(lang), banner.children, banner.className, "alert"


def _picker(dates: tuple[date, date]) -> tuple[str, str]:
    """[start, end) as the date picker's first and last day."""
    return dates[0].isoformat(), (dates[1] - timedelta(days=1)).isoformat()


def period_sync(trigger: str, preset: str | None, start: str | None, last_day: str | None, today: date,
                n_values: int) -> tuple:
    """The filter bar's (preset, start, last day, *values) after ``trigger``:

    - ``"preset"``: a preset sets the dates (``custom`` changes nothing);
    - ``"dates"``: edited dates select the matching preset, or ``custom``;
    - ``"reset"``: the last 365 days and every filter cleared;
    - ``"version"`` (a live notice): a rolling preset re-derives its dates and changes them only
      when the local day rolled over (a wall left open on "last 12 months").

    :data:`KEEP` marks what stays as it is; ``n_values`` is the number of filters after the dates.
    """
    keep_values = (KEEP,) * n_values
    if trigger == "reset":
        return DEFAULT_PRESET, *_picker(preset_dates(DEFAULT_PRESET, today)), *(None,) * n_values
    if trigger in ("preset", "version"):
        dates = preset_dates(preset or "custom", today)
        if dates is None:
            return KEEP, KEEP, KEEP, *keep_values
        s, last = _picker(dates)
        if trigger == "version" and (str(start)[:10], str(last_day)[:10]) == (s, last):
            return KEEP, KEEP, KEEP, *keep_values
        return KEEP, s, last, *keep_values
    if not (start and last_day):
        return KEEP, KEEP, KEEP, *keep_values
    period = selection_from_controls((PERIOD,), today, start, last_day).period
    matched = match_preset(period.start, period.end, today)
    return (matched if matched != preset else KEEP), KEEP, KEEP, *keep_values
