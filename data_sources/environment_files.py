"""Air-quality hourly means from a file: a CSV (UTF-8, with or without BOM) or the first sheet of
an XLSX, one row per station, parameter and hour ("long" format).

==================  ========  ==============================================================
Column              Required  Meaning
==================  ========  ==============================================================
``station_id``      yes       The station's id (the key, with parameter and hour)
``parameter``       yes       pm25, pm10, o3, co, so2, no2 (or PM2.5, PM10, O3, CO, SO2, NO2)
``hour``            yes*      Start of the averaging hour (* or ``hour_end``: its end)
``value``           yes       The hourly mean as measured (a decimal comma is accepted)
``unit``            yes       µg/m³ (ug/m3), mg/m³, ppb or ppm — gases in ppb/ppm are
                              converted at 25 °C and 1 atm
``updated_at``      no        Version of the row: a later one with another value replaces the
                              stored value (empty: the end of the hour)
``station_name``    no        Creates or names the station
``lat``, ``lon``    no        WGS 84 degrees of the station
``provider``        no        Who runs the station
==================  ========  ==============================================================

Column names are matched case-insensitively. Times are ISO 8601 or ``dd/mm/yyyy HH:MM``; with
an offset they are converted to UTC, without one (and Excel date cells) they are local time in
``IOC_TIMEZONE``. A bad row is quarantined with its row number and the reason; the other rows
are imported. Negative values are imported and flagged (kept out of the index), not rejected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from data_sources.tabular import TabularFileCollector
from ioc.domain.air_quality import validate_observation

if TYPE_CHECKING:
    pass

REQUIRED_COLUMNS = ("station_id", "parameter", "value", "unit")
OPTIONAL_COLUMNS = ("hour", "hour_end", "updated_at", "station_name", "lat", "lon", "provider")
TIME_COLUMNS = ("hour", "hour_end", "updated_at")


class EnvironmentFileCollector(TabularFileCollector):
    """Reads ``spec.path`` once per run (CSV or XLSX) and yields batches of validated hourly means."""

    type = "file"
    family = "environment"

    required_columns = REQUIRED_COLUMNS
    optional_columns = OPTIONAL_COLUMNS
    time_columns = TIME_COLUMNS

    def missing_columns(self, named: list[str]) -> list[str]:
        missing = super().missing_columns(named)
        if "hour" not in named and "hour_end" not in named:
            missing.append("hour (or hour_end)")
        return missing

    def record(self, raw: dict[str, Any]) -> Any:
        return validate_observation(self.row(raw), naive_tz=self.ctx.tz)

    def reject_id(self, raw: dict[str, Any]) -> str | None:
        return "/".join(str(raw.get(k) or "") for k in ("station_id", "parameter", "hour"))
