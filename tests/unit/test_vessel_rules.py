"""Fishing vessels (ioc.domain.vessels, data_sources/vessels_simulator.py): the 6-hour and
10-day silence rules of Decree 37/2024 on either side of each limit, ports, the watch zone,
reports checked field by field, and a simulated fleet that repeats itself over any range."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest

from data_sources.vessels_simulator import FLEET, fleet, positions
from ioc.domain import vessels as rules
from ioc.domain.records import RecordError

NOW = datetime(2026, 11, 20, 12)


@pytest.mark.parametrize(("quiet", "level"), [
    (timedelta(hours=5, minutes=59), None),
    (timedelta(hours=6), None),
    (timedelta(hours=6, minutes=1), "warning"),
    (timedelta(days=10), "warning"),
    (timedelta(days=10, minutes=1), "high"),
])
def test_silence_at_sea_either_side_of_each_limit(quiet: timedelta, level: str | None) -> None:
    assert rules.silence_level(NOW - quiet, NOW) == level


def _latest(vessel_id: str, at: datetime, port: str = "", outside: bool = False) -> SimpleNamespace:
    return SimpleNamespace(vessel_id=vessel_id, at=at, lat=16.9, lon=108.3, port_id=port, outside=outside)


def test_what_the_latest_positions_raise() -> None:
    found = rules.findings([
        _latest("A", NOW - timedelta(hours=6, minutes=1)),
        _latest("B", NOW - timedelta(hours=5, minutes=59)),
        _latest("C", NOW - timedelta(days=30), port="thuan_an"),  # in port: silence is no alert
        _latest("D", NOW - timedelta(hours=1), outside=True),
    ], NOW, {"A": "Phước Lộc 001"})
    by = {(f.kind, f.key): f for f in found}
    assert set(by) == {("vessel_silent", "A"), ("vessel_outside", "D")}
    assert by[("vessel_silent", "A")].started_at == NOW - timedelta(minutes=1)
    assert by[("vessel_silent", "A")].details["vessel"] == "Phước Lộc 001"


def test_ports_and_the_watch_zone() -> None:
    lat = np.array([16.5585, 16.60, 17.2, 16.9, 21.0])
    lon = np.array([107.6425, 107.80, 108.5, 110.5, 106.0])
    assert rules.port_at(lat, lon).tolist() == ["thuan_an", "", "", "", ""]
    assert rules.inside(lat, lon).tolist() == [True, True, True, False, False]


def test_a_bad_watch_zone_file_is_named(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    bad = tmp_path / "zone.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    monkeypatch.setenv("IOC_VESSEL_BOUNDARY", str(bad))
    with pytest.raises(rules.BoundaryError, match="zone.geojson: no Polygon"):
        rules.boundary()


@pytest.mark.parametrize(("raw", "field"), [
    ({"at": "2026-11-20T10:00:00+07:00", "lat": "16.9", "lon": "108.3"}, "vessel_id"),
    ({"vessel_id": "TTH-1", "lat": "16.9", "lon": "108.3"}, "at"),
    ({"vessel_id": "TTH-1", "at": "2026-11-20T10:00:00+07:00", "lat": "96.9", "lon": "108.3"}, "lat"),
    ({"vessel_id": "TTH-1", "at": "2026-11-20T10:00:00+07:00", "lat": "16.9", "lon": "abc"}, "lon"),
    ({"vessel_id": "TTH-1", "at": "2026-11-20T10:00:00+07:00", "lat": "16.9", "lon": "108", "speed_kn": "99"},
     "speed_kn"),
])
def test_a_bad_report_names_its_field(raw: dict, field: str) -> None:
    with pytest.raises(RecordError) as err:
        rules.validate_position(raw)
    assert err.value.field == field


def test_the_simulated_fleet_repeats_itself_and_loses_signal_sometimes() -> None:
    assert len(fleet(2023)) == FLEET and all(v.length_m >= rules.VMS_FROM_LENGTH_M for v in fleet(2023))
    start = datetime(2026, 10, 1)
    month = positions(2023, start, start + timedelta(days=30))
    day = positions(2023, start + timedelta(days=10), start + timedelta(days=11))
    merged = month.merge(day, on=["vessel_id", "at"])
    assert len(merged) == len(day) > 0 and (merged["lat_x"] == merged["lat_y"]).all()
    gaps = month.sort_values(["vessel_id", "at"]).groupby("vessel_id")["at"].diff().dropna()
    assert (gaps > timedelta(hours=6)).any()  # some vessels fall silent past the 6-hour rule
    at_sea = month[rules.port_at(month["lat"].to_numpy(), month["lon"].to_numpy()) == ""]
    assert 0.3 < len(at_sea) / len(month) < 0.95
