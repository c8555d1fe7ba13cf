"""Importing a table from a file: a CSV (UTF-8, with or without BOM) or the first sheet of an XLSX.

:class:`TabularFileCollector` does what every family's file importer shares: it reads
``spec.path``, maps the header row to field names (a missing required column or a duplicate
fails the run), turns each data row into a record with the family's :meth:`~TabularFileCollector.record`,
quarantines a bad row with its spreadsheet row number (the header is row 1) and yields batches
of :data:`CHUNK_ROWS` rows. An empty, unreadable or missing file, a header without data rows,
or another extension than .csv/.xlsx fails the run. A family's subclass sets ``family`` and
``required_columns`` and implements :meth:`~TabularFileCollector.record`.
"""

from __future__ import annotations

import csv
import dataclasses
from abc import abstractmethod
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar

from ioc.domain.records import RecordError, parse_dmy, problem
from ioc.sources import Batch, Collector, Reject, SourceError

CHUNK_ROWS = 20_000

Rows = Iterator[tuple[int, list[Any]]]
R = TypeVar("R")


def local_datetime(value: Any) -> Any:
    """``dd/mm/yyyy [HH:MM[:SS]]`` → naive datetime (local); anything else unchanged (an
    impossible date too: the family's validation names the field and the value)."""
    try:
        return parse_dmy(value) or value
    except ValueError:
        return value


def select_row(raw: dict[str, Any], columns: tuple[str, ...], time_columns: tuple[str, ...] = ()) -> dict[str, Any]:
    """A file row reduced to ``columns`` (absent: None), with ``dd/mm/yyyy`` cells of
    ``time_columns`` read as local datetimes."""
    row = {key: raw.get(key) for key in columns}
    for key in time_columns:
        row[key] = local_datetime(row[key])
    return row


def _span(unit: Any) -> str:
    """"Huyện Phú Lộc, until 2025-06-30" for an error message."""
    first = "" if unit.valid_from.year == 1 else f"from {unit.valid_from.isoformat()} "
    last = f"until {unit.valid_to.isoformat()}" if unit.valid_to else "in force"
    return f"{unit.name}, {first}{last}"


class TabularFileCollector(Collector):
    """Reads ``spec.path`` once per run and yields batches of :data:`CHUNK_ROWS` rows."""

    type = "file"
    requires = ("path",)
    required_columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()
    #: columns whose ``dd/mm/yyyy`` cells are local date-times (see :func:`local_datetime`)
    time_columns: tuple[str, ...] = ()

    # --- what a family's file collector provides or overrides ---

    @abstractmethod
    def record(self, raw: dict[str, Any]) -> Any:
        """One row (field name → cell) as a validated record; raises RecordError."""

    def column_name(self, cell: Any) -> str | None:
        """A header cell as a field name (None for a blank header cell)."""
        return str(cell).strip().lower() if cell not in (None, "") else None

    def missing_columns(self, named: list[str]) -> list[str]:
        return [c for c in self.required_columns if c not in named]

    def reject_id(self, raw: dict[str, Any]) -> str | None:
        """The id a quarantined row is listed under."""
        return str(raw.get("external_id") or "").strip() or None

    @property
    def known_units(self) -> set[str]:
        return {u.code for u in self.ctx.units.units}

    def row(self, raw: dict[str, Any]) -> dict[str, Any]:
        """A file row as the family's validation takes it: the known columns (absent: None),
        ``dd/mm/yyyy`` cells of the time columns read as local date-times."""
        return select_row(raw, (*self.required_columns, *self.optional_columns), self.time_columns)

    def with_known_unit(self, record: R, raw: dict[str, Any] | None = None) -> R:
        """``record`` checked against the deployment's units on its local date: a ``unit_code``
        must be of a unit in force that day (codes are reused across the 2025 change), else a
        RecordError says which. Without a code, a ``unit_name`` column names the unit in force
        that day (diacritics and "Phường"/"Xã"… optional); with neither, the store places the
        record by its position, on its date."""
        when = (getattr(record, "received_at", None) or getattr(record, "detected_at", None)
                or getattr(record, "occurred_at", None))
        day = when.replace(tzinfo=UTC).astimezone(self.ctx.tz).date() if when is not None else None  # naive UTC
        units = self.ctx.units
        if record.unit_code:
            if record.unit_code not in self.known_units:
                raise RecordError("unit_code", f"unknown unit code {record.unit_code!r}")
            if day is not None and units.get(record.unit_code, day) is None:
                raise RecordError("unit_code", f"unit code {record.unit_code!r} is not in force on {day.isoformat()}"
                                               f" ({_span(units.version(record.unit_code))})")
        name = str((raw or {}).get("unit_name") or "").strip()
        if not record.unit_code and name:
            unit = units.by_name(name, day) if day is not None else None
            if unit is None:
                raise RecordError("unit_name", f"no unit named {name[:80]!r} on {day.isoformat() if day else '?'}")
            record = dataclasses.replace(record, unit_code=unit.code)
        return record

    # --- the reading, chunking and errors, shared ---

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
        rows, total = (csv_rows if suffix == ".csv" else xlsx_rows)(path)
        header_row = next(rows, None)
        if header_row is None:
            raise SourceError(f"{path}: the file is empty")
        columns = self._columns(path, header_row[1])
        yield from self._validated(path, columns, rows, total)

    def _columns(self, path: Path, header: list[Any]) -> list[str | None]:
        """Header cells → field names (None for blank header cells)."""
        columns = [self.column_name(cell) for cell in header]
        named = [c for c in columns if c]
        duplicates = sorted({c for c in named if named.count(c) > 1})
        if duplicates:
            raise SourceError(f"{path}: duplicate columns: {', '.join(duplicates)}")
        missing = self.missing_columns(named)
        if missing:
            raise SourceError(f"{path}: missing required column(s) {', '.join(missing)}; "
                              f"columns found: {', '.join(named) or '(none)'}")
        return columns

    def _validated(self, path: Path, columns: list[str | None], rows: Rows, total: int | None) -> Iterator[Batch]:
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
                batch.records.append(self.record(raw))
            except Exception as exc:  # noqa: BLE001 - one row never fails the file
                batch.rejects.append(Reject(location=f"row {number}", reason=problem(exc), raw=raw,
                                            external_id=self.reject_id(raw)))
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


def csv_rows(path: Path) -> tuple[Rows, int]:
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

    def rows() -> Rows:
        with path.open(encoding="utf-8-sig", newline="") as f:
            for number, rec in enumerate(csv.reader(f, delimiter=delimiter), start=1):
                if any(c.strip() for c in rec):
                    yield number, rec

    return rows(), max(count - 1, 0)


def xlsx_rows(path: Path) -> tuple[Rows, int | None]:
    """Numbered non-blank rows of the first sheet (header first) and the number of data rows."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zipfile, XML and openpyxl errors alike
        raise SourceError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    sheet = book.worksheets[0]
    total = sheet.max_row - 1 if sheet.max_row else None

    def rows() -> Rows:
        try:
            for number, rec in enumerate(sheet.iter_rows(values_only=True), start=1):
                if any(c is not None and str(c).strip() for c in rec):
                    yield number, list(rec)
        finally:
            book.close()

    return rows(), total
