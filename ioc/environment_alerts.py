"""Air-quality alerts as episodes of a station's hourly series (pure: no I/O).

Two kinds, each with a start and, once the condition is over, an end (naive UTC):

* ``aqi_bad``: the hourly VN_AQI reaches Xấu (≥ :data:`BAD_AQI`) or worse. The episode starts
  at the first such hour and ends at the start of the first later hour whose AQI is below
  151. Hours without an AQI do not end it, unless :data:`SILENCE_HOURS` of them follow one
  another: then it ends one hour after its last bad hour (the station's silence is the
  ``no_data`` alert's business). Severity: the category of the episode's peak.
* ``no_data``: a station that has reported before sends nothing for :data:`SILENCE_HOURS`
  whole hours. The episode starts at the end of the last reported hour and ends at the
  start of the next reported hour. Severity ``warning``.

An episode is *active* (no end yet) when its condition still holds at ``now``: for
``no_data``, nothing reported since; for ``aqi_bad``, no lower hour since the last bad one
and less than :data:`SILENCE_HOURS` hours of silence after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ioc.domain.aqi import category_for

BAD_AQI = 151
SILENCE_HOURS = 3
KINDS = ("aqi_bad", "no_data")
_H = timedelta(hours=1)


@dataclass(frozen=True)
class Episode:
    kind: str
    key: str
    severity: str
    started_at: datetime
    ended_at: datetime | None
    details: dict[str, Any] = field(default_factory=dict)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of ``mask``."""
    if not len(mask):
        return []
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def no_data_episodes(key: str, reported_hours: list[datetime], since: datetime, now: datetime,
                     reported_before: datetime | None = None) -> list[Episode]:
    """Silences of ≥ 3 whole hours from ``since`` up to ``now``.

    ``reported_hours``: the hours (starts) in [since, now] with at least one observation,
    any quality; ``reported_before``: the last such hour before ``since`` (None: never).
    """
    hours = sorted(set(reported_hours))
    out = []
    previous = reported_before
    for hour in [*hours, None]:
        if previous is not None:
            silent_from = previous + _H  # the end of the last reported hour
            until = hour if hour is not None else now
            if until - silent_from >= timedelta(hours=SILENCE_HOURS):
                out.append(Episode("no_data", key, "warning", silent_from, hour,
                                   {"last_hour": previous.isoformat(), "hours": _hours(silent_from, until)}))
        previous = hour if hour is not None else previous
    return out


def bad_air_episodes(key: str, hours: list[datetime], aqi: list[float | None], now: datetime,
                     dominant: list[str | None] | None = None) -> list[Episode]:
    """Episodes of hourly AQI ≥ 151 in the series (hour starts, ascending; AQI or None)."""
    if not hours:
        return []
    start = hours[0]
    n = int((hours[-1] - start) / _H) + 1
    grid = np.full(n, np.nan)
    idx = np.array([int((h - start) / _H) for h in hours])
    grid[idx] = np.array([np.nan if a is None else float(a) for a in aqi])
    doms = np.full(n, None, dtype=object)
    if dominant is not None:
        doms[idx] = dominant
    bad = grid >= BAD_AQI
    low = grid < BAD_AQI  # an hour that ends an episode
    out = []
    i = 0
    bad_idx = np.flatnonzero(bad)
    while i < len(bad_idx):
        first = last = int(bad_idx[i])
        end: datetime | None = None
        j = first + 1
        while j < n:
            if bad[j]:
                last = j
            elif low[j]:
                end = start + j * _H
                break
            elif j - last >= SILENCE_HOURS:
                end = start + (last + 1) * _H
                break
            j += 1
        if end is None and (now - (start + (last + 1) * _H)) >= timedelta(hours=SILENCE_HOURS):
            end = start + (last + 1) * _H  # silent since: the bad air is no longer known
        seg = grid[first:last + 1]
        peak_i = first + int(np.nanargmax(seg))
        peak = int(grid[peak_i])
        out.append(Episode("aqi_bad", key, category_for(peak).code, start + first * _H, end, {
            "peak_aqi": peak, "peak_hour": (start + peak_i * _H).isoformat(), "dominant": doms[peak_i],
            "hours": int(np.count_nonzero(bad[first:last + 1])),
        }))
        i = int(np.searchsorted(bad_idx, j if end is not None else n))
    return out


def _hours(a: datetime, b: datetime) -> int:
    return int((b - a) / _H)
