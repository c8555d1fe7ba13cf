"""XLSX exports (layouts/xlsx.py), read back with openpyxl: cell types, number and date formats
by language, the frozen and filtered header, widths, the about sheet, formulas neutralised."""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from layouts.xlsx import xlsx_bytes


def read(body: bytes):  # noqa: ANN201
    return load_workbook(io.BytesIO(body))


def sample() -> pd.DataFrame:
    return pd.DataFrame({
        "Mã": ["=HYPERLINK(\"http://x\")", "PA-2", None],
        "Nội dung": ["+84 905 ...", "  ngập\x07 đường ", "-"],
        "received": [1200, 35, 0],
        "mean_hours": [1.5, 2.25, np.nan],
        "on_time_rate": [0.955, 1.0, np.nan],
        "Tỷ lệ hài lòng (0–1)": [0.5, 0.25, 0.125],
        "received_at": pd.to_datetime(["2026-01-02 14:05", None, "2026-02-03 08:00"]),
        "Ngày": ["2026-01-01", "–", "2026-01-03"],
        "Hạn": ["03/12/2026 14:05", "04/12/2026 09:30", ""],
        "Quá hạn": [True, False, True],
    })


def test_cells_are_typed_formatted_and_the_header_frozen_filtered_and_sized() -> None:
    wb = read(xlsx_bytes(sample(), {"Kỳ": "2026-01-01 – 2026-01-31"}, "vi", "Phản ánh: quá hạn"))
    assert wb.sheetnames == ["Phản ánh quá hạn", "Thông tin"]
    ws = wb["Phản ánh quá hạn"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:J4"
    rows = [[(c.value, c.number_format) for c in row] for row in ws.iter_rows()]
    header = [v for v, _ in rows[0]]
    # the CSV's "(0–1)" suffix goes: the percent format says it
    assert header == ["Mã", "Nội dung", "received", "mean_hours", "on_time_rate", "Tỷ lệ hài lòng", "received_at",
                      "Ngày", "Hạn", "Quá hạn"]
    assert all(c.font.b for c in ws[1])
    assert rows[1] == [
        ("'=HYPERLINK(\"http://x\")", "General"), ("'+84 905 ...", "General"), (1200, "#,##0"), (1.5, "#,##0.00"),
        (0.955, "0.0 %"), (0.5, "0.0 %"), (datetime(2026, 1, 2, 14, 5), "dd/mm/yyyy hh:mm"),
        (datetime(2026, 1, 1), "dd/mm/yyyy"), (datetime(2026, 12, 3, 14, 5), "dd/mm/yyyy hh:mm"), ("Có", "General"),
    ]
    # control characters XML refuses are dropped, spaces kept; a lone "-" is neutralised too
    assert [v for v, _ in rows[2]][:3] == ["PA-2", "  ngập đường ", 35]
    assert rows[3][1][0] == "'-"
    # missing values are empty cells, not "nan" or "NaT"
    assert [rows[3][j][0] for j in (0, 3, 4, 8)] == [None, None, None, None]
    assert rows[2][6][0] is None and rows[2][7][0] is None and rows[2][9][0] == "Không"
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert widths["B"] == 16  # the longest text (14 characters) + 2
    assert 6 <= min(widths.values()) and max(widths.values()) <= 60


@pytest.mark.parametrize(("lang", "about", "labels", "yes", "date_format", "percent"), [
    ("vi", "Thông tin", ["Mục", "Giá trị"], "Có", "dd/mm/yyyy hh:mm", "0.0 %"),
    ("en", "About", ["Item", "Value"], "Yes", "yyyy-mm-dd hh:mm", "0.0%"),
])
def test_the_about_sheet_and_the_formats_follow_the_language(lang: str, about: str, labels: list[str], yes: str,
                                                             date_format: str, percent: str) -> None:
    meta = {"Period": "2026-01-01 – 2026-01-31", "Filters": {"District": "Phú Xuân", "Channel": "Hue-S"},
            "Source": "=cmd|' /C calc'!A0", "Generated": datetime(2026, 12, 3, 20, 15), "Simulated": True}
    frame = pd.DataFrame({"when": pd.to_datetime(["2026-01-02 14:05"]), "on_time_rate": [0.5]})
    wb = read(xlsx_bytes(frame, meta, lang, "Trend"))
    assert wb.sheetnames == ["Trend", about]
    assert [wb["Trend"]["A2"].number_format, wb["Trend"]["B2"].number_format] == [date_format, percent]
    rows = [[c.value for c in row] for row in wb[about].iter_rows()]
    assert rows == [labels, ["Period", "2026-01-01 – 2026-01-31"], ["Filters", "District: Phú Xuân; Channel: Hue-S"],
                    ["Source", "'=cmd|' /C calc'!A0"], ["Generated", datetime(2026, 12, 3, 20, 15)],
                    ["Simulated", yes]]
    assert wb[about]["B5"].number_format == date_format


def test_rows_across_several_chunks_keep_their_order_and_count() -> None:
    n = 12_345  # more than two chunks of 5,000 rows
    frame = pd.DataFrame({"id": [f"R{i}" for i in range(n)], "n": np.arange(n), "day": pd.date_range("2020-01-01",
                                                                                                       periods=n)})
    ws = read(xlsx_bytes(frame, {}, "en", "Rows")).worksheets[0]
    assert ws.max_row == n + 1
    last_day = (pd.Timestamp("2020-01-01") + pd.Timedelta(days=n - 1)).to_pydatetime()
    assert [c.value for c in ws[n + 1]] == [f"R{n - 1}", n - 1, last_day]
    assert ws["C2"].number_format == "yyyy-mm-dd"


def test_bad_input_is_refused_with_what_was_wrong() -> None:
    with pytest.raises(ValueError, match="'on_time_rate' is a rate .* holds 95, outside 0..1"):
        xlsx_bytes(pd.DataFrame({"on_time_rate": [0.5, 95.0]}), {}, "vi", "x")
    with pytest.raises(ValueError, match="no columns"):
        xlsx_bytes(pd.DataFrame(), {}, "vi", "x")
    with pytest.raises(ValueError, match="sheet_title '\\[\\]' is empty"):
        xlsx_bytes(pd.DataFrame({"a": [1]}), {}, "vi", "[]")
    with pytest.raises(ValueError, match="lang 'fr'"):
        xlsx_bytes(pd.DataFrame({"a": [1]}), {}, "fr", "x")
    # a rate column named by the caller is checked and formatted as one, whatever its name
    ws = read(xlsx_bytes(pd.DataFrame({"Share": [0.25]}), {}, "en", "x", rate_columns={"Share"})).worksheets[0]
    assert (ws["A2"].value, ws["A2"].number_format) == (0.25, "0.0%")
