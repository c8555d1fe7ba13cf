"""XLSX exports (pure: a frame and the view's description in, workbook bytes out).

The first sheet holds ``frame`` as real Excel values: numbers as numbers, dates and times as
date cells, rates as percentages; its header row is bold, frozen and carries an auto-filter,
and its columns are as wide as their content (bounded). The second sheet ("Thông tin" /
"About") lists ``meta``: period, filters, source, generated time, simulated flag.

Number formats. Excel number-format codes are locale-neutral: in ``#,##0.00`` the comma means
"group digits" and the dot "decimal point", and Excel draws them with the *reader's* separators
(``1.234,50`` in a Vietnamese Excel, ``1,234.50`` in an English one). So numbers use the same
codes in both languages; hard-coding ``#.##0,00`` for Vietnamese would instead show wrongly
everywhere. What differs by language is what Excel does not localise by itself:

- dates: ``dd/mm/yyyy`` (``dd/mm/yyyy hh:mm``) in Vietnamese, as offices write them;
  ISO ``yyyy-mm-dd`` (``yyyy-mm-dd hh:mm``) in English, which no English reader misreads;
- percentages: ``0.0 %`` with a space in Vietnamese (as the tiles write ``95,0 %``), ``0.0%``
  in English.

Which column is what. Datetime columns (and Python dates/datetimes) become date cells; text
columns whose every value is an ISO date (``2026-12-03``, ``2026-12-03 14:05[:00]``) or a
Vietnamese one (``03/12/2026``, ``03/12/2026 14:05[:00]``), as :mod:`layouts.exports` writes
them, become date cells too (``–``, ``—`` and empty count as missing). Booleans are written
as ``Có`` / ``Không`` (``Yes`` / ``No``), not TRUE / FALSE. Rate columns, ratios between 0
and 1, are the ones named in ``rate_columns`` or, by default, whose name ends in ``_rate``,
``_share`` or `` (0–1)`` (the CSV exports' header for a ratio; that suffix is dropped from the
XLSX header, the percent format says it). Text that a spreadsheet would run as a formula is
neutralised as in the CSV exports (:func:`layouts.exports.neutralise_formula`): reports are
citizen text.

Speed and memory: openpyxl (write-only mode) writes the workbook: styles, both sheets' layout,
header, frozen pane, filter, widths, the about sheet, and one probe row holding a cell of each
column's format. Its cell objects cost about 15 µs a cell (20 s for 100,000 rows × 15 columns
on our 2-core machines), so the data rows themselves are written as sheet XML in chunks of
5,000 rows straight into the zip, in the probe row's place and with the style numbers openpyxl
gave it. Text is cleaned and escaped a chunk at a time, so the frame's strings are not copied
(100,000 rows: ≈ 5 s of CPU, ≈ 60 MB above the frame; ``bench/exports.py``). At most
1,048,575 rows (Excel's limit); text longer than a cell holds (32,767 characters) is cut.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ioc.i18n import DASH, t
from layouts.exports import neutralise_formula

RATE_SUFFIXES = ("_rate", "_share")
RATIO_HEADER_SUFFIX = " (0–1)"
MIN_WIDTH, MAX_WIDTH = 6, 60  # column widths, in Excel's character units
MAX_HEADER_WIDTH = 30
MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
MAX_CELL_TEXT = 32_767  # characters in one cell
MAX_DECIMALS = 6
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

DATE_FORMATS = {"vi": "dd/mm/yyyy", "en": "yyyy-mm-dd"}
DATETIME_FORMATS = {"vi": "dd/mm/yyyy hh:mm", "en": "yyyy-mm-dd hh:mm"}
PERCENT_FORMATS = {"vi": "0.0 %", "en": "0.0%"}

#: text dates as the exports write them: (pattern, strptime format)
_TEXT_DATES = (
    (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"),
    (r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", None),
    (r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}", None),
    (r"\d{2}/\d{2}/\d{4}", "%d/%m/%Y"),
    (r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", "%d/%m/%Y %H:%M"),
    (r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", "%d/%m/%Y %H:%M:%S"),
)

_MISSING_TEXT = (DASH, "—", "–", "-")  # what the CSV-shaped frames write for "no value"
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E2E8F0")
_HEADER_ALIGN = Alignment(vertical="top", wrap_text=True)


class _Column:
    """One column ready to write: its header, the kind of its cells ("n" number, "d" date as
    Excel's serial day number, "s" text), their values (a float array with NaN for missing
    numbers and dates, a string Series with NA for missing text),
    the number format (None: text, no format) and the width."""

    __slots__ = ("header", "kind", "values", "number_format", "width")

    def __init__(self, header: str, kind: str, values: Any, number_format: str | None, width: float) -> None:
        self.header, self.kind, self.values = header, kind, values
        self.number_format, self.width = number_format, width


def xlsx_bytes(frame: pd.DataFrame, meta: Mapping[str, object], lang: str, sheet_title: str, *,
               rate_columns: Collection[str] | None = None) -> bytes:
    """``frame`` as an XLSX workbook: the data sheet ``sheet_title`` and the "about" sheet
    listing ``meta`` (label → value, in order; values may be text, numbers, dates, booleans,
    mappings or lists). ``lang`` ("vi" or "en") picks the date and percent formats and the
    about sheet's labels. ``rate_columns`` names the columns holding ratios 0..1 (default: by
    name, see the module doc). Raises ``ValueError`` naming what is wrong: no columns, an
    unusable sheet title, a rate column with a value outside 0..1."""
    if lang not in DATE_FORMATS:
        raise ValueError(f"lang {lang!r} is not one of {', '.join(DATE_FORMATS)}")
    if frame.shape[1] == 0:
        raise ValueError("frame has no columns: nothing to export")
    if len(frame) > MAX_ROWS:
        raise ValueError(f"frame has {len(frame):,} rows; a sheet holds at most {MAX_ROWS:,} under its header")
    title = _sheet_title(sheet_title)
    about_title = t("print_about_sheet", lang)
    if title.casefold() == about_title.casefold():
        raise ValueError(f"sheet_title {sheet_title!r} is the name of the about sheet")
    rates = set(rate_columns) if rate_columns is not None else None
    columns = [_column(str(name), frame.iloc[:, j], lang, rates) for j, name in enumerate(frame.columns)]

    wb = Workbook(write_only=True)
    wb.properties.title = title
    wb.properties.creator = "IOC Huế"
    _data_sheet(wb, title, columns, len(frame))
    _about_sheet(wb, about_title, meta, lang)
    out = io.BytesIO()
    wb.save(out)
    return _splice_rows(out.getvalue(), columns, len(frame))


def _sheet_title(raw: str) -> str:
    title = " ".join(_SHEET_TITLE_FORBIDDEN.sub(" ", str(raw)).split()).strip("'")[:31].strip()
    if not title:
        raise ValueError(f"sheet_title {raw!r} is empty once the characters Excel forbids ([]:*?/\\) are removed")
    return title


def _data_sheet(wb: Workbook, title: str, columns: Sequence[_Column], rows: int) -> None:
    """The data sheet's layout, header and a probe row: one cell of each number format, whose
    style numbers :func:`_splice_rows` reads before it puts the real rows in the probe's place."""
    ws = wb.create_sheet(title)
    # write-only sheets take their layout before the first row
    for j, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{rows + 1}"
    ws.append([_header_cell(ws, col.header) for col in columns])
    probe = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=0)
        if col.number_format is not None:
            cell.number_format = col.number_format
        probe.append(cell)
    ws.append(probe)


