"""Every shipped spec simulates: a few days of its simulator's history validate against the spec,
land in a store with their rollups, and give its KPIs (SQLite).

The simulator writes the store's columns directly; each event is also turned back into the spec's
source field names and checked by :func:`ioc.systems.records.validate_event`, so that simulated
data could have come through a file of the spec's own format.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Engine

from data_sources.system_simulator import history, indicator_history
from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period
from ioc.kpi.systems import filters_for, kpis
from ioc.store.db import init_db, make_engine
from ioc.store.systems import count_events, ingest
from ioc.systems.records import SIMULATED, validate_event
from ioc.systems.spec import SHIPPED, load_spec

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 11, 5, 0)  # naive UTC: noon in Huế
DAYS = Period(date(2026, 3, 1), date(2026, 3, 11))
SPECS = sorted(SHIPPED.glob("*.toml"))


@pytest.fixture
def store(tmp_path) -> Engine:  # noqa: ANN001
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    init_db(engine)
    yield engine
    engine.dispose()


def _as_source_row(spec, row: dict) -> dict:  # noqa: ANN001
    """A simulated event in the spec's source field names (what a file of the spec would hold)."""
    f = spec.fields
    raw = {f["id"]: row["external_id"], f["time"]: row["occurred_at"].isoformat() + "+00:00"}
    if "handled" in f and not pd.isna(row["duration_h"]):
        raw[f["handled"]] = (row["occurred_at"] + timedelta(hours=float(row["duration_h"]))).isoformat() + "+00:00"
    if "duration_hours" in f and not pd.isna(row["duration_h"]):
        raw[f["duration_hours"]] = row["duration_h"]
    for name, column in (("value", "value"), ("lat", "lat"), ("lon", "lon")):
        if name in f and not pd.isna(row[column]):
            raw[f[name]] = row[column]
    if "title" in f:
        raw[f["title"]] = row["title"]
    for dim in spec.dimensions:
        raw[dim.field] = row[dim.column]
    return raw


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_a_shipped_spec_simulates(path, store: Engine) -> None:  # noqa: ANN001
    spec = load_spec(path)
    if spec.kind == "indicator":
        records = indicator_history(spec, 2023, date(2022, 1, 1), date(2026, 1, 1))
        assert records and all(r.citation == SIMULATED for r in records)
        assert {r.indicator for r in records} == set(spec.simulation.indicators)
        result = ingest(spec, store, f"{spec.code}-simulator", records, TZ)
        assert result.inserted == len(records)
        values = kpis(store, spec, Selection.of(filters_for(spec), Period(date(2025, 1, 1), date(2026, 1, 1))), TZ,
                      NOW)
        simulated = {k.name for k in spec.kpis if k.type == "latest" and k.indicator in spec.simulation.indicators
                     and spec.dimension("indicator").term(k.indicator).frequency == "year"}
        assert simulated and all(values[name] is not None for name in simulated)
        return
    frame = history(spec, 2023, DAYS.start, DAYS.end, NOW, TZ)
    assert len(frame) >= spec.simulation.per_day * 5  # ten days, at least half the average pace
    assert frame["external_id"].is_unique
    for row in frame.sample(n=min(200, len(frame)), random_state=1).to_dict("records"):
        record = validate_event(spec, _as_source_row(spec, row), TZ)
        assert (record.d1, record.d2, record.d3) == (row["d1"], row["d2"], row["d3"])
    result = ingest(spec, store, f"{spec.code}-simulator", frame, TZ)
    assert result.inserted == len(frame) == count_events(store, spec.code)
    values = kpis(store, spec, Selection.of(filters_for(spec), DAYS), TZ, NOW)
    for kpi in spec.kpis:
        if kpi.type in ("count", "rate") and not kpi.where:
            assert values[kpi.name] and values[kpi.name] > 0, kpi.name
        if kpi.type == "latest":  # snapshots, when the spec has them
            snapshot_codes = [s.where for s in spec.simulation.snapshots]
            if any(all(w.get(n) in codes for n, codes in kpi.where.items()) for w in snapshot_codes):
                assert values[kpi.name] is not None, kpi.name
