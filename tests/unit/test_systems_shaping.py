"""Rows and map points of a spec-declared system's page (layouts.systems_shaping): labels in the
reader's language, local times, missing values as a dash, and titles escaped in the popups."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.systems.spec import load_spec
from layouts.systems_shaping import latest_rows, map_geojson
from tests.browser.harness import ROOT

LIGHTS = load_spec(ROOT / "tests" / "data" / "systems" / "lights.toml")
HUE = ZoneInfo("Asia/Ho_Chi_Minh")
NAMES = {"19753": "Phường Phú Xuân"}
NASTY = "<img src=x onerror=alert(1)> & \"cột\""


def _events() -> pd.DataFrame:
    rows = [
        # external_id, occurred_at (UTC), unit, district, commune, lat, lon, d1 (fault), d2 (status), d3, value, hours, title
        ("L1", datetime(2021, 3, 2, 1, 0), "19753", "", "19753", 16.471234, 107.581234, "dark", "fixed", None, 4.0, 10.0,
         NASTY),
        ("L2", datetime(2021, 3, 2, 13, 0), "19753", "", "19753", None, None, "flicker", "open", None, None, None, None),
        ("L3", datetime(2021, 3, 9, 2, 0), "99999", "", None, 16.4, 107.54, "zzz", None, None, 6.0, 2.0, ""),
    ]
    return pd.DataFrame(rows, columns=["external_id", "occurred_at", "unit_code", "district_code", "commune_code", "lat",
                                       "lon", "d1", "d2", "d3", "value", "duration_h", "title"])


def test_latest_rows_in_both_languages() -> None:
    vi = latest_rows(LIGHTS, _events(), NAMES, HUE, "vi")
    assert [r["id"] for r in vi] == ["L1", "L2", "L3"]
    assert vi[0]["time_txt"] == "02/03/2021 08:00" and vi[0]["time_sort"] == "2021-03-02 08:00:00"  # local time
    assert vi[0]["unit"] == "Phường Phú Xuân" and vi[0]["fault"] == "Tắt" and vi[0]["status"] == "Đã sửa"
    assert vi[0]["value"] == 4.0 and vi[0]["value_txt"] == "4" and vi[0]["hours_txt"] == "10,0"
    assert vi[0]["title"] == NASTY  # the grid shows it as text
    assert vi[1]["value"] is None and vi[1]["value_txt"] == "–" and vi[1]["hours"] is None and vi[1]["title"] == ""
    assert vi[2]["fault"] == "zzz" and vi[2]["status"] == "Không ghi"  # an unknown code as given; none: said so
    assert vi[2]["unit"] == "Không xác định (99999)"  # no commune: its unit, here one the store does not know
    en = latest_rows(LIGHTS, _events(), NAMES, HUE, "en")
    assert en[0]["fault"] == "Dark" and en[1]["status"] == "Open" and en[0]["hours_txt"] == "10.0"
    assert latest_rows(LIGHTS, _events().iloc[0:0], NAMES, HUE, "vi") == []


def test_map_points_have_a_position_a_colour_and_an_escaped_popup() -> None:
    data = map_geojson(LIGHTS, _events(), NAMES, HUE, "en")
    features = data["features"]
    assert [f["properties"]["s"] for f in features] == ["dark", "zzz"]  # L2 has no position
    assert features[0]["geometry"]["coordinates"] == [107.58123, 16.47123]
    popup = features[0]["properties"]["popup"]
    assert "<img" not in popup and "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;cột&quot;" in popup
    assert "02/03/2021 08:00 · Phường Phú Xuân" in popup and "Fault:</span> Dark" in popup
    assert "Status:</span> Fixed" in popup and 'class="pp-id">L1<' in popup
    assert "<p>" not in features[1]["properties"]["popup"]  # no title, no paragraph
    assert map_geojson(LIGHTS, _events().iloc[0:0], NAMES, HUE, "en") == {"type": "FeatureCollection", "features": []}
