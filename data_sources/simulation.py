"""What the simulators share: their clock, local days, and "what changed since the last run".

A simulator plans each local day from its seed (the same seed gives the same city), then hands
over each item as it stands at the run's ``now``: a run sends the items with a transition
since the previous run (the watermark keeps when that was).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ioc.domain.local_time import utcnow
from ioc.sources import Batch, SourceSpec

StateAt = Callable[[pd.DataFrame, datetime], pd.DataFrame]


def run_now(spec: SourceSpec) -> datetime:
    """The run's clock (naive UTC): the ``now`` option (ISO text, for tests and demos) or the real time."""
    now = spec.option("now") or utcnow()
    if isinstance(now, str):
        now = datetime.fromisoformat(now)
    return now


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The local date in ``tz`` of a naive UTC ``moment``."""
    return moment.replace(tzinfo=UTC).astimezone(tz).date()


def local_days(start: date, end: date) -> Iterator[date]:
    """The days [start, end)."""
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def concat_nonempty(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The non-empty frames one after another (an empty frame if there are none)."""
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def changed_between(plan: pd.DataFrame, transitions: Sequence[str], since: datetime, now: datetime,
                    state_at: StateAt) -> pd.DataFrame:
    """The planned items with any ``transitions`` time in (since, now], as they stand at ``now``."""
    if plan.empty:
        return plan
    a, b = np.datetime64(since, "us"), np.datetime64(now, "us")
    touched = np.zeros(len(plan), dtype=bool)
    for col in transitions:
        values = plan[col].to_numpy()
        touched |= ~pd.isna(values) & (values > a) & (values <= b)
    return state_at(plan[touched], now)


def live_batch(spec: SourceSpec, tz: ZoneInfo, watermark: str | None, max_life_days: int, start_column: str,
               plan_day: Callable[[date], pd.DataFrame], changed: Callable[[pd.DataFrame, datetime, datetime],
                                                                        pd.DataFrame]) -> Batch:
    """One run of a live simulator whose items start at ``start_column``: the items started since its
    first run (``live_start``) that changed since the previous run (at most ``max_life_days`` back).
    ``plan_day`` plans a local day; ``changed`` is the family's :func:`changed_between`."""
    now = run_now(spec)
    state = json.loads(watermark) if watermark else {}
    live_start = datetime.fromisoformat(state["live_start"]) if "live_start" in state else now
    since = datetime.fromisoformat(state["until"]) if "until" in state else now - timedelta(
        seconds=spec.every_seconds)
    since = max(since, now - timedelta(days=max_life_days))
    first_day = local_date(max(live_start, now - timedelta(days=max_life_days)), tz)
    frames = []
    for day in local_days(first_day, local_date(now, tz) + timedelta(days=1)):
        plan = plan_day(day)
        if not plan.empty:
            plan = plan[plan[start_column] >= np.datetime64(live_start)]
            frames.append(changed(plan, since, now))
    records = concat_nonempty(frames)
    return Batch(records=records, fetched=len(records),
                 watermark=json.dumps({"live_start": live_start.isoformat(), "until": now.isoformat()}))


# --- where simulated records are: the map in force on their date ------------------------------

# Generation geometry (where simulated activity concentrates): the district-level units of
# 2023 with their centroids (domain.md §2), read from the units data. Records are then placed on
# the map in force on their own date.
def district_centroids() -> dict[str, tuple[float, float, str]]:
    """code → (lat, lon, name) of the district-level units of 2023."""
    from ioc.domain.units import UnitMap

    return {u.code: (u.lat, u.lon, u.name) for u in UnitMap.default().on(date(2024, 1, 1)) if u.level == "district"}


def place_on_day(day: date, lat: np.ndarray, lon: np.ndarray) -> tuple[list[str], list[str], list[str]]:
    """For points of local ``day``: the commune in force (code and name) and the name of the
    local government that handles it (the district-level unit before 1 July 2025, the commune
    after)."""
    from ioc.domain.units import UnitMap

    units = UnitMap.default()
    n = len(lat)
    codes, districts, _current = units.place_many([day] * n, [""] * n, list(lat), list(lon))
    names = {u.code: u.name for u in units.on(day)}
    unit_names = [names.get(c, "") for c in codes]
    authority = [names.get(d, "") if d else names.get(c, "") for c, d in zip(codes, districts, strict=True)]
    return codes, unit_names, authority
