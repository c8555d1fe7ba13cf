"""Citizen feedback from a file: a CSV (UTF-8, with or without BOM) or the first sheet of an XLSX.

The first row is the header. Column names are matched case-insensitively with surrounding
spaces stripped; unknown columns are ignored; a missing required column fails the whole run.

=================  ========  ===============================================================
Column             Required  Meaning
=================  ========  ===============================================================
``external_id``    yes       The report's id in the source system (the upsert key)
``received_at``    yes       When the report was received (tiếp nhận)
``status``         yes       received | verified | assigned | in_progress | resolved |
                             rejected, or Tiếp nhận, Đã xác minh, Đã chuyển xử lý,
                             Đang xử lý, Đã xử lý, Từ chối
``category_code``  no        e.g. traffic_infra, lighting (empty: other)
``category_name``  no        Display name of the category
``description``    no        The citizen's text, stored verbatim
``address``        no        Where the problem is
``unit_code``      no        GSO code of the district-level unit, e.g. 474 (Thành phố Huế);
                             empty: the unit nearest to lat/lon
``lat``, ``lon``   no        WGS 84 degrees (a decimal comma is accepted)
``channel``        no        hue_s | hotline | web | social | other, or Hue-S,
                             Đường dây nóng, Cổng thông tin, Mạng xã hội, Khác (empty: other)
``handling_unit``  no        The unit handling the report
``due_at``         no        Deadline (empty: received_at + 7 working days)
``resolved_at``    no        When it was closed; required for resolved and rejected reports
``rating``         no        satisfied | acceptable | dissatisfied, or Hài lòng, Chấp nhận,
                             Không hài lòng, or empty
``updated_at``     no        Version of the row: a row replaces the stored report only if it
                             is later (empty: the latest of received_at and resolved_at)
=================  ========  ===============================================================

Status, channel and rating are matched case- and accent-insensitively ("da xu ly" works).
Times are ISO 8601 (``2026-03-02T08:00:00+07:00``, ``2026-03-02 08:00``) or Vietnamese
``dd/mm/yyyy [HH:MM[:SS]]``. A time with an offset is converted to UTC; a time without one,
and every Excel date cell, is **local time** in ``IOC_TIMEZONE`` (a one-stop office's export
is in local time). A bad row is quarantined with its spreadsheet row number (the header is
row 1) and the reason; the other rows are still imported. An empty, unreadable or missing
file, a header without data rows, or another extension than .csv/.xlsx fails the run.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import sys
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data_sources.base import Batch, Collector, Reject, SourceError, SourceSpec
from ioc.domain.feedback import CHANNEL_LABELS, RATING_LABELS, STATUS_LABELS, validate_report
from ioc.domain.records import RecordError
from ioc.domain.units import nearest_unit

if TYPE_CHECKING:
    from ioc.collect import RunOutcome
    from ioc.context import Context

REQUIRED_COLUMNS = ("external_id", "received_at", "status")
OPTIONAL_COLUMNS = ("category_code", "category_name", "description", "address", "unit_code", "lat", "lon",
                    "channel", "handling_unit", "due_at", "resolved_at", "rating", "updated_at")
TIME_COLUMNS = ("received_at", "due_at", "resolved_at", "updated_at")
CHUNK_ROWS = 20_000
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@lru_cache(maxsize=4096)  # a file repeats a handful of words hundreds of thousands of times
def _fold(text: str) -> str:
    """Lower case without Vietnamese accents, spaces and hyphens as underscores."""
    text = unicodedata.normalize("NFD", text.strip().casefold()).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s\-]+", "_", text)


def _aliases(labels: dict[str, tuple[str, str]], extra: dict[str, str]) -> dict[str, str]:
    table = {_fold(code): code for code in labels}
    for code, names in labels.items():
        table.update({_fold(name): code for name in names})
    table.update({_fold(name): code for name, code in extra.items()})
    return table


ALIASES = {
    "status": _aliases(STATUS_LABELS, {"Đã tiếp nhận": "received", "Đang giải quyết": "in_progress",
                                       "Đã giải quyết": "resolved", "Đã hoàn thành": "resolved"}),
    "rating": _aliases(RATING_LABELS, {}),
    "channel": _aliases(CHANNEL_LABELS, {"Hue-S": "hue_s", "Hotline": "hotline", "Web": "web",
                                         "Cổng dịch vụ công": "web", "Facebook": "social", "Zalo": "social"}),
}


def _local_datetime(value: Any) -> Any:
    """``dd/mm/yyyy [HH:MM[:SS]]`` → naive datetime (local); anything else unchanged."""
    match = _DMY.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return value
    d, m, y, hh, mm, ss = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(y, m, d, hh, mm, ss)
    except ValueError:
        return value  # validate_report names the field and the value


def normalise_row(raw: dict[str, Any]) -> dict[str, Any]:
    """One file row (header name → cell) as :func:`validate_report` takes it."""
    row = {key: ("" if raw.get(key) is None else raw.get(key)) for key in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
    for key in ("external_id", "unit_code"):  # Excel keeps 474 as a number
        if isinstance(row[key], float) and row[key].is_integer():
            row[key] = int(row[key])
    for key, table in ALIASES.items():
        if isinstance(row[key], str) and row[key].strip():
            row[key] = table.get(_fold(row[key]), row[key])
    for key in ("lat", "lon"):
        if isinstance(row[key], str) and row[key].count(",") == 1 and "." not in row[key]:
            row[key] = row[key].replace(",", ".")
    for key in TIME_COLUMNS:
        row[key] = _local_datetime(row[key])
    return row


class FeedbackFileCollector(Collector):
    """Reads ``spec.path`` once per run and yields batches of :data:`CHUNK_ROWS` rows."""

    type = "file"
    family = "feedback"

    @property
    def path(self) -> Path:
        if self.spec.path is None:
            raise SourceError(f"source {self.spec.name!r}: no 'path' given")
        return Path(self.spec.path)

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        path = self.path
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise SourceError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; use .csv or .xlsx")
        try:
            if path.stat().st_size == 0:
                raise SourceError(f"{path}: the file is empty")
        except OSError as exc:
            raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
        rows, total = (self._csv_rows if suffix == ".csv" else self._xlsx_rows)(path)
        header_row = next(rows, None)
        if header_row is None:
            raise SourceError(f"{path}: the file is empty")
        columns = self._columns(path, header_row[1])
        yield from self._validated(path, columns, rows, total)

    # --- what a family's file collector overrides; the reading, chunking and errors are shared ---
    required_columns: tuple[str, ...] = REQUIRED_COLUMNS

    def _column_name(self, cell: Any) -> str | None:
        """A header cell as a field name (None for a blank header cell)."""
        return str(cell).strip().lower() if cell not in (None, "") else None

    def _missing_columns(self, named: list[str]) -> list[str]:
        return [c for c in self.required_columns if c not in named]

    def _record(self, raw: dict[str, Any]) -> Any:
        """One row (field name → cell) as a validated record; raises RecordError."""
        units = self.ctx.units
        record = validate_report(normalise_row(raw), naive_tz=self.ctx.tz)
        if record.unit_code and record.unit_code not in self._known_units:
            raise RecordError("unit_code", f"unknown unit code {record.unit_code!r}")
        if not record.unit_code:
            record = dataclasses.replace(record, unit_code=nearest_unit(record.lat, record.lon, units))
        return record

    def _reject_id(self, raw: dict[str, Any]) -> str | None:
        return str(raw.get("external_id") or "").strip() or None

    @property
    def _known_units(self) -> set[str]:
        return {u.code for u in self.ctx.units}

    def _columns(self, path: Path, header: list[Any]) -> list[str | None]:
        """Header cells → field names (None for blank header cells)."""
        columns = [self._column_name(cell) for cell in header]
        named = [c for c in columns if c]
        duplicates = sorted({c for c in named if named.count(c) > 1})
        if duplicates:
            raise SourceError(f"{path}: duplicate columns: {', '.join(duplicates)}")
        missing = self._missing_columns(named)
        if missing:
            raise SourceError(f"{path}: missing required column(s) {', '.join(missing)}; "
                              f"columns found: {', '.join(named) or '(none)'}")
        return columns

    def _validated(self, path: Path, columns: list[str | None], rows: Iterator[tuple[int, list[Any]]],
                   total: int | None) -> Iterator[Batch]:
        progress = self.ctx.progress
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
                batch.records.append(self._record(raw))
            except RecordError as exc:
                batch.rejects.append(Reject(location=f"row {number}", reason=str(exc), raw=raw,
                                            external_id=self._reject_id(raw)))
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

    def _csv_rows(self, path: Path) -> tuple[Iterator[tuple[int, list[Any]]], int]:
        """Numbered non-blank records (header first) and the number of data rows.

        A first pass counts the rows, so an encoding or quoting error fails the run before
        anything is stored. A multi-line quoted cell is one row, as in a spreadsheet.
        """
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                first = f.readline()
                delimiter = max(",;\t", key=first.count)
                f.seek(0)
                count = sum(1 for rec in csv.reader(f, delimiter=delimiter) if any(c.strip() for c in rec))
        except UnicodeDecodeError as exc:
            raise SourceError(f"{path}: not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'") from None
        except csv.Error as exc:
            raise SourceError(f"{path}: not a readable CSV file ({exc})") from None
        except OSError as exc:
            raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None

        def rows() -> Iterator[tuple[int, list[Any]]]:
            with path.open(encoding="utf-8-sig", newline="") as f:
                for number, rec in enumerate(csv.reader(f, delimiter=delimiter), start=1):
                    if any(c.strip() for c in rec):
                        yield number, rec

        return rows(), max(count - 1, 0)

    def _xlsx_rows(self, path: Path) -> tuple[Iterator[tuple[int, list[Any]]], int | None]:
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - zipfile, XML and openpyxl errors alike
            raise SourceError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
        sheet = book.worksheets[0]
        total = sheet.max_row - 1 if sheet.max_row else None

        def rows() -> Iterator[tuple[int, list[Any]]]:
            try:
                for number, rec in enumerate(sheet.iter_rows(values_only=True), start=1):
                    if any(c is not None and str(c).strip() for c in rec):
                        yield number, list(rec)
            finally:
                book.close()

        return rows(), total


def import_file(ctx: Context, path: str | Path, family: str, source_name: str | None = None,
                show_progress: bool = True) -> RunOutcome:
    """Import a ``family`` file once (``python -m ioc import FAMILY FILE``), with a progress bar.

    The source is named ``import:<file name>`` unless ``source_name`` is given; re-importing a
    file updates only rows with a later ``updated_at``. Returns the run's outcome (status
    ``failed`` with the reason for a bad file; nothing already stored is ever removed).
    """
    from tqdm import tqdm

    from ioc.collect import run_source

    path = Path(path)
    name = (source_name or f"import:{path.name}")[:64]
    spec = SourceSpec(name=name, type="file", family=family, every_seconds=86400, path=path)
    with tqdm(total=None, unit=" rows", desc=path.name, file=sys.stderr, disable=not show_progress) as bar:
        def progress(done: int, total: int | None) -> None:
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        return run_source(ctx, spec, progress=progress)


def import_feedback_file(ctx: Context, path: str | Path, source_name: str | None = None,
                         show_progress: bool = True) -> RunOutcome:
    """Import a feedback file once (``python -m ioc import feedback FILE``)."""
    return import_file(ctx, path, "feedback", source_name, show_progress)
