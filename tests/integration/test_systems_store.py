"""A system declared only in a test (tests/data/systems/lights.toml): its events stored with their
rollups and its KPIs exact on a hand-made set, on SQLite and on PostgreSQL; indicator values.

Local time is Asia/Ho_Chi_Minh (UTC+7); the store holds naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Engine, select, text

from ioc.domain.histogram import HIST_MAX_RELATIVE_ERROR
from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period
from ioc.kpi.systems import filters_for, kpis
from ioc.kpi.systems_views import kpi_periods
from ioc.store import schema_systems as ss
from ioc.store.systems import count_events, ingest, rebuild
from ioc.systems.records import SIMULATED, IndicatorRecord, parse_period, validate_event
from ioc.systems.spec import load_spec

DATA = Path(__file__).resolve().parents[1] / "data" / "systems"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 4, 15, 3, 0)  # naive UTC, after the period
MARCH = Period(date(2026, 3, 1), date(2026, 4, 1))  # previous period of equal length: 29 Jan → 1 Mar
CENTRE = ("16.4637", "107.5909")


def _event(ticket: str, reported: str, fault: str, state: str, lamps: float, fixed: str | None = None,
           at: tuple[str, str] | None = None, updated: str | None = None) -> dict:
    raw = {"ticket": ticket, "reported": reported, "fault": fault, "state": state, "lamps": lamps, "fixed": fixed,
           "note": f"note {ticket}"}
    if at:
        raw["lat"], raw["lon"] = at
    if updated:
        raw["updated"] = updated
    return raw


# Hand-made: 5 events in March (local), 1 in the previous period, 1 before it (so the previous
# period is covered by the data), 1 just after March.
EVENTS = [
    _event("L-00", "2026-01-05 10:00", "dark", "fixed", 7, "2026-01-05 12:00"),
    _event("L-01", "2026-02-10 10:00", "dark", "open", 1),
    _event("L-11", "2026-03-02 08:00", "dark", "open", 2, at=CENTRE),
    _event("L-12", "2026-03-02 09:00", "dark", "fixed", 4, "2026-03-02 11:00", at=CENTRE),
    _event("L-13", "2026-03-10 10:00", "flicker", "fixed", 1, "2026-03-10 20:00", at=CENTRE),
    _event("L-14", "2026-03-20 10:00", "dark", "fixed", 3, "2026-03-21 16:00"),
    _event("L-15", "2026-03-31 23:30", "flicker", "open", 5),
    _event("L-16", "2026-04-01 00:30", "dark", "open", 9),
]


@pytest.fixture(scope="module")
def spec():  # noqa: ANN201
    return load_spec(DATA / "lights.toml")


def _records(spec, rows: list[dict]) -> list:  # noqa: ANN001
    return [validate_event(spec, row, naive_tz=TZ) for row in rows]


def _kpis(engine: Engine, spec, period: Period = MARCH, **filters) -> dict:  # noqa: ANN001
    return kpis(engine, spec, Selection.of(filters_for(spec), period, **filters), TZ, NOW)


def _median_ok(value: float | None, hours: float) -> bool:
    return value is not None and abs(value - hours) <= hours * HIST_MAX_RELATIVE_ERROR + 1e-9


def test_kpis_of_a_hand_made_set(engine: Engine, spec) -> None:  # noqa: ANN001
    result = ingest(spec, engine, "lights.csv", _records(spec, EVENTS), TZ)
    assert (result.inserted, result.updated, result.unchanged) == (8, 0, 0)
    got = _kpis(engine, spec)
    assert got["reports"] == 5
    assert got["dark_share"] == pytest.approx(3 / 5)
    assert got["lamps"] == 15  # 2 + 4 + 1 + 3 + 5
    assert _median_ok(got["median_fix"], 10)  # handling times 2, 10 and 30 h
    assert got["per_day"] == pytest.approx(5 / 31)
    assert got["reports_change"] == 5 - 1  # the previous period (29 Jan → 1 Mar) holds L-01 only
    assert got["last_lamps"] == 5  # L-15, the last of March (local)
    assert list(got) == [k.name for k in spec.kpis]

    dark = _kpis(engine, spec, fault="dark")
    assert (dark["reports"], dark["dark_share"], dark["lamps"]) == (3, 1.0, 9)
    assert _median_ok(dark["median_fix"], 2)  # 2 and 30 h: the nearest-rank median is the first
    assert dark["last_lamps"] == 3

    with engine.connect() as conn:
        commune = conn.execute(select(ss.system_events.c.commune_code)
                               .where(ss.system_events.c.external_id == "L-11")).scalar_one()
    assert commune
    here = _kpis(engine, spec, unit=commune)
    assert (here["reports"], here["lamps"]) == (3, 7)

    # the previous period not covered by the data: no comparison
    january = _kpis(engine, spec, Period(date(2026, 1, 1), date(2026, 2, 1)))
    assert january["reports"] == 1 and january["reports_change"] is None


def test_a_later_version_replaces_an_older_one_never_the_reverse(engine: Engine, spec) -> None:  # noqa: ANN001
    ingest(spec, engine, "lights.csv", _records(spec, EVENTS), TZ)
    fixed = _event("L-11", "2026-03-02 08:00", "dark", "fixed", 2, "2026-03-03 08:00", at=CENTRE,
                   updated="2026-03-03 08:00")
    assert ingest(spec, engine, "lights.csv", _records(spec, [fixed]), TZ).updated == 1
    got = _kpis(engine, spec)
    assert got["reports"] == 5 and _median_ok(got["median_fix"], 10)  # 2, 10, 24, 30 h: the 2nd by nearest rank
    older = _event("L-11", "2026-03-02 08:00", "flicker", "open", 2, at=CENTRE, updated="2026-03-02 08:30")
    assert ingest(spec, engine, "lights.csv", _records(spec, [older]), TZ).unchanged == 1
    assert _kpis(engine, spec)["dark_share"] == pytest.approx(3 / 5)
    # another source (another file) is another record, even with the same id
    assert ingest(spec, engine, "other.csv", _records(spec, [EVENTS[2]]), TZ).inserted == 1
    assert _kpis(engine, spec)["reports"] == 6
    assert count_events(engine, "lights") == 9


def test_rebuild_gives_the_incremental_rollups(engine: Engine, spec) -> None:  # noqa: ANN001
    ingest(spec, engine, "lights.csv", _records(spec, EVENTS), TZ)
    ingest(spec, engine, "lights.csv", _records(spec, [_event("L-12", "2026-03-02 09:00", "flicker", "fixed", 6,
                                                              "2026-03-02 12:00", updated="2026-03-02 12:00")]), TZ)

    def rollups() -> dict[str, pd.DataFrame]:
        with engine.connect() as conn:
            out = {}
            for table in (ss.system_rollup, ss.system_rollup_all):
                frame = pd.read_sql(select(table), conn)
                keys = [c.name for c in table.primary_key.columns]
                frame["bucket"] = frame["bucket"].astype(str)
                out[table.name] = frame.sort_values(keys).reset_index(drop=True)
            return out

    before = rollups()
    assert rebuild(spec, engine, TZ) == 8
    after = rollups()
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[name], check_dtype=False)
    assert int(before["system_rollup_all"].query("grain == 'm'")["n"].sum()) == 8


def _indicator_spec(tmp_path: Path):  # noqa: ANN202
    path = tmp_path / "scores.toml"
    path.write_text("""