_PROBE_ROW = re.compile(r'<row r="2"[^>]*>.*?</row>', re.S)
_PROBE_CELL = re.compile(r'<c r="([A-Z]+)2"([^>]*)>')
_STYLE_ATTR = re.compile(r'\bs="(\d+)"')
_CHUNK_ROWS = 5_000


def _splice_rows(workbook: bytes, columns: Sequence[_Column], rows: int) -> bytes:
    """The workbook with the data sheet's probe row replaced by the ``rows`` data rows.

    openpyxl spends about 15 µs a cell in its cell objects (20 s for 100,000 rows of 15
    columns on our 2-core machines); the rows are plain XML, so they are written here as text,
    a chunk at a time straight into the zip, with the style numbers openpyxl gave the probe."""
    src = zipfile.ZipFile(io.BytesIO(workbook))
    sheet_name = "xl/worksheets/sheet1.xml"
    sheet = src.read(sheet_name).decode("utf-8")
    probe = _PROBE_ROW.search(sheet)
    if probe is None:
        raise RuntimeError(f"openpyxl wrote {sheet_name} without the probe row: cannot place the rows")
    styles = {}
    for letter, attrs in _PROBE_CELL.findall(probe.group(0)):
        found = _STYLE_ATTR.search(attrs)
        styles[letter] = f' s="{found.group(1)}"' if found else ""
    letters = [get_column_letter(j) for j in range(1, len(columns) + 1)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:  # 4× faster, a third larger
        for info in src.infolist():
            if info.filename != sheet_name:
                dst.writestr(info, src.read(info.filename))
                continue
            with dst.open(sheet_name, "w", force_zip64=True) as stream:
                stream.write(sheet[: probe.start()].encode("utf-8"))
                for first in range(0, rows, _CHUNK_ROWS):
                    last = min(rows, first + _CHUNK_ROWS)
                    cells = [_cells(col, letter, styles.get(letter, ""), first, last)
                             for col, letter in zip(columns, letters, strict=True)]
                    text = "".join(f'<row r="{r}">{"".join(row)}</row>'
                                   for r, row in zip(range(first + 2, last + 2), zip(*cells, strict=True), strict=True))
                    stream.write(text.encode("utf-8"))
                stream.write(sheet[probe.end():].encode("utf-8"))
    return out.getvalue()


def _cells(col: _Column, letter: str, style: str, first: int, last: int) -> list[str]:
    """The XML of the column's cells in rows [first, last) of the frame (sheet rows first + 2 …)."""
    rows = range(first + 2, last + 2)
    chunk = col.values.iloc[first:last] if isinstance(col.values, pd.Series) else col.values[first:last]
    if col.kind == "s":
        return ["" if v is pd.NA else f'<c r="{letter}{r}" t="inlineStr">{_xml_text(_clean_text(v))}</c>'
                for r, v in zip(rows, chunk.tolist(), strict=True)]
    if col.kind == "d" and col.number_format in DATE_FORMATS.values():
        return ["" if v != v else f'<c r="{letter}{r}"{style}><v>{int(v)}</v></c>'
                for r, v in zip(rows, chunk.tolist(), strict=True)]
    return ["" if v != v else f'<c r="{letter}{r}"{style}><v>{_number(v)}</v></c>'
            for r, v in zip(rows, chunk.tolist(), strict=True)]


def _number(value: float) -> str:
    """A number as Excel reads it: integers without ``.0``; infinities are not numbers in a cell."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if math.isinf(value):
        raise ValueError(f"{value} cannot be written in a spreadsheet cell")
    return repr(value)


def _header_cell(ws: Any, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=_clean_text(text))
    cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
    return cell


def _about_sheet(wb: Workbook, title: str, meta: Mapping[str, object], lang: str) -> None:
    ws = wb.create_sheet(title)
    rows = [(_clean_text(str(label)), _about_value(value, lang)) for label, value in meta.items()]
    widths = [max([len(t("print_about_item", lang))] + [len(label) for label, _ in rows]),
              max([len(t("print_about_value", lang))] + [_text_width(v) for _, v in rows])]
    for j, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = _bounded(width)
    ws.freeze_panes = "A2"
    ws.append([_header_cell(ws, t("print_about_item", lang)), _header_cell(ws, t("print_about_value", lang))])
    for label, value in rows:
        label_cell = WriteOnlyCell(ws, value=label)
        label_cell.font = _HEADER_FONT
        value_cell: Any = value
        if isinstance(value, datetime | date):
            value_cell = WriteOnlyCell(ws, value=value)
            value_cell.number_format = (DATETIME_FORMATS if isinstance(value, datetime) else DATE_FORMATS)[lang]
        ws.append([label_cell, value_cell])


def _about_value(value: object, lang: str) -> object:
    """A meta value as one cell: text (neutralised), number, date or yes/no."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if isinstance(value, bool | np.bool_):
        return t("print_yes" if value else "print_no", lang)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # the wall time in the zone it carries: Excel has no zones
    if isinstance(value, date | int | float | np.integer | np.floating):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, Mapping):
        return _clean_text("; ".join(f"{k}: {_plain(v, lang)}" for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return _clean_text(", ".join(_plain(v, lang) for v in value))
    return _clean_text(str(value))


def _plain(value: object, lang: str) -> str:
    shown = _about_value(value, lang)
    if isinstance(shown, datetime):
        return shown.isoformat(sep=" ", timespec="minutes")
    if isinstance(shown, date):
        return shown.isoformat()
    return str(shown)


def _clean_text(text: str) -> str:
    """Citizen text made safe for a cell: no control characters XML refuses, no formula."""
    return neutralise_formula(ILLEGAL_CHARACTERS_RE.sub("", text)[:MAX_CELL_TEXT])  # type: ignore[return-value]


def _text_width(value: object) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def _bounded(width: float) -> float:
    return float(min(MAX_WIDTH, max(MIN_WIDTH, math.ceil(width) + 2)))


def _is_rate(name: str, rates: set[str] | None) -> bool:
    if rates is not None:
        return name in rates
    return name.endswith(RATE_SUFFIXES) or name.endswith(RATIO_HEADER_SUFFIX)


def _column(name: str, series: pd.Series, lang: str, rates: set[str] | None) -> _Column:
    header = name.removesuffix(RATIO_HEADER_SUFFIX) if name.endswith(RATIO_HEADER_SUFFIX) else name
    header_width = min(len(header), MAX_HEADER_WIDTH)  # a longer header wraps
    missing = series.isna().to_numpy()

    if pd.api.types.is_bool_dtype(series):
        labels = {True: t("print_yes", lang), False: t("print_no", lang)}
        values = pd.Series([None if m else labels[bool(v)] for v, m in zip(series.tolist(), missing, strict=True)],
                           dtype="string")
        return _Column(header, "s", values, None, _bounded(max(header_width, *map(len, labels.values()))))

    if pd.api.types.is_numeric_dtype(series):
        numbers = series.astype("float64").to_numpy(na_value=np.nan)
        finite = numbers[~missing]
        if _is_rate(name, rates):
            bad = finite[(finite < -1e-9) | (finite > 1 + 1e-9)]
            if len(bad):
                raise ValueError(f"column {name!r} is a rate (a ratio 0..1) but holds {float(bad[0]):g}, outside 0..1")
            fmt, width = PERCENT_FORMATS[lang], 7
        else:
            decimals = _decimals(finite)
            fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
            peak = float(np.abs(finite).max()) if len(finite) else 0.0
            digits = len(f"{peak:.0f}")
            width = digits + (digits - 1) // 3 + (decimals + 1 if decimals else 0) + 1
        return _Column(header, "n", numbers, fmt, _bounded(max(header_width, width)))

    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None else series
        return _dates(header, header_width, stamps, lang)

    objects = series.astype(object)
    present = objects[~missing]
    if len(present) and all(isinstance(v, datetime | date) for v in present):
        stamps = pd.to_datetime(pd.Series([_naive(v) for v in objects], index=series.index), errors="raise")
        return _dates(header, header_width, stamps, lang)

    text = series.astype("string")
    parsed = _text_dates(text)
    if parsed is not None:
        return _dates(header, header_width, parsed, lang)
    lengths = text.str.len()
    longest = int(lengths.max()) if lengths.notna().any() else 0
    # kept as the frame's own strings: cleaned and escaped a chunk at a time (memory)
    return _Column(header, "s", text, None, _bounded(max(header_width, longest)))


def _naive(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


#: day 0 of Excel's 1900 date system, as Excel counts after 1 March 1900
_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "ns")
_NS_PER_DAY = 86_400 * 10**9


def _dates(header: str, header_width: int, stamps: pd.Series, lang: str) -> _Column:
    """Timestamps (naive local) as Excel serial days; a time format when any has a time of day."""
    stamps = pd.to_datetime(stamps)
    raw = stamps.to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(raw)
    present = stamps[~missing]
    with_time = bool(len(present)) and bool((present != present.dt.normalize()).any())
    serial = (raw - _EXCEL_EPOCH).astype("int64") / _NS_PER_DAY
    serial[missing] = np.nan
    if not with_time:
        serial = np.round(serial)
    fmt = (DATETIME_FORMATS if with_time else DATE_FORMATS)[lang]
    return _Column(header, "d", serial, fmt, _bounded(max(header_width, len(fmt))))


def _xml_text(text: str) -> str:
    """The inline-string content of a text cell, escaped (leading or trailing spaces kept)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if escaped != escaped.strip():
        return f'<is><t xml:space="preserve">{escaped}</t></is>'
    return f"<is><t>{escaped}</t></is>"


def _text_dates(text: pd.Series) -> pd.Series | None:
    """``text`` as timestamps when every value is a date in one of the exports' formats (the
    dash and empty text are missing), else None."""
    present = text[text.notna() & ~text.str.strip().isin(["", *_MISSING_TEXT])]
    if present.empty:
        return None
    sample = present.iloc[:50]  # most text columns fail here, without a scan of every row
    for pattern, fmt in _TEXT_DATES:
        if bool(sample.str.fullmatch(pattern).all()) and bool(present.str.fullmatch(pattern).all()):
            parsed = pd.to_datetime(present, format=fmt if fmt else "ISO8601", errors="coerce")
            if parsed.isna().any():
                return None  # 31/02/2026: not a date after all
            return parsed.reindex(text.index)
    return None


def _decimals(values: np.ndarray) -> int:
    """The fewest decimals (up to :data:`MAX_DECIMALS`) that show every value as it is."""
    for decimals in range(MAX_DECIMALS + 1):
        if np.allclose(values, np.round(values, decimals), rtol=0, atol=0.5 * 10 ** -(MAX_DECIMALS + 2)):
            return decimals
    return MAX_DECIMALS
