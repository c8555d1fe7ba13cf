"""The four data families and how each one is stored. A family that has not landed yet is
listed (so the Overview can say "not yet connected") with ``ingest=None``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine

from ioc.domain.calendar import WorkCalendar
from ioc.store import feedback as feedback_store

Ingest = Callable[[Engine, str, Any, ZoneInfo, WorkCalendar], Any]


@dataclass(frozen=True)
class Family:
    code: str
    label_vi: str
    label_en: str
    ingest: Ingest | None

    @property
    def connected(self) -> bool:
        return self.ingest is not None

    def label(self, lang: str) -> str:
        return self.label_vi if lang == "vi" else self.label_en


def _ingest_feedback(engine: Engine, source: str, records: Any, tz: ZoneInfo, cal: WorkCalendar) -> Any:
    frame = records if isinstance(records, pd.DataFrame) else feedback_store.records_frame(records)
    return feedback_store.ingest(engine, source, frame, tz, cal)


FAMILIES: dict[str, Family] = {
    "feedback": Family("feedback", "Phản ánh hiện trường", "Citizen field feedback", _ingest_feedback),
    "traffic": Family("traffic", "Vi phạm giao thông", "Traffic violations", None),
    "environment": Family("environment", "Môi trường, chất lượng không khí", "Environment, air quality", None),
    "admin": Family("admin", "Thủ tục hành chính", "Administrative services", None),
}
