"""The period still running on a trend chart, drawn as provisional (tạm tính).

The bucket that holds today (local) has not ended: its counts still grow and its rates still
move, so drawn like the others it reads as a drop. Every trend chart of every family marks it
the same way, with the functions here: its bars hatched and lighter (:func:`bar_marker`), its
line segment dotted with hollow markers (:func:`add_line`), its span shaded with «Tạm tính» /
"Provisional" written where the shading starts (:func:`shade`), and its hover saying so
(:func:`hover_notes`).

Buckets are given by their local start (naive timestamps, as :mod:`ioc.kpi` returns them) and
their length (``day``, ``week``, ``month``, ``quarter``, ``year``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ioc.i18n import t

#: the shading behind provisional periods (also the Admin page's "still open" periods)
FILL = "rgba(148, 163, 184, .12)"
NOTE_COLOUR = "#9fb0c6"  # layouts.figures.MUTED (figures imports this module: no cycle)
HATCH = "/"
#: a provisional bar's opacity against 1 for the others
BAR_OPACITY = 0.55
#: a bucket's length in days: the shading's half-widths and bar widths on a date axis
BUCKET_DAYS = {"day": 1.0, "week": 7.0, "month": 30.4, "quarter": 91.3, "year": 365.25}
_OFFSETS = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(days=7), "month": pd.DateOffset(months=1),
            "quarter": pd.DateOffset(months=3), "year": pd.DateOffset(years=1)}


def period_ends(starts: Sequence[Any] | pd.Series, freq: str) -> pd.DatetimeIndex:
    """Each bucket's end (exclusive, local): its start plus one ``freq``."""
    if freq not in _OFFSETS:
        raise ValueError(f"unknown bucket length {freq!r} (expected one of {', '.join(_OFFSETS)})")
    return pd.DatetimeIndex(pd.to_datetime(list(starts))) + _OFFSETS[freq]


def running(starts: Sequence[Any] | pd.Series, freq: str, today: date | None) -> np.ndarray:
    """Per bucket (local start): whether it has not ended before ``today`` (local date), i.e. it
    holds today or lies ahead, so its figures are still provisional. ``today=None``: none."""
    if today is None or not len(starts):
        return np.zeros(len(starts), dtype=bool)
    return np.asarray(period_ends(starts, freq) > pd.Timestamp(today), dtype=bool)


def hover_notes(flags: Sequence[bool] | np.ndarray, lang: str) -> list[str]:
    """Text to append to each point's hover: `` · tạm tính`` on provisional ones, else empty."""
    note = " · " + t("provisional", lang)
    return [note if f else "" for f in flags]


def bar_marker(flags: Sequence[bool] | np.ndarray, colour: str, **extra: Any) -> dict:
    """A bar trace's marker: provisional bars hatched and lighter, the others plain."""
    flags = list(flags)
    if not any(flags):
        return dict(color=colour, **extra)
    return dict(color=colour, opacity=[BAR_OPACITY if f else 1.0 for f in flags],
                pattern=dict(shape=[HATCH if f else "" for f in flags], fgcolor="#e6edf5", fgopacity=0.55, size=7,
                             solidity=0.25, fillmode="overlay"), **extra)


def split_line(values: Sequence[Any] | pd.Series, flags: Sequence[bool] | np.ndarray) -> tuple[list, list]:
    """A line's values as (settled, provisional): the settled points, and the provisional ones
    with the settled point just before them (so the dotted segment starts where the solid line
    ends). Missing values stay missing (None) in both."""
    vals = [None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else v for v in values]
    flags = [bool(f) for f in flags]
    settled = [None if f else v for v, f in zip(vals, flags, strict=True)]
    joined = [v if f or (i + 1 < len(flags) and flags[i + 1] and not f) else None
              for i, (v, f) in enumerate(zip(vals, flags, strict=True))]
    return settled, joined


