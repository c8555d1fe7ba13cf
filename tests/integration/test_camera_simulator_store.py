"""The cameras simulator through the store on SQLite and PostgreSQL: the outages the store derives
from the simulated heartbeats are the simulated ones, and a live run repeats what the backfill
wrote (it changes nothing)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from data_sources.cameras_simulator import CamerasSimulator, outages
from ioc.domain.calendar import WorkCalendar
from ioc.domain.units import UnitMap
from ioc.sources import CollectorContext, SourceSpec
from ioc.store import cameras as store

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SEED = 2023
NOW = datetime(2026, 10, 28, 0, 0, 30)  # the day after the storm warning of 27 October (a power cut)
FIVE = timedelta(minutes=5)


def _collector(now: datetime) -> CamerasSimulator:
    spec = SourceSpec("sim-cameras", "simulator", "cameras", 60, options={"now": now.isoformat(), "seed": SEED})
    return CamerasSimulator(spec, CollectorContext(TZ, WorkCalendar.vietnam(), UnitMap.default()))


def test_the_store_sees_the_simulated_outages_and_a_live_run_repeats_the_backfill(engine: Engine) -> None:
    start = NOW - timedelta(days=3)
    for batch in _collector(NOW).backfill(3, SEED):
        store.ingest(engine, "sim-cameras", batch.records, TZ)

    simulated = outages(SEED, start, NOW, TZ)
    seen = simulated[(simulated["started_at"] > start + FIVE) & (simulated["ended_at"] < NOW - FIVE)]
    assert "power_cut" in set(seen["cause"]) and len(seen) > 20
    stored = store.outages(engine, start, NOW)
    stored = stored.assign(ended_at=stored["ended_at"].fillna(NOW + timedelta(days=9)))  # ongoing
    pairs = seen.merge(stored, left_on="camera_code", right_on="code", suffixes=("", "_stored"))
    covered = pairs[(pairs["started_at_stored"] <= pairs["started_at"]) & (pairs["ended_at_stored"] >= pairs["ended_at"])]
    # Every simulated outage seen whole lies in one stored outage ...
    assert len(covered) == len(seen) and not covered.duplicated(["camera_code", "started_at"]).any()
    # ... which, when no other outage of that camera overlaps it, is the gap around it: from the
    # heartbeat before it to the one after.
    both = simulated.merge(simulated, on="camera_code")
    crossed = both[(both["started_at_x"] != both["started_at_y"]) & (both["started_at_x"] < both["ended_at_y"])
                   & (both["started_at_y"] < both["ended_at_x"])]
    alone = covered[~covered.set_index(["camera_code", "started_at"]).index.isin(
        list(zip(crossed["camera_code"], crossed["started_at_x"], strict=True)))]
    assert len(alone) > 20
    assert ((alone["started_at"] - alone["started_at_stored"]).between(timedelta(0), FIVE)).all()
    assert ((alone["ended_at_stored"] - alone["ended_at"]).between(timedelta(0), FIVE)).all()

    # And the store invents none: each stored outage seen whole began at a simulated one.
    whole = stored[(stored["started_at"] > start) & (stored["ended_at"] < NOW)]
    back = whole.merge(simulated, left_on="code", right_on="camera_code", suffixes=("", "_sim"))
    began = back[(back["started_at_sim"] - back["started_at"]).between(timedelta(0), FIVE)]
    assert set(began["code"] + began["started_at"].astype(str)) == set(whole["code"] + whole["started_at"].astype(str))

    states = store.camera_states(engine, NOW).set_index("code")
    assert len(states) == 236 and states["online"].sum() > 200

    (live,) = _collector(NOW).batches(None)
    again = store.ingest(engine, "sim-cameras", live.records, TZ)
    assert (again.inserted, again.updated) == (0, 0)
