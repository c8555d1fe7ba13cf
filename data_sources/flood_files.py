"""Hydrological stations' hourly observations from a file: a CSV (UTF-8, with or without BOM)
or the first sheet of an XLSX, one row per station and hour.

===================  ========  ===========================================================
Column               Required  Meaning
===================  ========  ===========================================================
``station_id``       yes       The station (``kim_long``, ``phu_oc``, … of
                               ioc/domain/data/hue_flood_stations.csv, or another id)
``observed_at``      yes       The end of the hour observed, on the hour
``water_level_m``    yes*      Water level at the gauge (m; a decimal comma is accepted)
``rain_mm``          yes*      Rain during the hour (mm) — * at least one of the two
``updated_at``       no        Version of the row: a later one replaces the stored values
===================  ========  ===========================================================

Times are ISO 8601 or ``dd/mm/yyyy HH:MM``; without an offset they are local time in
``IOC_TIMEZONE``. A bad row is quarantined with its row number and the reason.
"""

from __future__ import annotations

from typing import Any

from data_sources.tabular import TabularFileCollector
from ioc.domain.floods import validate_observation


class FloodFileCollector(TabularFileCollector):
    type = "file"
    family = "flood"

    required_columns = ("station_id", "observed_at")
    optional_columns = ("water_level_m", "rain_mm", "updated_at")
    time_columns = ("observed_at", "updated_at")

    def missing_columns(self, named: list[str]) -> list[str]:
        missing = super().missing_columns(named)
        if "water_level_m" not in named and "rain_mm" not in named:
            missing.append("water_level_m (or rain_mm)")
        return missing

    def record(self, raw: dict[str, Any]) -> Any:
        return validate_observation(self.row(raw), naive_tz=self.ctx.tz)

    def reject_id(self, raw: dict[str, Any]) -> str | None:
        return "/".join(str(raw.get(k) or "") for k in ("station_id", "observed_at"))
