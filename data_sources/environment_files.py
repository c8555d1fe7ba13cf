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

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data_sources.base import Batch, Reject, SourceError, SourceSpec
from data_sources.files import CHUNK_ROWS, FeedbackFileCollector, _local_datetime
from ioc.domain.air_quality import validate_observation
from ioc.domain.feedback import RecordError

if TYPE_CHECKING:
    from ioc.collect import RunOutcome
    from ioc.context import Context

REQUIRED_COLUMNS = ("station_id", "parameter", "value", "unit")
OPTIONAL_COLUMNS = ("hour", "hour_end", "updated_at", "station_name", "lat", "lon", "provider")
TIME_COLUMNS = ("hour", "hour_end", "updated_at")


def normalise_row(raw: dict[str, Any]) -> dict[str, Any]:
    """One file row (header name → cell) as :func:`validate_observation` takes it."""
    row = {key: raw.get(key) for key in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
    for key in TIME_COLUMNS:
        row[key] = _local_datetime(row[key])
    return row


class EnvironmentFileCollector(FeedbackFileCollector):
    """Reads ``spec.path`` once per run (CSV or XLSX) and yields batches of validated hourly means."""

    type = "file"
    family = "environment"

    def _columns(self, path: Path, header: list[Any]) -> list[str | None]:
        columns = [str(cell).strip().lower() if cell not in (None, "") else None for cell in header]
        named = [c for c in columns if c]
        duplicates = sorted({c for c in named if named.count(c) > 1})
        if duplicates:
            raise SourceError(f"{path}: duplicate columns: {', '.join(duplicates)}")
        missing = [c for c in REQUIRED_COLUMNS if c not in named]
        if "hour" not in named and "hour_end" not in named:
            missing.append("hour (or hour_end)")
        if missing:
            raise SourceError(f"{path}: missing required column(s) {', '.join(missing)}; "
                              f"columns found: {', '.join(named) or '(none)'}")
        return columns

    def _validated(self, path: Path, columns: list[str | None], rows: Iterator[tuple[int, list[Any]]],
                   total: int | None) -> Iterator[Batch]:
        tz, progress = self.ctx.tz, self.ctx.progress
        batch, done = Batch(), 0
        for number, cells in rows:
            raw = {name: cell for name, cell in zip(columns, cells, strict=False) if name}
            batch.fetched += 1
            done += 1
            try:
                overflow = [c for c in cells[len(columns):] if c not in (None, "")]
                if overflow:
                    raise RecordError("row", f"values beyond the last of the {len(columns)} header columns "
                                             "(an unquoted comma?)")
                batch.records.append(validate_observation(normalise_row(raw), naive_tz=tz))
            except RecordError as exc:
                key = "/".join(str(raw.get(k) or "") for k in ("station_id", "parameter", "hour"))
                batch.rejects.append(Reject(location=f"row {number}", reason=str(exc), raw=raw, external_id=key))
            if batch.fetched >= CHUNK_ROWS:
                yield batch
                batch = Batch()
                if progress:
                    progress(done, total)
        if done == 0:
            raise SourceError(f"{path}: the header has no data rows under it")
        yield batch
        if progress:
            progress(done, done)


def import_environment_file(ctx: Context, path: str | Path, show_progress: bool = True,
                            source_name: str | None = None) -> RunOutcome:
    """Import an air-quality file once (``python -m ioc import environment FILE``).

    The source is named ``import:<file name>``; re-importing the file changes only rows whose
    ``updated_at`` is later and whose value differs. Returns the run's outcome.
    """
    from tqdm import tqdm

    from ioc.collect import run_source

    path = Path(path)
    name = (source_name or f"import:{path.name}")[:64]
    spec = SourceSpec(name=name, type="file", family="environment", every_seconds=86400, path=path)
    with tqdm(total=None, unit=" rows", desc=path.name, file=sys.stderr, disable=not show_progress) as bar:
        def progress(done: int, total: int | None) -> None:
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        return run_source(ctx, spec, progress=progress)
