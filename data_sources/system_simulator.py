"""The simulated source of a spec-declared system — SIMULATED DATA ONLY.

Everything comes from the spec's ``[simulation]`` table (docs/systems.md): events a day on
average (``per_day``), shaped by hour-of-day, day-of-week and month weights; each dimension's
codes drawn by their weights (uniform when none are given); a share of events with a position
around the city's district-level centres, placed on the map in force on their date; a value
and a handling time drawn from log-normal distributions with the given median and p90; and a
status flow (an event is ``open`` until it is handled, then one of the ``closed`` codes). An
``indicator`` spec's simulator writes the indicators listed in ``simulation.indicators``
(the level in ``simulation.base_year``, default 2023, and the change per year) per period of their
frequency, marked "simulated" in their citation; a
simulated value never replaces a published one (:func:`ioc.store.systems.ingest_indicators`).

Each local day is planned from (seed, system, day) with its own generator, so the history
written on first start and the live feed that follow agree event for event. The live feed
keeps the spec's pace (``per_day``), times ``IOC_SIMULATOR_SPEED`` (1 by default) for
demonstrations. The UI labels the data simulated whenever a simulator runs.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from data_sources.simulation import (
    changed_between,
    concat_nonempty,
    district_centroids,
    live_batch,
    local_date,
    local_days,
    place_on_day,
)
from ioc.domain.local_time import utcnow
from ioc.sources import Batch, Collector
from ioc.systems.records import SIMULATED, IndicatorRecord, parse_period
from ioc.systems.spec import SystemSpec

MAX_LIFE_DAYS = 60  # an event still open after this is left as it stands
BACKFILL_CHUNK_DAYS = 14  # days of history per batch (one write transaction each)
# Rows of live day plans kept per system between runs: every day of its life at the city's pace
# (≈ 60 × 550), about a week of a ×60 demonstration; older days are planned again when asked.
LIVE_PLAN_ROWS = 200_000
Z90 = 1.2815515655446004  # the standard normal's 0.9 quantile
TRANSITIONS = ("occurred_at", "handled_at")


def _lognormal(rng: np.random.Generator, pair: tuple[float, float], n: int) -> np.ndarray:
    median, p90 = pair
    sigma = max(math.log(p90 / median) / Z90, 1e-6)
    return rng.lognormal(math.log(median), sigma, n)


def _weights(values: tuple[str, ...], given: dict[str, float]) -> np.ndarray:
    p = np.array([given.get(v, 0.0 if given else 1.0) for v in values], dtype=float)
    return p / p.sum()


def _day_rate(spec: SystemSpec, day: date) -> float:
    sim = spec.simulation
    rate = sim.per_day
    if sim.weekly:
        rate *= sim.weekly[day.weekday()] / (sum(sim.weekly) / 7)
    if sim.monthly:
        rate *= sim.monthly[day.month - 1] / (sum(sim.monthly) / 12)
    return rate


def plan_day(spec: SystemSpec, seed: int, day: date, tz: ZoneInfo, prefix: str = "SIM",
             per_day: float | None = None) -> pd.DataFrame:
    """Every event of ``spec`` occurring on local ``day``, with its whole life."""
    sim = spec.simulation
    rng = np.random.default_rng([seed, zlib.crc32(spec.code.encode()), day.toordinal()])
    rate = _day_rate(spec, day) * ((per_day / sim.per_day) if per_day is not None and sim.per_day else 1.0)
    n = int(rng.poisson(max(rate, 0.0)))
    if n == 0:
        return pd.DataFrame()
    hourly = np.array(sim.hourly or (1.0,) * 24, dtype=float)
    hours = rng.choice(24, size=n, p=hourly / hourly.sum())
    seconds = hours * 3600 + rng.integers(0, 3600, n)
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    order = np.argsort(seconds, kind="stable")
    seconds = seconds[order]
    occurred = (np.datetime64(midnight, "s") + seconds.astype("timedelta64[s]")).astype("datetime64[us]")
    frame = pd.DataFrame({
        "external_id": [f"{prefix}-{spec.code}-{day:%Y%m%d}-{i:05d}" for i in range(n)],
        "occurred_at": occurred,
    })
    titles = [[] for _ in range(n)]
    flow = sim.flow
    for dim in spec.dimensions:
        codes = dim.codes
        if not codes:
            frame[dim.column] = ""
            continue
        given = sim.weights.get(dim.name, {})
        if flow and flow["dimension"] == dim.name:
            closed = tuple(flow["closed"])
            picked = rng.choice(len(closed), size=n, p=_weights(closed, given))
            frame["closed_code"] = np.array(closed, dtype=object)[picked]
            frame["flow_column"] = dim.column
            frame[dim.column] = flow["open"]
            continue
        picked = rng.choice(len(codes), size=n, p=_weights(codes, given))
        frame[dim.column] = np.array(codes, dtype=object)[picked]
        for i, k in enumerate(picked):
            titles[i].append(dim.values[k].label.vi)
    for column in ("d1", "d2", "d3"):
        if column not in frame:
            frame[column] = ""
    frame["title"] = [" · ".join(parts) or spec.label.vi for parts in titles]
    if "value" in spec.fields and sim.value is not None:
        values = _lognormal(rng, sim.value, n)
        frame["value"] = np.maximum(1, np.round(values)) if sim.value_integer else np.round(values, 2)
    else:
        frame["value"] = np.nan
    if sim.handling_hours is not None and ({"handled", "duration_hours"} & set(spec.fields)):
        hours_taken = _lognormal(rng, sim.handling_hours, n)
        frame["handled_at"] = occurred + (np.round(hours_taken * 3600).astype("int64")).astype("timedelta64[s]")
    else:
        frame["handled_at"] = pd.NaT
    centres = list(district_centroids().values())
    at = rng.integers(0, len(centres), n)
    lat = np.array([centres[k][0] for k in at]) + rng.normal(0, 0.03, n)
    lon = np.array([centres[k][1] for k in at]) + rng.normal(0, 0.03, n)
    codes, _districts, _names = place_on_day(day, lat, lon)
    frame["unit_code"] = codes if "unit" in spec.fields or "lat" in spec.fields else ""
    located = rng.random(n) < sim.located_share if "lat" in spec.fields else np.zeros(n, dtype=bool)
    frame["lat"] = np.where(located, np.round(lat, 5), np.nan)
    frame["lon"] = np.where(located, np.round(lon, 5), np.nan)
    return frame


def snapshot_day(spec: SystemSpec, day: date, tz: ZoneInfo, prefix: str = "SIM") -> pd.DataFrame:
    """The spec's daily snapshot events of local ``day`` (a value each, city-wide)."""
    rows = []
    for i, snap in enumerate(spec.simulation.snapshots):
        local = datetime.combine(day, datetime.min.time()).replace(hour=snap.hour, minute=5, tzinfo=tz)
        at = local.astimezone(UTC).replace(tzinfo=None)
        value = snap.value_on(day)
        row = {"external_id": f"{prefix}-{spec.code}-{day:%Y%m%d}-S{i}", "occurred_at": at, "handled_at": pd.NaT,
               "unit_code": "", "lat": np.nan, "lon": np.nan, "d1": "", "d2": "", "d3": "",
               "value": float(round(value)) if spec.simulation.value_integer else round(value, 2),
               "title": " · ".join(spec.dimension(n).term(c).label.vi for n, c in snap.where.items())}
        for name, code in snap.where.items():
            row[spec.dimension(name).column] = code
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["occurred_at"] = frame["occurred_at"].astype("datetime64[us]")
        frame["handled_at"] = frame["handled_at"].astype("datetime64[us]")
    return frame


