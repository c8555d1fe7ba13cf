"""The alerts page's seven-day history as grid rows (callbacks.alerts.history_rows): texts in the
reader's language and time zone, ISO times to sort on, an ongoing alert and an acknowledgement."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from callbacks.alerts import history_rows
from ioc.alerts import Alert
from layouts.alerts import HISTORY_PAGE, history_grid

CTX = SimpleNamespace(tz=ZoneInfo("Asia/Ho_Chi_Minh"))
ENDED = Alert(id=7, family="flood", kind="heavy_rain", key="KIM_LONG", severity="warning", rank=2, level="warning",
              started_at=datetime(2026, 11, 30, 23, 30), ended_at=datetime(2026, 12, 1, 2, 0),
              details={"station": "Kim Long", "mm": 62.5, "hours": 3}, acked_by="Nguyễn Thị Lan",
              acked_at=datetime(2026, 11, 30, 23, 45), ack_note="đã báo xã")
ONGOING = Alert(id=9, family="cameras", kind="camera_offline", key="SEC-085", severity="warning", rank=2,
                level="warning", started_at=datetime(2026, 12, 3, 4, 58),
                ended_at=None, details={"camera": "Công viên Lý Tự Trọng (2)", "minutes": 741})


def test_history_rows_are_formatted_in_the_readers_language_and_time_zone() -> None:
    ended, ongoing = history_rows([ENDED, ONGOING], CTX, "vi")
    assert ended["id"] == "7" and ended["rank"] == 2 and ended["acked"] is True
    assert ended["started"] == "01/12/2026 06:30"  # 23:30 UTC is 06:30 the next day in Huế
    assert ended["started_at"] == "2026-11-30T23:30:00" and ended["ended"] == "01/12/2026 09:00"
    assert "Nguyễn Thị Lan" in ended["ack"] and ended["ack_note"] == "đã báo xã"
    assert ended["severity"].endswith("Cảnh báo") and ended["family"] and ended["what"]
    assert ongoing["ended"] == "đang diễn ra" and ongoing["ended_at"] == "9999"  # sorts after every end
    assert ongoing["ack"] == "–" and ongoing["acked"] is False
    assert history_rows([ONGOING], CTX, "en")[0]["ended"] == "ongoing"


def test_the_history_grid_pages_in_the_pages_language() -> None:
    grid = history_grid("vi")
    options = grid.dashGridOptions
    assert options["pagination"] and options["paginationPageSize"] == HISTORY_PAGE
    assert options["localeText"]["page"] == "Trang" and options["localeText"]["noRowsToShow"]
    assert [c["headerName"] for c in grid.columnDefs][:2] == ["Mức độ", "Lĩnh vực"]
