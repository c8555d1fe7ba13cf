"""The cells of every exported table, made alike (pure: a frame in, a frame out).

Each page's export function names its columns and labels its codes; what is left to do the same
way everywhere is done here, once, for the CSV buttons and the export URLs alike
(:func:`callbacks.filters.register_download`):

- yes/no cells (``True``/``False``) as words of the reader's language;
- a column of whole numbers held as floats (``307.0``, counts from a SQL sum) as integers;
- floating-point noise rounded away (``19.259659755315536`` → ``19.2597``): a value with more than
  :data:`NOISE_DECIMALS` decimals is rounded to :data:`KEPT_DECIMALS`; a value already rounded
  on purpose (coordinates to 5 decimals, rates to 4) is kept as it is;
- times as ISO 8601 local wall-clock text (``2026-12-02 01:00``), days as ``2026-12-02``.

Numbers stay unformatted (a dot decimal, no thousands separator): a spreadsheet reads them as
numbers.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ioc.i18n import t

NOISE_DECIMALS = 6  # more decimals than this: arithmetic noise, not a precision anyone chose
KEPT_DECIMALS = 4


def tidy_export(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` with its cells made alike (see the module docstring); the columns and their order are kept."""
    out = frame.copy()
    for col in out.columns:
        out[col] = _tidy_column(out[col], lang)
    return out


def _tidy_column(col: pd.Series, lang: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(col) or _all_bool(col):
        return pd.Series([None if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v))
                          else t("xp_yes" if bool(v) else "xp_no", lang) for v in col], index=col.index, dtype=object)
    if pd.api.types.is_datetime64_any_dtype(col):
        values = col.dt.tz_localize(None) if getattr(col.dt, "tz", None) is not None else col
        whole_days = values.dropna().eq(values.dropna().dt.normalize()).all()
        return values.dt.strftime("%Y-%m-%d" if whole_days else "%Y-%m-%d %H:%M").astype(object).where(values.notna(),
                                                                                                      None)
    if pd.api.types.is_float_dtype(col):
        return _tidy_floats(col)
    return col


def _all_bool(col: pd.Series) -> bool:
    if col.dtype != object:
        return False
    present = [v for v in col if v is not None and not (isinstance(v, float) and pd.isna(v))]
    return bool(present) and all(isinstance(v, bool) for v in present)


def _tidy_floats(col: pd.Series) -> pd.Series:
    """Noise rounded away (when the column has some); a column of whole values (counts a SQL sum
    gave as floats) as integers. Numbers stay numbers (a spreadsheet's cells, not text)."""
    values = col.astype("float64")
    present = values.dropna()
    if present.empty:
        return col
    if (present == present.round(0)).all() and present.abs().max() < 2**53:
        return values.round(0).astype("Int64")
    if (present != present.round(NOISE_DECIMALS)).any():
        return values.round(KEPT_DECIMALS)
    return values


def local_iso(utc: Any, tz: ZoneInfo) -> str | None:
    """A stored time (naive UTC, a datetime or a pandas Timestamp; aware ones are converted) as
    the local wall-clock time in ISO 8601 (``2026-12-02 08:00``); a missing one is None."""
    if utc is None or utc is pd.NaT or (isinstance(utc, float) and pd.isna(utc)):
        return None
    stamp = pd.Timestamp(utc)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(tz).strftime("%Y-%m-%d %H:%M")


def code_label(prefix: str, code: object, lang: str) -> object:
    """A stored code (``in_progress``, ``below``…) as its label, catalogue key ``<prefix>_<code>``;
    a code the catalogue does not know is kept as it is (a new source's own code stays readable)."""
    from ioc.i18n import has

    if not isinstance(code, str) or not code:
        return code
    key = f"{prefix}_{code}"
    return t(key, lang) if has(key, lang) else code