def plan_with_snapshots(spec: SystemSpec, seed: int, day: date, tz: ZoneInfo, prefix: str = "SIM",
                        per_day: float | None = None) -> pd.DataFrame:
    """:func:`plan_day` and the day's snapshots."""
    plan = plan_day(spec, seed, day, tz, prefix, per_day)
    if not spec.simulation.snapshots:
        return plan
    snaps = snapshot_day(spec, day, tz, prefix)
    if plan.empty:
        return snaps
    if "closed_code" in plan:
        snaps = snaps.assign(closed_code=snaps[plan["flow_column"].iloc[0]], flow_column=plan["flow_column"].iloc[0])
    return pd.concat([plan, snaps], ignore_index=True)


def state_at(plan: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Each planned event as it stands at ``now`` (naive UTC), in the store's columns."""
    plan = plan[plan["occurred_at"] <= now]
    if plan.empty:
        return plan
    now64 = np.datetime64(now, "us")
    handled_at = plan["handled_at"].to_numpy(dtype="datetime64[us]")
    done = ~pd.isna(handled_at) & (handled_at <= now64)
    occurred = plan["occurred_at"].to_numpy(dtype="datetime64[us]")
    out = plan[["external_id", "occurred_at", "unit_code", "lat", "lon", "d1", "d2", "d3", "value", "title"]].copy()
    out["duration_h"] = np.where(done, (handled_at - occurred) / np.timedelta64(1, "h"), np.nan)
    out["updated_at"] = np.where(done, handled_at, occurred)
    if "closed_code" in plan:
        column = str(plan["flow_column"].iloc[0])
        out[column] = np.where(done, plan["closed_code"].to_numpy(dtype=object), plan[column].to_numpy(dtype=object))
    return out.reset_index(drop=True)


class _LivePlans:
    """A system's live day plans kept between runs (a run asks for every day of the last
    :data:`MAX_LIFE_DAYS`): planned once, dropped oldest day first beyond :data:`LIVE_PLAN_ROWS`.
    One per system; its source's runs never overlap (one job instance at a time)."""

    def __init__(self) -> None:
        self._plans: dict[tuple[int, date, str, float], pd.DataFrame] = {}

    def get(self, spec: SystemSpec, seed: int, day: date, tz: ZoneInfo, per_day: float) -> pd.DataFrame:
        key = (seed, day, tz.key, per_day)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = plan_with_snapshots(spec, seed, day, tz, "LIVE", per_day)
            while len(self._plans) > 1 and sum(len(f) for f in self._plans.values()) > LIVE_PLAN_ROWS:
                del self._plans[min(self._plans, key=lambda k: k[1])]
        return plan


def history(spec: SystemSpec, seed: int, start: date, end: date, now: datetime, tz: ZoneInfo) -> pd.DataFrame:
    """Simulated events of local days [start, end), as they stand at ``now``."""
    frames = []
    for day in local_days(start, end):
        plan = plan_with_snapshots(spec, seed, day, tz)
        if not plan.empty:
            frames.append(state_at(plan, now))
    return concat_nonempty(frames)


# --------------------------------------------------------------------------- indicators


def _periods(frequency: str, start: date, end: date) -> Iterator[str]:
    """Labels of the periods of ``frequency`` that ended in ``(start, end]`` (a period ends on
    the day after its last, exclusive)."""
    year, month = start.year, (1 if frequency == "year" else start.month)
    if frequency == "quarter":
        month = 3 * ((month - 1) // 3) + 1
    step = {"year": 12, "quarter": 3, "month": 1}[frequency]
    while True:
        if frequency == "year":
            label = f"{year}"
        elif frequency == "quarter":
            label = f"{year}-Q{(month - 1) // 3 + 1}"
        else:
            label = f"{year}-{month:02d}"
        _text, _freq, _period_start, period_end = parse_period(label)
        if period_end > end:
            return
        if period_end > start:
            yield label
        month += step
        while month > 12:
            month -= 12
            year += 1


def indicator_history(spec: SystemSpec, seed: int, start: date, end: date) -> list[IndicatorRecord]:
    """Simulated values of the indicators listed in ``simulation.indicators`` for the periods
    that ended in ``(start, end]``, marked simulated."""
    out = []
    for code, (level, drift) in spec.simulation.indicators.items():
        term = spec.dimension("indicator").term(code)
        frequency = term.frequency or "year"
        for label in _periods(frequency, start, end):
            text, freq, period_start, period_end = parse_period(label)
            rng = np.random.default_rng([seed, zlib.crc32(f"{spec.code}/{code}/{text}".encode())])
            years = (period_start - date(spec.simulation.base_year, 1, 1)).days / 365.25
            value = (level + drift * years) * (1 + rng.normal(0, 0.03))
            out.append(IndicatorRecord(code, text, freq, period_start, period_end, "", round(float(value), 2),
                                       term.target, None, None, SIMULATED))
    return out


def simulator_for(spec: SystemSpec) -> type[Collector]:
    """The simulated source of ``spec`` (the embedded default runs it)."""

    live_plans = _LivePlans()

    class SystemSimulator(Collector):
        """Live simulated feed at the spec's pace (``simulation.per_day`` events a day) times
        ``IOC_SIMULATOR_SPEED``. Options: ``seed`` (default 2023); ``per_day`` (a fixed number
        of events a day instead of the spec's pace; the speed does not apply to it)."""

        type = "simulator"
        family = spec.code
        simulated = True
        system = spec

        def backfill(self, days: int, seed: int) -> Iterator[Batch]:
            now = utcnow()
            today = local_date(now, self.ctx.tz)
            start = today - timedelta(days=days)
            if spec.kind == "indicator":
                records = indicator_history(spec, seed, start, today + timedelta(days=1))
                yield Batch(records=records, fetched=len(records))
                return
            # Two weeks per batch: each batch is one write transaction, and on SQLite a long one
            # keeps every other writer (a sign-in's audit line, the live feeds) waiting.
            for chunk_start in range(0, days + 1, BACKFILL_CHUNK_DAYS):
                first = start + timedelta(days=chunk_start)
                last = min(first + timedelta(days=BACKFILL_CHUNK_DAYS), today + timedelta(days=1))
                frame = history(spec, seed, first, last, now, self.ctx.tz)
                yield Batch(records=frame, fetched=len(frame))

        def batches(self, watermark: str | None) -> Iterator[Batch]:
            seed = int(self.spec.option("seed", 2023))
            tz = self.ctx.tz
            if spec.kind == "indicator":
                now = utcnow()
                today = local_date(now, tz)
                records = indicator_history(spec, seed, date(today.year - 1, 1, 1), today + timedelta(days=1))
                yield Batch(records=records, fetched=len(records), watermark=today.isoformat())
                return
            fixed = self.spec.option("per_day")
            per_day = spec.simulation.per_day * self.ctx.simulator_speed if fixed is None else float(fixed)

            def plan(day: date) -> pd.DataFrame:
                return live_plans.get(spec, seed, day, tz, per_day)

            def changed(frame: pd.DataFrame, since: datetime, now: datetime) -> pd.DataFrame:
                return changed_between(frame, TRANSITIONS, since, now, state_at)

            yield live_batch(self.spec, tz, watermark, MAX_LIFE_DAYS, "occurred_at", plan, changed)

    name = "".join(p.title() for p in spec.code.split("_"))
    SystemSimulator.__name__ = SystemSimulator.__qualname__ = f"{name}Simulator"
    return SystemSimulator