def add_line(fig: go.Figure, x: Sequence[Any] | pd.Series, y: Sequence[Any] | pd.Series,
             flags: Sequence[bool] | np.ndarray, *, name: str, line: dict, hovertemplate: str,
             marker: dict | None = None, mode: str = "lines+markers", customdata: Sequence[Any] | None = None,
             lang: str, notes: Sequence[str] | None = None, **extra: Any) -> None:
    """Add a line trace whose provisional points are drawn dotted with hollow markers.

    Without provisional points this is one ordinary scatter trace. With some, three traces of
    one legend group: the settled line (its legend entry and hover), the dotted segment from the
    last settled point on (no hover, so that point is not listed twice), and hollow markers on
    the provisional points whose hover says « · tạm tính» (appended to ``customdata`` when it is
    given, which ``hovertemplate`` then shows; else added to ``hovertemplate`` before ``<extra>``);
    ``notes`` replaces that note per point (a chart that knows more, e.g. how much is still open)."""
    flags = np.asarray(flags, dtype=bool)
    marker = dict(marker or {})
    if not flags.any():
        fig.add_scatter(x=x, y=y, name=name, mode=mode, line=line, marker=marker or None, customdata=customdata,
                        hovertemplate=hovertemplate, **extra)
        return
    x, y = list(x), list(y)
    settled, joined = split_line(y, flags)
    group = extra.pop("legendgroup", None) or name
    fig.add_scatter(x=x, y=settled, name=name, mode=mode, line=line, marker=marker or None, customdata=customdata,
                    hovertemplate=hovertemplate, legendgroup=group, connectgaps=False, **extra)
    fig.add_scatter(x=x, y=joined, name=name, mode="lines", line={**line, "dash": "dot"}, hoverinfo="skip",
                    showlegend=False, legendgroup=group, connectgaps=False, **extra)
    notes = list(notes) if notes is not None else hover_notes(flags, lang)
    if customdata is not None:
        custom = [f"{c}{n}" for c, n in zip(customdata, notes, strict=True)]
        template = hovertemplate
    else:
        custom = notes
        head, sep, tail = hovertemplate.partition("<extra>")
        template = f"{head}%{{customdata}}{sep}{tail}"
    size = marker.get("size", 6)
    size = max(size) if isinstance(size, list | tuple) else size
    fig.add_scatter(x=[v for v, f in zip(x, flags, strict=True) if f], y=[v for v, f in zip(y, flags, strict=True) if f],
                    name=name, mode="markers", showlegend=False, legendgroup=group,
                    marker=dict(symbol="circle-open", size=max(8, size + 3), color=line.get("color"),
                                line=dict(width=2, color=line.get("color"))),
                    customdata=[c for c, f in zip(custom, flags, strict=True) if f], hovertemplate=template, **extra)


def shade(fig: go.Figure, starts: Sequence[Any] | pd.Series, flags: Sequence[bool] | np.ndarray, freq: str,
          lang: str, text: str | None = None) -> None:
    """Shade the provisional buckets (from the first to the last flagged one, half a bucket on
    each side of their starts, where the bars stand) and write ``text`` (default «Tạm tính (kỳ
    chưa kết thúc)») just above the plot, ending where the shading starts: in the legend's row
    (legends start on the left), never over the data. Nothing when no bucket is flagged; a
    chart calling this keeps a top margin of at least :data:`NOTE_MARGIN` px."""
    flags = np.asarray(flags, dtype=bool)
    if not flags.any():
        return
    starts = pd.to_datetime(pd.Series(list(starts)))
    half = pd.Timedelta(days=BUCKET_DAYS[freq] / 2)
    x0 = starts[flags].min() - half
    # a shape, not add_vrect (which validates the whole layout again: a few ms a chart)
    fig.add_shape(type="rect", xref="x", x0=x0, x1=starts[flags].max() + half, yref="y domain", y0=0, y1=1,
                  fillcolor=FILL, line_width=0, layer="below")
    fig.add_annotation(text=text or t("provisional_period", lang), font=dict(color=NOTE_COLOUR, size=11),
                       xref="x", x=x0, xanchor="right", yref="paper", y=1, yanchor="bottom", showarrow=False)


#: the top margin (px) that leaves room for :func:`shade`'s note above the plot
NOTE_MARGIN = 24
