"""The queries behind a spec-declared system's page (:mod:`ioc.kpi.systems_views`), on a small
store with numbers worked out by hand, on SQLite and PostgreSQL.

Street lighting (tests/data/systems/lights.toml) in March 2021, Huế time; communes A = 19753
(Phường Phú Xuân) and B = 19774 (Phường Kim Long):

    ticket  reported (local)   unit  fault    state  fixed after  lamps  position
    L1      02/03 08:00        A     dark     fixed  10 h         4      yes
    L2      02/03 20:00        A     flicker  open   –            2      no
    L3      09/03 09:00        B     dark     fixed  2 h          6      yes
    L4      20/03 12:00        B     dark     open   –            1      no
    L5      27/02 10:00        A     dark     open   –            5      yes   (the month before)
    L6      31/03 23:30        A     flicker  open   –            3      no    (still March locally)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from ioc.kpi.filters import Selection
from ioc.kpi.periods import Period
from ioc.kpi.systems import filters_for
from ioc.kpi.systems_views import (
    by_dimension,
    by_unit,
    indicator_series,
    indicator_table,
    latest_events,
    map_points,
    ranking,
    trend,
)
from ioc.store import systems as store
from ioc.systems.records import validate_event, validate_indicator
from tests.system_specs import LIGHTS, SCORES

A, B = "19753", "19774"
NOW = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
MARCH = Period(date(2021, 3, 1), date(2021, 4, 1))

EVENTS = [
    # ticket, reported, unit, fault, state, fixed, lamps, lat, lon, note
    ("L1", "2021-03-02 08:00", A, "dark", "fixed", "2021-03-02 18:00", 4, 16.47, 107.58, "Gọi 0905123456 nhé"),
    ("L2", "2021-03-02 20:00", A, "flicker", "open", "", 2, None, None, ""),
    ("L3", "2021-03-09 09:00", B, "dark", "fixed", "2021-03-09 11:00", 6, 16.40, 107.54, "cột 12"),
    ("L4", "2021-03-20 12:00", B, "dark", "open", "", 1, None, None, ""),
    ("L5", "2021-02-27 10:00", A, "dark", "open", "", 5, 16.48, 107.57, ""),
    ("L6", "2021-03-31 23:30", A, "flicker", "open", "", 3, None, None, ""),
]


@pytest.fixture
def lights(engine, tz):  # noqa: ANN001, ANN201
    records = [validate_event(LIGHTS, {
        "ticket": ticket, "reported": reported, "commune": unit, "fault": fault, "state": state, "fixed": fixed,
        "lamps": lamps, "lat": lat, "lon": lon, "note": note}, tz)
        for ticket, reported, unit, fault, state, fixed, lamps, lat, lon, note in EVENTS]
    result = store.ingest(LIGHTS, engine, "test", records, tz)
    assert result.inserted == len(EVENTS)
    return engine


def march(**values: str) -> Selection:
    return Selection.of(filters_for(LIGHTS), MARCH, **values)


def test_trend_by_day_week_and_month(lights) -> None:  # noqa: ANN001
    days = trend(lights, LIGHTS, march(), "day")
    assert [d.date() for d in days["bucket"]] == [date(2021, 3, 2), date(2021, 3, 9), date(2021, 3, 20),
                                                  date(2021, 3, 31)]
    assert days["n"].tolist() == [2, 1, 1, 1]
    assert days["value_sum"].tolist() == [6, 6, 1, 3]
    weeks = trend(lights, LIGHTS, march(), "week")  # Mondays: 1, 8, 15 and 29 March
    assert [d.date() for d in weeks["bucket"]] == [date(2021, 3, 1), date(2021, 3, 8), date(2021, 3, 15),
                                                   date(2021, 3, 29)]
    assert weeks["n"].tolist() == [2, 1, 1, 1]
    months = trend(lights, LIGHTS, Selection.of(filters_for(LIGHTS), Period(date(2021, 2, 1), date(2021, 4, 1))),
                   "month")
    assert months["n"].tolist() == [1, 5]
    assert trend(lights, LIGHTS, march(unit=B), "month")["n"].tolist() == [2]
    assert trend(lights, LIGHTS, march(fault="flicker"), "day")["n"].tolist() == [1, 1]


def test_counts_by_each_dimension(lights) -> None:  # noqa: ANN001
    fault = by_dimension(lights, LIGHTS, march(), "fault")
    assert list(zip(fault["key"], fault["n"], strict=True)) == [("dark", 3), ("flicker", 2)]
    status = by_dimension(lights, LIGHTS, march(), "status")
    assert list(zip(status["key"], status["n"], strict=True)) == [("open", 3), ("fixed", 2)]
    assert by_dimension(lights, LIGHTS, march(unit=A), "fault")["n"].tolist() == [2, 1]  # flicker 2, dark 1
    assert by_dimension(lights, LIGHTS, march(unit=A), "fault")["key"].tolist() == ["flicker", "dark"]


def test_kpis_by_unit_and_the_ranking(lights, tz) -> None:  # noqa: ANN001
    units = by_unit(lights, LIGHTS, march(), tz, NOW).set_index("commune_code")
    assert units.index.tolist() == [A, B]  # most events first
    assert units.loc[A, "reports"] == 3 and units.loc[B, "reports"] == 2
    assert units.loc[A, "dark_share"] == pytest.approx(1 / 3) and units.loc[B, "dark_share"] == 1.0
    assert units.loc[A, "lamps"] == 9 and units.loc[B, "lamps"] == 7
    assert units.loc[A, "median_fix"] == pytest.approx(10, rel=0.05)  # the histogram's bin (≤ 4.9 %)
    assert units.loc[B, "median_fix"] == pytest.approx(2, rel=0.05)
    assert units.loc[A, "per_day"] == pytest.approx(3 / 31) and units.loc[B, "per_day"] == pytest.approx(2 / 31)
    assert "reports_change" not in units and "last_lamps" not in units  # not per unit

    by_reports = ranking(by_unit(lights, LIGHTS, march(), tz, NOW), LIGHTS)  # no direction: most first
    assert by_reports["commune_code"].tolist() == [A, B] and by_reports["rank"].tolist() == [1, 2]
    by_dark = ranking(by_unit(lights, LIGHTS, march(), tz, NOW), replace(LIGHTS, ranking="dark_share"))
    assert by_dark["commune_code"].tolist() == [A, B]  # lower is better: 1/3 before 1
    dark_only = ranking(by_unit(lights, LIGHTS, march(fault="dark"), tz, NOW), LIGHTS)
    assert dark_only["commune_code"].tolist() == [B, A] and dark_only["reports"].tolist() == [2, 1]


def test_ranking_ties_share_a_rank_and_units_without_a_value_come_last() -> None:
    frame = pd.DataFrame({"commune_code": ["x", "y", "z"], "n": [3, 3, 0], "dark_share": [0.5, 0.5, None]})
    ranked = ranking(frame, replace(LIGHTS, ranking="dark_share"))
    assert ranked["commune_code"].tolist() == ["x", "y", "z"]
    assert ranked["rank"].tolist()[:2] == [1, 1] and pd.isna(ranked["rank"].iloc[2])


def test_latest_events_and_map_points(lights, tz) -> None:  # noqa: ANN001
    frame, total = latest_events(lights, LIGHTS, march(), tz, limit=3)
    assert frame["external_id"].tolist() == ["L6", "L4", "L3"] and total == 5
    assert frame["commune_code"].tolist() == [A, B, B]
    assert frame["title"].tolist()[2] == "cột 12"
    assert frame["occurred_at"].iloc[0] == datetime(2021, 3, 31, 16, 30)  # naive UTC (23:30 in Huế)
    everything, total = latest_events(lights, LIGHTS, march(), tz)
    assert everything["external_id"].tolist() == ["L6", "L4", "L3", "L2", "L1"] and total == 5
    points, located = map_points(lights, LIGHTS, march(), tz)
    assert points["external_id"].tolist() == ["L3", "L1"] and located == 2
    capped, located = map_points(lights, LIGHTS, march(), tz, limit=1)
    assert capped["external_id"].tolist() == ["L3"] and located == 2
    assert latest_events(lights, LIGHTS, march(unit=A, fault="flicker"), tz)[0]["external_id"].tolist() == ["L6", "L2"]


INDICATOR_ROWS = [
    {"chi_so": "par", "ky": "2019", "diem": 80, "ke_hoach": 85, "hang": 20, "tren": 63, "nguon": "Bộ Nội vụ 2020"},
    {"chi_so": "par", "ky": "2020", "diem": 84.5, "hang": 12, "tren": 63, "nguon": "Bộ Nội vụ 2021"},
    {"chi_so": "sipas", "ky": "2020-Q3", "diem": 78, "nguon": "simulated"},
    {"chi_so": "sipas", "ky": "2020-Q4", "diem": 80.5, "nguon": "simulated"},
]


def test_the_indicators_table_and_series(engine) -> None:  # noqa: ANN001
    records = [validate_indicator(SCORES, row) for row in INDICATOR_ROWS]
    store.ingest(SCORES, engine, "test", records, None)
    year_2020 = Selection.of(filters_for(SCORES), Period(date(2020, 1, 1), date(2021, 1, 1)))
    table = indicator_table(engine, SCORES, year_2020).set_index("indicator")
    assert table.index.tolist() == ["par", "sipas"]  # the spec's order
    par, sipas = table.loc["par"], table.loc["sipas"]
    assert (par["period"], par["value"], par["change"]) == ("2020", 84.5, pytest.approx(4.5))
    assert par["target"] == 90  # no plan given for 2020: the spec's
    assert (par["rank"], par["rank_of"], par["citation"], par["simulated"]) == (12, 63, "Bộ Nội vụ 2021", False)
    assert (sipas["period"], sipas["value"], sipas["change"], sipas["simulated"]) == ("2020-Q4", 80.5,
                                                                                      pytest.approx(2.5), True)
    year_2019 = Selection.of(filters_for(SCORES), Period(date(2019, 1, 1), date(2020, 1, 1)))
    early = indicator_table(engine, SCORES, year_2019).set_index("indicator")
    assert early.loc["par", "target"] == 85 and pd.isna(early.loc["par", "change"])  # nothing before 2019
    assert pd.isna(early.loc["sipas", "period"]) and pd.isna(early.loc["sipas", "value"])
    series = indicator_series(engine, SCORES, year_2020)
    assert list(zip(series["indicator"], series["period"], series["simulated"], strict=True)) == [
        ("par", "2020", False), ("sipas", "2020-Q3", True), ("sipas", "2020-Q4", True)]
