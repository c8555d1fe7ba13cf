"""Spec files: what validates, and errors that name the file, the line and the field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ioc.domain.records import RecordError
from ioc.systems.records import parse_period, validate_event, validate_indicator
from ioc.systems.spec import SpecError, load_all, load_folder, load_spec

LIGHTS = Path(__file__).resolve().parents[1] / "data" / "systems" / "lights.toml"


def _write(tmp_path: Path, text: str, name: str = "lights.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _lights_with(tmp_path: Path, old: str, new: str) -> Path:
    text = LIGHTS.read_text(encoding="utf-8")
    assert old in text, old
    return _write(tmp_path, text.replace(old, new, 1))


def _line_of(path: Path, needle: str) -> int:
    """The line of the first occurrence of ``needle`` (``needle#n``: of its n-th)."""
    needle, _, nth = needle.partition("#")
    lines = [i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line]
    return lines[int(nth or 1) - 1]


def test_the_test_spec_loads_with_its_parts() -> None:
    spec = load_spec(LIGHTS)
    assert spec.code == "lights" and spec.kind == "events"
    assert [d.name for d in spec.dimensions] == ["fault", "status"]
    assert [d.column for d in spec.dimensions] == ["d1", "d2"]
    assert spec.kpi("dark_share").where == {"fault": ("dark",)}
    assert spec.kpi("dark_share").direction == "lower"
    assert spec.panels[-1] == "ranking" and spec.ranking == "reports"
    assert spec.simulation.flow == {"dimension": "status", "open": "open", "closed": ("fixed",)}
    strings = spec.strings()
    assert strings["vi"]["family_lights"] == "Chiếu sáng công cộng"
    assert strings["en"]["sys_lights_kpi_median_fix"] == "Median fix"


@pytest.mark.parametrize(("old", "new", "line_marker", "message"), [
    ('where = { fault = "dark" }\ntarget', 'where = { fault = "darkk" }\ntarget', 'fault = "darkk"',
     "kpis[1].where.fault: 'darkk' is not a value of dimension fault (dark, flicker)"),
    ('type = "median"', 'type = "mean"', 'type = "mean"', "kpis[3].type: 'mean' is not one of"),
    ('per = "day"', 'per = "month"', 'per = "month"', "kpis[4].per: 'month' is not one of: hour, day, week"),
    ('kpi = "reports"', 'kpi = "nothing"', 'kpi = "nothing"', "kpis[5].kpi: 'nothing' is not one of"),
    ('target = 0.5\n', 'target = "half"\n', 'target = "half"', "kpis[1].target: expected a number"),
    ('direction = "lower"', '', '[[kpis]]#2',
     "kpis[1].direction: a KPI with a target says which direction is better"),
    ('kind = "events"', 'kind = "stream"', 'kind = "stream"', "kind: 'stream' is not one of: events, indicator"),
    ('time = "reported"\n', '', '[fields]', "fields: missing required key 'time'"),
    ('per_day = 40', 'per_day = 0', 'per_day = 0', "simulation.per_day: an events spec's simulator needs per_day > 0"),
    ('name = "dark_surge"', 'name = "dark_surge"\nwindow = "week"', 'window = "week"',
     "alerts[0].window: 'week' is not one of: hour, day"),
    ('{ code = "flicker", vi = "Nhấp nháy", en = "Flickering" }', '{ code = "dark", vi = "X", en = "Y" }',
     'code = "dark", vi = "X"', "dimensions[0].values[1].code: 'dark' is listed twice"),
])
def test_errors_name_the_file_the_line_and_the_field(tmp_path: Path, old: str, new: str, line_marker: str,
                                                      message: str) -> None:
    path = _lights_with(tmp_path, old, new)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    text = str(caught.value)
    assert text.startswith(f"lights.toml:{_line_of(path, line_marker)}: "), text
    assert message in text


def test_unknown_keys_and_bad_toml_are_named(tmp_path: Path) -> None:
    path = _lights_with(tmp_path, 'type = "count"', 'type = "count"\ncolour = "red"')
    with pytest.raises(SpecError, match=rf"lights.toml:{_line_of(path, 'colour')}: kpis\[0\].colour: unknown key"):
        load_spec(path)
    broken = _write(tmp_path, 'code = "lights"\nkind = \n', "broken.toml")
    with pytest.raises(SpecError, match=r"broken.toml:2: not valid TOML"):
        load_spec(broken)


def test_the_code_is_the_file_name_and_unique(tmp_path: Path) -> None:
    renamed = _write(tmp_path, LIGHTS.read_text(encoding="utf-8"), "lamps.toml")
    with pytest.raises(SpecError, match=r"lamps.toml:1: code: 'lights' differs from the file name"):
        load_spec(renamed)
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "lights.toml").write_text(LIGHTS.read_text(encoding="utf-8"), encoding="utf-8")
    assert [s.code for s in load_folder(folder)] == ["lights"]
    with pytest.raises(SpecError, match="not a folder"):
        load_folder(tmp_path / "missing")
    shipped = {s.code for s in load_all()}
    if shipped:  # an extra spec may not take a shipped spec's code
        code = sorted(shipped)[0]
        clash = tmp_path / "clash"
        clash.mkdir()
        text = LIGHTS.read_text(encoding="utf-8").replace('code = "lights"', f'code = "{code}"')
        (clash / f"{code}.toml").write_text(text, encoding="utf-8")
        with pytest.raises(SpecError, match="is already defined by"):
            load_all(clash)


