"""The four data families: how each is validated, stored, summarised and imported.

This is the one registry a new family plugs into: the runner, the generic JSON collector and
the CLI (``import FAMILY FILE``, ``kpi FAMILY …``) dispatch through it, so a family lands
without reshaping the core. A family that has not landed yet is listed with ``ingest=None``
(the Overview shows it as "not yet connected").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine

from data_sources import traffic_files  # traffic
from data_sources.admin_files import import_admin_file  # admin
from data_sources.environment_files import import_environment_file  # environment
from ioc.domain.admin_records import validate_dossier  # admin
from ioc.domain.air_quality import validate_observation  # environment
from ioc.domain.calendar import WorkCalendar
from ioc.domain.feedback import validate_report
from ioc.domain.traffic_records import validate_violation  # traffic
from ioc.kpi import traffic as traffic_kpis  # traffic
from ioc.kpi.admin_views import kpi_report as admin_kpis  # admin
from ioc.kpi.environment import family_kpis as environment_kpis  # environment
from ioc.kpi.periods import Period
from ioc.store import traffic as traffic_store  # traffic
from ioc.store.admin import ingest_records as admin_ingest  # admin
from ioc.store.environment import ingest as environment_ingest  # environment

Ingest = Callable[[Engine, str, Any, ZoneInfo, WorkCalendar], Any]
# Checks one record given as a dict of the store's field names; raises a ValueError subclass
# (RecordError) naming the bad field. The second argument is the zone of offset-less times.
Validate = Callable[[dict[str, Any], Any], Any]
# The KPI set as one JSON-able dict keyed by KPI name: (engine, period, filters, tz, now UTC).
Kpis = Callable[[Engine, Period, dict[str, str], ZoneInfo, datetime], dict[str, Any]]
# Bulk file import: (context, path, show_progress) → RunOutcome.
ImportFile = Callable[[Any, Path, bool], Any]


class UnsupportedFilter(ValueError):
    """A filter the family's KPIs do not take; the message names it."""


@dataclass(frozen=True)
class Family:
    code: str
    label_vi: str
    label_en: str
    ingest: Ingest | None
    validate: Validate | None = None
    kpis: Kpis | None = None
    import_file: ImportFile | None = None
    filters: tuple[str, ...] = ()  # filter names ``kpi`` accepts, e.g. ("district", "category")

    @property
    def connected(self) -> bool:
        return self.ingest is not None

    def label(self, lang: str) -> str:
        return self.label_vi if lang == "vi" else self.label_en

    def check_filters(self, filters: dict[str, str | None]) -> dict[str, str]:
        given = {k: v for k, v in filters.items() if v is not None}
        for name in given:
            if name not in self.filters:
                allowed = ", ".join(f"--{f}" for f in self.filters) or "none"
                raise UnsupportedFilter(f"--{name} does not apply to {self.code} (filters: {allowed})")
        return given


# --- feedback -------------------------------------------------------------------------------


def _ingest_feedback(engine: Engine, source: str, records: Any, tz: ZoneInfo, cal: WorkCalendar) -> Any:
    from ioc.store import feedback as feedback_store

    frame = records if isinstance(records, pd.DataFrame) else feedback_store.records_frame(records)
    return feedback_store.ingest(engine, source, frame, tz, cal)


def _feedback_kpis(engine: Engine, period: Period, filters: dict[str, str], tz: ZoneInfo,
                   now: datetime) -> dict[str, Any]:
    from ioc.kpi.feedback import FeedbackFilter, feedback_kpis

    flt = FeedbackFilter(period, district=filters.get("district"), category=filters.get("category"),
                         channel=filters.get("channel"))
    return feedback_kpis(engine, flt, tz, now).as_dict()


def _feedback_import(ctx: Any, path: Path, show_progress: bool) -> Any:
    from data_sources.feedback_files import import_feedback_file

    return import_feedback_file(ctx, path, show_progress=show_progress)


FAMILIES: dict[str, Family] = {
    "feedback": Family("feedback", "Phản ánh hiện trường", "Citizen field feedback", _ingest_feedback,
                       validate_report, _feedback_kpis, _feedback_import, ("district", "category", "channel")),
    "traffic": Family("traffic", "Vi phạm giao thông", "Traffic violations", traffic_store.ingest_records,
                      validate_violation, traffic_kpis.family_kpis, traffic_files.import_traffic_file,
                      ("district", "category", "channel")),  # category = violation type, channel = camera|citizen
    "environment": Family("environment", "Môi trường, chất lượng không khí", "Environment, air quality",
                          environment_ingest, validate_observation, environment_kpis, import_environment_file,
                          ("district",)),  # district = the stations' unit code
    "admin": Family("admin", "Thủ tục hành chính", "Administrative services", admin_ingest, validate_dossier,
                    admin_kpis, import_admin_file, ("level", "unit")),  # admin: level = province|district|commune
}