code = "scores"
kind = "indicator"
label = { vi = "Chỉ số", en = "Indices" }
sources = ["test"]
[fields]
indicator = "index"
period = "period"
value = "score"
rank = "rank"
rank_of = "of"
source = "source"
[[indicators]]
code = "pci"
vi = "PCI"
en = "PCI"
direction = "higher"
[[indicators]]
code = "revenue"
vi = "Thu ngân sách"
en = "Budget revenue"
frequency = "quarter"
[[kpis]]
name = "pci"
label = { vi = "PCI", en = "PCI" }
type = "latest"
indicator = "pci"
[[kpis]]
name = "pci_rank"
label = { vi = "Xếp hạng PCI", en = "PCI rank" }
type = "rank"
indicator = "pci"
[[kpis]]
name = "pci_change"
label = { vi = "PCI thay đổi", en = "PCI change" }
type = "change"
kpi = "pci"
[[kpis]]
name = "revenue"
label = { vi = "Thu", en = "Revenue" }
type = "sum"
indicator = "revenue"
""", encoding="utf-8")
    return load_spec(path)


def _value(indicator: str, period: str, value: float | None, rank: int | None = None, citation: str = "VCCI"
           ) -> IndicatorRecord:
    text_, frequency, start, end = parse_period(period)
    return IndicatorRecord(indicator, text_, frequency, start, end, "", value, None, rank, 63 if rank else None,
                           citation)


def test_indicator_values_and_their_kpis(engine: Engine, tmp_path: Path) -> None:
    spec = _indicator_spec(tmp_path)
    rows = [_value("pci", "2022", 64.0, 12), _value("pci", "2023", 66.5, 9),
            _value("revenue", "2023-Q3", 2000.0, citation="Sở Tài chính"),
            _value("revenue", "2023-Q4", 2500.0, citation="Sở Tài chính")]
    assert ingest(spec, engine, "published.csv", rows, TZ).inserted == 4
    year = Period(date(2023, 1, 1), date(2024, 1, 1))
    got = kpis(engine, spec, Selection.of(filters_for(spec), year), TZ, NOW)
    assert got == {"pci": 66.5, "pci_rank": 9, "pci_change": 2.5, "revenue": 4500.0}
    # the period each value comes from (the Overview's tiles say it), and whether it is simulated
    assert ingest(spec, engine, "sim", [_value("pci", "2024", 70.0, citation=SIMULATED)], TZ).inserted == 1
    since = Selection.of(filters_for(spec), Period(date(2020, 1, 1), date(2026, 1, 1)))
    assert kpi_periods(engine, spec, since, ("pci", "pci_rank", "pci_change", "revenue")) == {
        "pci": ("2024", True), "pci_rank": ("2023", False), "pci_change": ("2024", True),
        "revenue": ("2023-Q4", False)}
    # a simulated value never replaces a published one; a corrected publication does
    assert ingest(spec, engine, "sim", [_value("pci", "2023", 99.0, citation=SIMULATED)], TZ).unchanged == 1
    assert ingest(spec, engine, "published.csv", [_value("pci", "2023", 67.0, 9)], TZ).updated == 1
    assert kpis(engine, spec, Selection.of(filters_for(spec), year), TZ, NOW)["pci"] == 67.0
    # before any value: nothing, and no comparison
    early = kpis(engine, spec, Selection.of(filters_for(spec), Period(date(2020, 1, 1), date(2021, 1, 1))), TZ, NOW)
    assert early == {"pci": None, "pci_rank": None, "pci_change": None, "revenue": None}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM system_indicators")).scalar_one() == 5
