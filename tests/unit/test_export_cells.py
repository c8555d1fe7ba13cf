"""The cells every exported table shares (layouts.export_cells): yes/no words, whole numbers,
no float noise, ISO local times, codes as labels."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from layouts.export_cells import code_label, local_iso, tidy_export
from layouts.exports import csv_text

HUE = ZoneInfo("Asia/Ho_Chi_Minh")


def test_booleans_become_words_of_the_language() -> None:
    frame = pd.DataFrame({"measured": [True, False], "mixed": [True, None]})
    assert tidy_export(frame, "en").to_dict("list") == {"measured": ["Yes", "No"], "mixed": ["Yes", None]}
    assert tidy_export(frame, "vi")["measured"].tolist() == ["Có", "Không"]


def test_float_noise_is_rounded_and_whole_floats_are_integers() -> None:
    frame = pd.DataFrame({"hours": [19.259659755315536, 2.5], "events": [307.0, 12.0],
                          "lat": [16.46371, 107.59091], "rate": [0.9839, None]})
    out = tidy_export(frame, "en")
    assert out["hours"].tolist() == [19.2597, 2.5]
    assert out["events"].tolist() == [307, 12] and str(out["events"].dtype) == "Int64"
    assert out["lat"].tolist() == [16.46371, 107.59091]  # rounded on purpose: kept
    assert csv_text(out).splitlines()[1:] == ["19.2597,307,16.46371,0.9839", "2.5,12,107.59091,"]


def test_times_are_iso_local_wall_clock() -> None:
    assert local_iso(datetime(2026, 1, 1, 17, 30), HUE) == "2026-01-02 00:30"  # naive UTC
    assert local_iso(pd.Timestamp("2026-01-01 17:30"), HUE) == "2026-01-02 00:30"
    assert local_iso(datetime(2026, 1, 1, 17, 30, tzinfo=UTC), HUE) == "2026-01-02 00:30"
    assert local_iso(None, HUE) is None and local_iso(pd.NaT, HUE) is None
    days = pd.DataFrame({"day": pd.to_datetime(["2026-12-02", "2026-12-03"]),
                         "at": pd.to_datetime(["2026-12-02 01:00", None])})
    assert tidy_export(days, "en").to_dict("list") == {"day": ["2026-12-02", "2026-12-03"],
                                                       "at": ["2026-12-02 01:00", None]}


def test_codes_become_labels_and_unknown_codes_stay() -> None:
    assert code_label("xp_dossier_status", "in_progress", "en") == "In progress"
    assert code_label("xp_dossier_status", "in_progress", "vi") == "Đang xử lý"
    assert code_label("xp_fine_flag", "below", "en") == "Below the legal range"
    assert code_label("xp_fine_flag", "server_code_42", "en") == "server_code_42"
    assert code_label("xp_fine_flag", None, "en") is None