def test_a_map_panel_needs_positions(tmp_path: Path) -> None:
    path = _lights_with(tmp_path, 'lat = "lat"\nlon = "lon"\n', "")
    with pytest.raises(SpecError, match=r"panels: a map panel needs positions"):
        load_spec(path)


# ---- records -----------------------------------------------------------------------------------
def test_an_event_is_checked_against_its_spec() -> None:
    spec = load_spec(LIGHTS)
    record = validate_event(spec, {"ticket": "L-1", "reported": "2026-03-02T08:00:00+07:00",
                                   "fixed": "02/03/2026 14:30", "fault": "Nhấp nháy", "state": "FIXED",
                                   "lamps": "3,5", "lat": "16.46", "lon": "107.59", "note": "Lê Lợi"},
                            naive_tz=__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh"))
    assert record.external_id == "L-1"
    assert record.occurred_at.isoformat() == "2026-03-02T01:00:00"
    assert record.duration_h == pytest.approx(6.5)  # 08:00 → 14:30 local
    assert (record.d1, record.d2, record.d3) == ("flicker", "fixed", "")
    assert record.value == 3.5 and record.lat == 16.46
    for raw, field in (
        ({"ticket": "L-2", "reported": "2026-03-02T08:00:00", "fault": "blue"}, "fault"),
        ({"ticket": "L-3", "reported": "2099-01-01T00:00:00"}, "reported"),
        ({"ticket": "L-4", "reported": "2026-03-02T08:00:00", "lamps": "many"}, "lamps"),
        ({"reported": "2026-03-02T08:00:00"}, "ticket"),
        ({"ticket": "L-5", "reported": "2026-03-02T08:00:00", "fixed": "2026-03-01T08:00:00"}, "fixed"),
        ({"ticket": "L-6", "reported": "2026-03-02T08:00:00", "lat": "16.4"}, "lon"),
    ):
        with pytest.raises(RecordError) as caught:
            validate_event(spec, raw)
        assert caught.value.field == field, (raw, str(caught.value))


def test_periods() -> None:
    assert parse_period("2024") == ("2024", "year", date(2024, 1, 1), date(2025, 1, 1))
    assert parse_period("2024-q4") == ("2024-Q4", "quarter", date(2024, 10, 1), date(2025, 1, 1))
    assert parse_period("2024-02") == ("2024-02", "month", date(2024, 2, 1), date(2024, 3, 1))
    for bad in ("2024-13", "24", "2024-Q5", "1999"):
        with pytest.raises(RecordError, match="period"):
            parse_period(bad)


def test_an_indicator_value_is_checked_against_its_spec(tmp_path: Path) -> None:
    path = _write(tmp_path, """
code = "scores"
kind = "indicator"
label = { vi = "Chỉ số", en = "Indices" }
sources = ["test"]
[fields]
indicator = "index"
period = "year"
value = "score"
rank = "rank"
rank_of = "of"
source = "source"
[[indicators]]
code = "pci"
vi = "PCI"
en = "PCI"
frequency = "year"
direction = "higher"
[[kpis]]
name = "pci"
label = { vi = "PCI", en = "PCI" }
type = "latest"
indicator = "pci"
""", "scores.toml")
    spec = load_spec(path)
    record = validate_indicator(spec, {"index": "PCI", "year": 2023.0, "score": "67,2", "rank": "10", "of": "63",
                                       "source": "VCCI"})
    assert (record.indicator, record.period, record.value, record.rank, record.rank_of) == ("pci", "2023", 67.2, 10,
                                                                                              63)
    with pytest.raises(RecordError, match="year: pci is reported per year, got a quarter"):
        validate_indicator(spec, {"index": "pci", "year": "2023-Q1", "score": 1})
    with pytest.raises(RecordError, match="rank: rank 70 is beyond rank_of 63"):
        validate_indicator(spec, {"index": "pci", "year": "2023", "score": 1, "rank": 70, "of": 63})
    with pytest.raises(RecordError, match="index: 'xyz' is not a indicator"):
        validate_indicator(spec, {"index": "xyz", "year": "2023", "score": 1})
