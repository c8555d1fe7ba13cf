"""Importing feedback files (CSV and XLSX) into a real SQLite store, end to end."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

import data_sources.tabular as tabular
from ioc.collect import import_file, run_source
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.sources import SourceSpec
from ioc.store import runs, schema, schema_feedback

HEADER = ["external_id", "received_at", "status", "resolved_at", "rating", "channel", "unit_code", "lat", "lon",
          "description", "updated_at"]


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"}))


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def row(external_id: str, received_at: str, status: str = "received", **extra: str) -> list[str]:
    values = {"external_id": external_id, "received_at": received_at, "status": status, **extra}
    return [values.get(col, "") for col in HEADER]


def stored(ctx: Context, source: str | None = None) -> dict[str, dict]:
    table = schema_feedback.feedback_reports
    stmt = select(table) if source is None else select(table).where(table.c.source == source)
    with ctx.engine.connect() as conn:
        return {r["external_id"]: dict(r) for r in conn.execute(stmt).mappings()}


def quarantined(ctx: Context, source: str) -> dict[str, str]:
    return {q["location"]: q["reason"] for q in runs.quarantined(ctx.engine, source)}


def test_good_rows_stored_in_utc_and_bad_rows_quarantined_by_row_number(ctx: Context, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "one_stop.csv", [
        row("A1", "2026-03-02 08:00", unit_code="19789", lat="16.46", lon="107.59"),  # row 2: local time
        row("", "2026-03-02 09:00"),                                                # row 3: no id
        row("A3", "02-03-2026 8h"),                                                 # row 4: bad date
        row("A4", "2026-03-02 10:00", status="lost"),                               # row 5: bad status
        row("A5", "2026-03-02 10:00", lat="96.5", lon="107.59"),                    # row 6: bad lat
        row("A6", "2026-03-02T08:00:00+07:00", status="resolved",                   # row 7: offsets
            resolved_at="2026-03-03T09:30:00Z", rating="satisfied"),
    ])

    outcome = import_file(ctx, "feedback", path, show_progress=False)

    assert outcome.status == "ok", outcome.error
    assert outcome.source == "import:one_stop.csv"
    assert outcome.counts == {"fetched": 6, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 4}
    reports = stored(ctx, "import:one_stop.csv")
    assert sorted(reports) == ["A1", "A6"]
    assert reports["A1"]["received_at"] == datetime(2026, 3, 2, 1, 0)
    assert reports["A1"]["updated_at"] == datetime(2026, 3, 2, 1, 0)
    assert (reports["A1"]["unit_code"], reports["A1"]["lat"], reports["A1"]["lon"]) == ("19789", 16.46, 107.59)
    assert reports["A6"]["received_at"] == datetime(2026, 3, 2, 1, 0)
    assert reports["A6"]["resolved_at"] == datetime(2026, 3, 3, 9, 30)
    assert (reports["A6"]["status"], reports["A6"]["rating"]) == ("resolved", "satisfied")
    problems = quarantined(ctx, "import:one_stop.csv")
    assert sorted(problems) == ["row 3", "row 4", "row 5", "row 6"]
    assert problems["row 3"] == "external_id: empty"
    assert problems["row 4"] == "received_at: unparseable timestamp '02-03-2026 8h'"
    assert problems["row 5"].startswith("status: unknown status 'lost'")
    assert problems["row 6"] == "lat: 96.5 is outside [-90, 90]"
    bad_lat = next(q for q in runs.quarantined(ctx.engine, "import:one_stop.csv") if q["location"] == "row 6")
    assert bad_lat["external_id"] == "A5"
    assert '"lat": "96.5"' in bad_lat["raw"]


def test_vietnamese_words_bom_and_loose_header_names(ctx: Context, tmp_path: Path) -> None:
    header = [" External_ID ", "RECEIVED_AT", "Status ", "resolved_at", "Rating", "channel", "ghi chú"]
    path = write_csv(tmp_path / "vn.csv", [
        ["V1", "2026-03-02 08:00", "Đã xử lý", "2026-03-03 08:00", "Hài lòng", "Hue-S", "x"],
        ["V2", "2026-03-02 08:00", "Từ chối", "2026-03-03 08:00", "không hài lòng", "Đường dây nóng", ""],
        ["V3", "2026-03-02 08:00", "ĐANG XỬ LÝ", "", "", "hue_s", ""],
        ["V4", "2026-03-02 08:00", "Tiếp nhận", "", "", "", ""],
        ["V5", "2026-03-02 08:00", "Đã xử lý", "2026-03-03 08:00", "Chấp nhận", "Mạng xã hội", ""],
        ["V6", "2026-03-02 08:00", "da xu ly", "2026-03-03 08:00", "hai long", "web", ""],
    ], header=header, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    outcome = import_file(ctx, "feedback", path, show_progress=False)

    assert outcome.status == "ok", outcome.error
    got = {k: (r["status"], r["rating"], r["channel"]) for k, r in stored(ctx).items()}
    assert got == {
        "V1": ("resolved", "satisfied", "hue_s"),
        "V2": ("rejected", "dissatisfied", "hotline"),
        "V3": ("in_progress", None, "hue_s"),
        "V4": ("received", None, "other"),
        "V5": ("resolved", "acceptable", "social"),
        "V6": ("resolved", "satisfied", "web"),
    }
    assert outcome.counts["rejected"] == 0


def test_missing_required_column_fails_the_run_naming_the_columns(ctx: Context, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "partial.csv", [["P1", "received"]], header=["external_id", "Status"])

    outcome = import_file(ctx, "feedback", path, show_progress=False)

    assert outcome.status == "failed"
    assert "missing required column(s) received_at" in outcome.error
    assert "columns found: external_id, status" in outcome.error
    assert str(path) in outcome.error
    assert stored(ctx) == {}
    with ctx.engine.connect() as conn:
        run = conn.execute(select(schema.collector_runs).where(
            schema.collector_runs.c.id == outcome.run_id)).mappings().one()
    assert (run["status"], run["error"]) == ("failed", outcome.error)


def test_reimport_changes_nothing_newer_row_updates_older_row_does_not(ctx: Context, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "v1.csv", [
        row("R1", "2026-03-02 08:00", updated_at="2026-03-02 08:00"),
        row("R2", "2026-03-02 09:00", updated_at="2026-03-04 09:00"),
        row("R3", "2026-03-02 10:00"),
    ])
    assert import_file(ctx, "feedback", first, source_name="oso", show_progress=False).counts["inserted"] == 3

    again = import_file(ctx, "feedback", first, source_name="oso", show_progress=False)
    assert again.counts == {"fetched": 3, "inserted": 0, "updated": 0, "unchanged": 3, "rejected": 0}

    second = write_csv(tmp_path / "v2.csv", [
        row("R1", "2026-03-02 08:00", status="resolved", resolved_at="2026-03-05 08:00",
            rating="Hài lòng", updated_at="2026-03-05 08:00"),                       # newer: applies
        row("R2", "2026-03-02 09:00", status="rejected", resolved_at="2026-03-03 09:00",
            updated_at="2026-03-03 09:00"),                                          # older: ignored
    ])
    outcome = import_file(ctx, "feedback", second, source_name="oso", show_progress=False)

    assert outcome.counts == {"fetched": 2, "inserted": 0, "updated": 1, "unchanged": 1, "rejected": 0}
    reports = stored(ctx, "import:oso")
    assert (reports["R1"]["status"], reports["R1"]["resolved_at"]) == ("resolved", datetime(2026, 3, 5, 1, 0))
    assert reports["R1"]["updated_at"] == datetime(2026, 3, 5, 1, 0)
    assert (reports["R2"]["status"], reports["R2"]["resolved_at"]) == ("received", None)
    assert reports["R2"]["updated_at"] == datetime(2026, 3, 4, 2, 0)
    assert len(reports) == 3


def test_citizen_text_stored_verbatim_and_multiline_cell_is_one_row(ctx: Context, tmp_path: Path) -> None:
    text = 'Đèn đường hỏng <b>3 ngày</b> & "không ai sửa", nhà số 5\'A\nLần 2: vẫn hỏng'
    path = write_csv(tmp_path / "text.csv", [
        row("T1", "2026-03-02 08:00", description=text),
        row("T2", "hôm qua"),
    ])
    with path.open("a", encoding="utf-8") as f:
        f.write("T3,2026-03-02 08:00,received,,,,,,,Cột đèn nghiêng, sắp đổ,2026-03-02 08:00\n")

    outcome = import_file(ctx, "feedback", path, show_progress=False)

    assert stored(ctx)["T1"]["description"] == text
    assert sorted(stored(ctx)) == ["T1"]
    assert quarantined(ctx, outcome.source) == {  # spreadsheet rows, not lines of the file
        "row 3": "received_at: unparseable timestamp 'hôm qua'",
        "row 4": "row: values beyond the last of the 11 header columns (an unquoted comma?)",
    }


def test_xlsx_with_datetime_cells_numbers_and_bad_row(ctx: Context, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["External_ID", "received_at", "status", "resolved_at", "unit_code", "rating", "description"])
    sheet.append([1001, datetime(2026, 3, 2, 8, 0), "Đã xử lý", datetime(2026, 3, 2, 17, 30), 19789, "Hài lòng",
                  "a < b & c"])
    sheet.append(["X2", "not a date", "received", None, None, None, None])
    sheet.append([])
    sheet.append(["X3", "2026-03-02T08:00:00+07:00", "Đang xử lý", None, "19960", None, None])
    book.create_sheet("ignored").append(["nothing", "here"])
    path = tmp_path / "export.xlsx"
    book.save(path)

    outcome = import_file(ctx, "feedback", path, show_progress=False)

    assert outcome.status == "ok", outcome.error
    assert outcome.counts == {"fetched": 3, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    reports = stored(ctx)
    assert (reports["1001"]["received_at"], reports["1001"]["resolved_at"]) == (
        datetime(2026, 3, 2, 1, 0), datetime(2026, 3, 2, 10, 30))
    assert (reports["1001"]["unit_code"], reports["1001"]["rating"]) == ("19789", "satisfied")
    assert reports["1001"]["description"] == "a < b & c"
    assert (reports["X3"]["received_at"], reports["X3"]["status"]) == (datetime(2026, 3, 2, 1, 0), "in_progress")
    assert quarantined(ctx, outcome.source) == {"row 3": "received_at: unparseable timestamp 'not a date'"}


def test_missing_empty_or_unsupported_file_fails_and_keeps_what_was_stored(ctx: Context, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "daily.csv", [row("K1", "2026-03-02 08:00"), row("K2", "2026-03-02 09:00")])
    assert import_file(ctx, "feedback", good, source_name="daily", show_progress=False).counts["inserted"] == 2
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = write_csv(tmp_path / "header_only.csv", [])
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0")
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a zip")

    expected = {
        tmp_path / "absent.csv": "cannot read (No such file or directory)",
        empty: "the file is empty",
        header_only: "the header has no data rows under it",
        legacy: "unsupported file type '.xls'; use .csv or .xlsx",
        broken: "not a readable XLSX workbook",
    }
    for path, reason in expected.items():
        outcome = import_file(ctx, "feedback", path, source_name="daily", show_progress=False)
        assert outcome.status == "failed", path
        assert outcome.error.startswith(f"{path}: {reason}"), outcome.error

    assert sorted(stored(ctx, "import:daily")) == ["K1", "K2"]


def test_unit_by_code_on_the_rows_date_by_name_or_from_coordinates(ctx: Context, tmp_path: Path) -> None:
    header = [*HEADER, "unit_name"]
    def named(external_id: str, received_at: str, **extra: str) -> list[str]:
        values = {"external_id": external_id, "received_at": received_at, "status": "received", **extra}
        return [values.get(col, "") for col in header]
    path = write_csv(tmp_path / "units.csv", [
        named("U1", "2026-03-02 08:00", lat="16.33", lon="107.65"),   # nearest commune: Phường Phú Bài
        named("U2", "2026-03-02 08:00", unit_code="999"),
        named("U3", "02/03/2026 08:00", unit_code="482"),           # a district: gone since 1 July 2025
        named("U4", "02/03/2024 08:00", unit_code="482"),           # dd/mm/yyyy, local: Huyện Phú Lộc then
        named("U5", "2026-03-02 08:00", unit_name="phu xuan"),      # by name, without diacritics
        named("U6", "2024-03-02 08:00", unit_name="Phường Phú Xuân"),  # no such ward in 2024
    ], header=header)

    outcome = import_file(ctx, "feedback", path, show_progress=False)

    reports = stored(ctx)
    assert (reports["U1"]["unit_code"], reports["U1"]["commune_code"]) == ("19960", "19960")
    assert (reports["U4"]["unit_code"], reports["U4"]["district_code"], reports["U4"]["received_at"]) == (
        "482", "482", datetime(2024, 3, 2, 1, 0))
    assert (reports["U5"]["unit_code"], reports["U5"]["commune_code"]) == ("19753", "19753")
    assert quarantined(ctx, outcome.source) == {
        "row 3": "unit_code: unknown unit code '999'",
        "row 4": "unit_code: unit code '482' is not in force on 2026-03-02 (Huyện Phú Lộc, until 2025-06-30)",
        "row 7": "unit_name: no unit named 'Phường Phú Xuân' on 2024-03-02",
    }


def test_semicolon_csv_with_decimal_commas(ctx: Context, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "excel_vn.csv", [row("S1", "2026-03-02 08:00", lat="16,46", lon="107,59")],
                     delimiter=";")

    outcome = import_file(ctx, "feedback", path, show_progress=False)

    assert outcome.status == "ok", outcome.error
    assert (stored(ctx)["S1"]["lat"], stored(ctx)["S1"]["lon"]) == (16.46, 107.59)


def test_rows_arrive_in_chunks_with_progress(ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "CHUNK_ROWS", 2)
    path = write_csv(tmp_path / "big.csv", [row(f"C{i}", "2026-03-02 08:00") for i in range(5)])
    calls: list[tuple[int, int | None]] = []
    spec = SourceSpec(name="big", type="file", family="feedback", every_seconds=86400, path=path)

    outcome = run_source(ctx, spec, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert outcome.counts["inserted"] == 5


def test_times_outside_the_accepted_range_are_quarantined_per_row(ctx: Context, tmp_path: Path) -> None:
    """Year 1, year 9999, a report from the future and a deadline decades ahead: each row is
    quarantined with its reason; the good rows beside them are stored."""
    header = [*HEADER, "due_at"]

    def dated(external_id: str, received_at: str, **extra: str) -> list[str]:
        values = {"external_id": external_id, "received_at": received_at, "status": "received", **extra}
        return [values.get(col, "") for col in header]

    path = write_csv(tmp_path / "times.csv", [
        dated("OK1", "2026-03-02 08:00"),
        dated("Y1", "01/01/0001"),
        dated("Y1Z", "0001-01-01T00:00:00+07:00"),
        dated("Y9999", "9999-12-31 10:00"),
        dated("FUTURE", "2099-01-01 08:00"),
        dated("OLD", "1999-12-31 08:00"),
        dated("DUE", "2026-03-02 08:00", due_at="2060-01-01 08:00"),
        dated("OK2", "2026-03-03 08:00", due_at="2026-03-12 17:00"),
    ], header=header)

    outcome = import_file(ctx, "feedback", path, show_progress=False)

    assert outcome.status == "ok", outcome.error
    assert sorted(stored(ctx)) == ["OK1", "OK2"]
    problems = quarantined(ctx, outcome.source)
    assert sorted(problems) == ["row 3", "row 4", "row 5", "row 6", "row 7", "row 8"]
    assert problems["row 4"] == "received_at: '0001-01-01T00:00:00+07:00' is outside the accepted range"
    assert problems["row 5"].startswith("received_at: 9999-12-31 03:00 UTC is after ")
    assert problems["row 6"].startswith("received_at: 2099-01-01 01:00 UTC is after ") and "(now + 1 day)" in problems["row 6"]
    assert problems["row 7"] == "received_at: 1999-12-31 is before 2000-01-01"
    assert problems["row 8"].startswith("due_at: 2060-01-01 01:00 UTC is after ") and "(now + 1827 days)" in problems["row 8"]
    assert problems["row 3"].startswith("received_at: ")
