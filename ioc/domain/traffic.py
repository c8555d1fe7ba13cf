"""Traffic violations: fine schedule by decree and date, and Vietnamese licence plates.

Money is in VND (integers, no minor unit). Dates are *local* (Asia/Ho_Chi_Minh) and pick
the decree in force: 100/2019/NĐ-CP (2020-01-01 → 2021-12-31), 100/2019 as amended by
123/2021/NĐ-CP (2022-01-01 → 2024-12-31), 168/2024/NĐ-CP (from 2025-01-01). The figures
are data (``fine_schedule.csv`` next to this module, or a store table). A fine outside its
legal range is a data error to flag. Plates are personal data: shown through :mod:`ioc.privacy`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

Lang = Literal["vi", "en"]


class ViolationType(StrEnum):
    RED_LIGHT = "red_light"
    SIGNS_MARKINGS = "signs_markings"
    SPEEDING_5_10 = "speeding_5_10"
    SPEEDING_10_20 = "speeding_10_20"
    SPEEDING_20_35 = "speeding_20_35"  # cars 20–35 km/h over; motorbikes: the ">20" row
    SPEEDING_OVER_35 = "speeding_over_35"
    WRONG_LANE = "wrong_lane"
    WRONG_WAY = "wrong_way"
    NO_HELMET = "no_helmet"
    HANDHELD_PHONE = "handheld_phone"


class VehicleClass(StrEnum):
    CAR = "car"
    MOTORBIKE = "motorbike"
    TRUCK = "truck"  # fined like cars
    OTHER = "other"  # no schedule: fines cannot be checked


#: (Vietnamese, English) screen labels.
VIOLATION_LABELS: dict[ViolationType, tuple[str, str]] = {
    ViolationType.RED_LIGHT: ("Vượt đèn đỏ", "Red light"),
    ViolationType.SIGNS_MARKINGS: ("Không chấp hành biển báo, vạch kẻ đường",
                                   "Ignoring road signs or markings"),
    ViolationType.SPEEDING_5_10: ("Chạy quá tốc độ 5–10 km/h", "Speeding 5–10 km/h over"),
    ViolationType.SPEEDING_10_20: ("Chạy quá tốc độ 10–20 km/h", "Speeding 10–20 km/h over"),
    ViolationType.SPEEDING_20_35: ("Chạy quá tốc độ 20–35 km/h", "Speeding 20–35 km/h over"),
    ViolationType.SPEEDING_OVER_35: ("Chạy quá tốc độ trên 35 km/h", "Speeding > 35 km/h over"),
    ViolationType.WRONG_LANE: ("Đi sai làn đường", "Wrong lane"),
    ViolationType.WRONG_WAY: ("Đi ngược chiều", "Wrong way"),
    ViolationType.NO_HELMET: ("Không đội mũ bảo hiểm", "No helmet"),
    ViolationType.HANDHELD_PHONE: ("Dùng điện thoại khi lái xe", "Handheld phone while driving"),
}
VEHICLE_LABELS: dict[VehicleClass, tuple[str, str]] = {
    VehicleClass.CAR: ("Ô tô", "Car"),
    VehicleClass.MOTORBIKE: ("Xe máy", "Motorbike"),
    VehicleClass.TRUCK: ("Xe tải", "Truck"),
    VehicleClass.OTHER: ("Khác", "Other"),
}

DECREE_100_2019 = "100/2019/NĐ-CP"
DECREE_100_2019_123_2021 = "100/2019/NĐ-CP + 123/2021/NĐ-CP"
DECREE_168_2024 = "168/2024/NĐ-CP"
SCHEDULE_COLUMNS = ("violation_type", "vehicle_class", "decree", "valid_from", "valid_to",
                    "min_vnd", "max_vnd", "note")
DEFAULT_SCHEDULE_PATH = Path(__file__).with_name("fine_schedule.csv")

_MESSAGES: dict[str, dict[str, str]] = {
    "en": {"none": "No fine schedule: {what}", "span": "{lo}–{hi} (Decree {decree})",
           "missing": "No fine recorded; legal range {span}",
           "below": "Fine {fine} is below the legal range {span}",
           "above": "Fine {fine} is above the legal range {span}",
           "in": "Fine {fine} is within the legal range {span}"},
    "vi": {"none": "Không có khung phạt: {what}", "span": "{lo}–{hi} (Nghị định {decree})",
           "missing": "Chưa có mức phạt; khung {span}",
           "below": "Mức phạt {fine} thấp hơn khung {span}",
           "above": "Mức phạt {fine} cao hơn khung {span}",
           "in": "Mức phạt {fine} nằm trong khung {span}"},
}


def violation_label(code: str, lang: Lang = "vi") -> str:
    """Screen label of a violation type code (the code itself if unknown)."""
    return VIOLATION_LABELS.get(code, (code, code))[lang == "en"]  # type: ignore[call-overload]


def vehicle_label(code: str, lang: Lang = "vi") -> str:
    """Screen label of a vehicle class code (the code itself if unknown)."""
    return VEHICLE_LABELS.get(code, (code, code))[lang == "en"]  # type: ignore[call-overload]


def format_vnd(amount: float, lang: Lang = "vi") -> str:
    """An amount in VND as ``296.050.000 ₫`` (vi) or ``296,050,000 VND`` (en)."""
    text = f"{round(amount):,}"
    return f"{text.replace(',', '.')} ₫" if lang == "vi" else f"{text} VND"


# -- fine schedule -------------------------------------------------------------------------
@dataclass(frozen=True)
class FineRange:
    """Legal fine range in VND, both bounds inclusive, and the decree that sets it."""

    min_vnd: int
    max_vnd: int
    decree: str

    def contains(self, fine_vnd: float) -> bool:
        return self.min_vnd <= fine_vnd <= self.max_vnd


@dataclass(frozen=True)
class FineRule:
    """One schedule row, valid on local dates [valid_from, valid_to] (``None``: open end)."""

    violation_type: ViolationType
    vehicle_class: VehicleClass
    decree: str
    valid_from: date | None
    valid_to: date | None
    min_vnd: int
    max_vnd: int
    note: str = ""


@dataclass(frozen=True)
class FineCheck:
    """Result of a fine check; ``in_range`` is ``None`` when it cannot be checked."""

    in_range: bool | None
    reason: str
    range: FineRange | None = None


def _as_date(value: Any) -> date | None:
    if value is None or value is pd.NaT or value == "" or (
            isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip())


_DAY_MIN = int(np.iinfo(np.int32).min)  # open valid_from, as days since 1970-01-01
_DAY_MAX = int(np.iinfo(np.int32).max)  # open valid_to
_KEY_SPAN = np.int64(1) << 33  # composite sort key = key * span + (day - _DAY_MIN)


def _day_number(day: date | None, default: int) -> int:
    return default if day is None else int(np.datetime64(day, "D").astype(np.int64))


class FineSchedule:
    """Fine ranges (VND) by violation type, vehicle class and local date.

    Build it with :meth:`load` (CSV), :meth:`from_rows` / :meth:`from_frame` (e.g. a store
    table) or from :class:`FineRule` objects. Periods of one (type, class) must not overlap.
    """

    def __init__(self, rules: Iterable[FineRule]) -> None:
        vts, vcs = list(ViolationType), list(VehicleClass)

        def key(r: FineRule) -> int:
            return vts.index(r.violation_type) * len(vcs) + vcs.index(r.vehicle_class)

        self.rules: tuple[FineRule, ...] = tuple(
            sorted(rules, key=lambda r: (key(r), _day_number(r.valid_from, _DAY_MIN))))
        self._by_key: dict[tuple[str, str], list[FineRule]] = {}
        for r in self.rules:
            if not 0 <= r.min_vnd <= r.max_vnd:
                raise ValueError(f"bad range {r.min_vnd}–{r.max_vnd} in {r}")
            if r.valid_from and r.valid_to and r.valid_from > r.valid_to:
                raise ValueError(f"valid_from after valid_to in {r}")
            same = self._by_key.setdefault((r.violation_type, r.vehicle_class), [])
            if same and (same[-1].valid_to is None or r.valid_from is None
                         or same[-1].valid_to >= r.valid_from):
                raise ValueError(f"overlapping periods: {same[-1]} and {r}")
            same.append(r)
        # Arrays for the vectorised lookup, in rule order, plus a sentinel at index -1 that
        # never matches, so a failed search indexes safely.
        self._decrees = sorted({r.decree for r in self.rules})
        cols = [(key(r), _day_number(r.valid_from, _DAY_MIN), _day_number(r.valid_to, _DAY_MAX),
                 r.min_vnd, r.max_vnd, self._decrees.index(r.decree)) for r in self.rules]
        sentinel = (-1, 0, _DAY_MIN, 0, 0, -1)
        keys, start, self._to, lo, hi, self._decree_code = (
            np.array(c, dtype=np.int64) for c in zip(*cols, sentinel, strict=True))
        self._key, self._min, self._max = keys, lo.astype(float), hi.astype(float)
        self._start = (keys * _KEY_SPAN + (start - _DAY_MIN))[:-1]

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> FineSchedule:
        """From mappings with :data:`SCHEDULE_COLUMNS` (strings or typed values)."""
        return cls(FineRule(
            violation_type=ViolationType(str(row["violation_type"]).strip()),
            vehicle_class=VehicleClass(str(row["vehicle_class"]).strip()),
            decree=str(row["decree"]).strip(),
            valid_from=_as_date(row.get("valid_from")),
            valid_to=_as_date(row.get("valid_to")),
            min_vnd=round(float(row["min_vnd"])),
            max_vnd=round(float(row["max_vnd"])),
            note="" if pd.isna(row.get("note")) else str(row.get("note")),
        ) for row in rows)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> FineSchedule:
        return cls.from_rows(frame.to_dict("records"))

    @classmethod
    def load(cls, path: str | Path | None = None) -> FineSchedule:
        """Read the CSV at ``path`` (default: the bundled ``fine_schedule.csv``)."""
        return cls.from_frame(pd.read_csv(path or DEFAULT_SCHEDULE_PATH, dtype=str,
                                          keep_default_na=False))

    def to_rows(self) -> list[dict[str, Any]]:
        """Rows with :data:`SCHEDULE_COLUMNS`, plain str/date/int values (for a store table)."""
        return [{**asdict(r), "violation_type": str(r.violation_type),
                 "vehicle_class": str(r.vehicle_class)} for r in self.rules]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.to_rows(), columns=list(SCHEDULE_COLUMNS))

    def range_for(self, violation_type: str, vehicle_class: str,
                  local_date: date) -> FineRange | None:
        """Legal range (VND) on ``local_date``; ``None`` if no schedule covers the case."""
        day = _as_date(local_date)
        for r in self._by_key.get((str(violation_type), str(vehicle_class)), ()):
            if day and (r.valid_from or day) <= day <= (r.valid_to or day):
                return FineRange(r.min_vnd, r.max_vnd, r.decree)
        return None

    def check_fine(self, violation_type: str, vehicle_class: str, local_date: date,
                   fine_vnd: float | None, lang: Lang = "en") -> FineCheck:
        """Is ``fine_vnd`` (VND) within the legal range in force on ``local_date``?

        ``reason`` names the decree and the range, in ``lang`` ("en" or "vi").
        """
        msg = _MESSAGES[lang]
        rng = self.range_for(violation_type, vehicle_class, local_date)
        if rng is None:
            return FineCheck(None, msg["none"].format(
                what=f"{violation_label(violation_type, lang)} / "
                     f"{vehicle_label(vehicle_class, lang)}, {local_date}"))
        lo, hi = format_vnd(rng.min_vnd, lang), format_vnd(rng.max_vnd, lang)
        span = msg["span"].format(lo=lo.split()[0], hi=hi, decree=rng.decree)
        if fine_vnd is None or pd.isna(fine_vnd):
            return FineCheck(None, msg["missing"].format(span=span), rng)
        verdict = "below" if fine_vnd < rng.min_vnd else "above" if fine_vnd > rng.max_vnd else "in"
        text = msg[verdict].format(fine=format_vnd(fine_vnd, lang), span=span)
        return FineCheck(verdict == "in", text, rng)

    def check_fines(self, df: pd.DataFrame) -> pd.DataFrame:
        """Vectorised :meth:`check_fine` for bulk ingest.

        ``df`` has columns ``violation_type``, ``vehicle_class``, ``local_date`` (dates,
        datetimes or ISO strings) and ``fine_vnd`` (VND). Returns a frame on ``df.index``:
        ``fine_out_of_range`` (nullable boolean, ``<NA>`` without schedule or fine),
        ``decree`` (categorical, NaN without schedule), ``min_vnd``/``max_vnd`` (Int64, VND).
        """
        vt = _codes(df["violation_type"], list(ViolationType))
        vc = _codes(df["vehicle_class"], list(VehicleClass))
        days, has_day = _day_numbers(df["local_date"])
        key = vt * len(VehicleClass) + vc
        probe = key * _KEY_SPAN + (days - _DAY_MIN)
        idx = np.searchsorted(self._start, probe, side="right") - 1  # -1 → sentinel
        hit = (vt >= 0) & (vc >= 0) & has_day & (self._key[idx] == key) & (days <= self._to[idx])
        lo = np.where(hit, self._min[idx], np.nan)
        hi = np.where(hit, self._max[idx], np.nan)
        fine = pd.to_numeric(df["fine_vnd"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        na = ~hit | np.isnan(fine)
        return pd.DataFrame({
            "fine_out_of_range": pd.arrays.BooleanArray(((fine < lo) | (fine > hi)) & ~na, na),
            "decree": pd.Categorical.from_codes(np.where(hit, self._decree_code[idx], -1),
                                                categories=self._decrees),
            "min_vnd": pd.array(lo, dtype="Float64").astype("Int64"),
            "max_vnd": pd.array(hi, dtype="Float64").astype("Int64"),
        }, index=df.index)


def _codes(values: pd.Series, categories: list[str]) -> np.ndarray:
    """Position of each value in ``categories`` (-1 when unknown or missing)."""
    index = pd.Index([str(c) for c in categories])
    if isinstance(values.dtype, pd.CategoricalDtype):  # map the few categories, then codes
        lookup = np.append(index.get_indexer(values.cat.categories.astype(str)), -1)
        return lookup[values.cat.codes.to_numpy()].astype(np.int64)
    return index.get_indexer(values).astype(np.int64)


def _day_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 (int64) and a mask of present, parseable dates."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)  # keep the local wall-clock date
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        arr = values.to_numpy().astype("datetime64[D]")
    else:  # dates / strings: convert each distinct value once
        codes, uniques = pd.factorize(values)
        conv = pd.to_datetime(uniques, errors="coerce", format="ISO8601").to_numpy()
        arr = np.append(conv.astype("datetime64[D]"), np.datetime64("NaT", "D"))[codes]
    present = ~np.isnat(arr)
    return np.where(present, arr.astype(np.int64), 0), present


@lru_cache(maxsize=1)
def default_schedule() -> FineSchedule:
    """The bundled schedule, read once."""
    return FineSchedule.load()


def range_for(violation_type: str, vehicle_class: str, local_date: date,
              schedule: FineSchedule | None = None) -> FineRange | None:
    """:meth:`FineSchedule.range_for` (VND) on ``schedule`` (default: the bundled one)."""
    return (schedule or default_schedule()).range_for(violation_type, vehicle_class, local_date)


def check_fine(violation_type: str, vehicle_class: str, local_date: date,
               fine_vnd: float | None, schedule: FineSchedule | None = None,
               lang: Lang = "en") -> FineCheck:
    """:meth:`FineSchedule.check_fine` (VND) on ``schedule`` (default: the bundled one)."""
    return (schedule or default_schedule()).check_fine(
        violation_type, vehicle_class, local_date, fine_vnd, lang)


def check_fines(df: pd.DataFrame, schedule: FineSchedule | None = None) -> pd.DataFrame:
    """:meth:`FineSchedule.check_fines` on ``schedule`` (default: the bundled one)."""
    return (schedule or default_schedule()).check_fines(df)


# -- licence plates ------------------------------------------------------------------------
PlateKind = Literal["car", "motorbike"]
HUE_PROVINCE_CODE = "75"
_SEPARATORS = " \t\n.-_·/"
_CAR_RE = re.compile(r"(\d{2})([A-ZĐ]{1,2})(\d{4,5})")
_MOTO_RE = re.compile(r"(\d{2})([A-ZĐ][A-ZĐ0-9])(\d{4,5})")


@dataclass(frozen=True)
class Plate:
    """A parsed plate: ``province`` '75', ``series`` 'A'/'LD'/'B1', ``number`` 4–5 digits."""

    province: str
    series: str
    number: str
    kind: PlateKind

    def _layout(self, number: str) -> str:
        if len(number) == 5:
            number = f"{number[:3]}.{number[3:]}"
        if self.kind == "car":
            return f"{self.province}{self.series}-{number}"
        return f"{self.province}-{self.series} {number}"

    @property
    def canonical(self) -> str:
        """``75A-123.45`` / ``75A-1234`` (car), ``75-B1 234.56`` / ``75-B1 2345`` (motorbike)."""
        return self._layout(self.number)

    @property
    def masked(self) -> str:
        """Canonical form with the last two digits hidden: ``75A-123.**``."""
        return self._layout(self.number[:-2] + "**")

    def __str__(self) -> str:
        return self.canonical


def _is_plate_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum() or ch == "Đ"


def _split(text: object) -> tuple[str, set[int]] | None:
    """Upper-case letters and digits without separators, and where separators stood."""
    if not isinstance(text, str):
        return None
    compact: list[str] = []
    seps: set[int] = set()
    for ch in text.strip().upper():
        if ch in _SEPARATORS:
            seps.add(len(compact))
        elif _is_plate_char(ch):
            compact.append(ch)
        else:
            return None
    return "".join(compact), seps - {0, len(compact)}


def _layout_score(plate: Plate, seps: set[int]) -> int:
    """How well the separators typed match ``plate``'s layout (higher is better)."""
    end = 2 + len(plate.series)
    expected = {end} if plate.kind == "car" else {2, end}
    if len(plate.number) == 5:
        expected.add(end + 3)
    misplaced = {i for i in seps if (i < end and i != 2) or (i > end and i not in expected)}
    return len(seps & expected) - len(misplaced)


def parse_plate(text: str | None) -> Plate | None:
    """Parse a Vietnamese plate written with any spacing, dots, dashes and case.

    When both layouts fit (``75B12345``: car ``75B-123.45`` or motorbike ``75-B1 2345``;
    ``75LD12345``), the separators typed decide; without a hint it is read as a car.
    """
    split = _split(text)
    if split is None:
        return None
    compact, seps = split
    candidates = [Plate(m[1], m[2], m[3], kind)  # type: ignore[arg-type]
                  for regex, kind in ((_CAR_RE, "car"), (_MOTO_RE, "motorbike"))
                  if (m := regex.fullmatch(compact)) and int(m[1]) >= 11]
    # max() keeps the first (car) reading on a tie
    return max(candidates, key=lambda p: _layout_score(p, seps)) if candidates else None


def normalise_plate(text: str | None) -> str | None:
    """Canonical form of ``text`` (``75A-123.45``, ``75-B1 234.56``), or ``None`` if invalid."""
    plate = parse_plate(text)
    return None if plate is None else plate.canonical


def normalise_plates(values: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_plate` (each distinct value parsed once); invalid → NA."""
    codes, uniques = pd.factorize(values)
    canon = np.array([normalise_plate(u) for u in uniques] + [None], dtype=object)
    return pd.Series(canon[codes], index=values.index, dtype="string")


def plate_issue(text: str | None) -> str | None:
    """Why ``text`` is not a valid plate (English), or ``None`` if it is one."""
    if not isinstance(text, str) or not text.strip():
        return "empty plate"
    split = _split(text)
    if split is None:
        bad = next(c for c in text.strip().upper() if c not in _SEPARATORS
                   and not _is_plate_char(c))
        return f"unexpected character {bad!r}"
    if parse_plate(text) is not None:
        return None
    parts = re.fullmatch(r"(\d*)([A-ZĐ]*)(.*)", split[0])
    lead, letters, rest = parts.groups() if parts else ("", "", "")
    if len(lead) < 2:
        return "must start with a two-digit province code"
    if int(lead[:2]) < 11:
        return f"province code {lead[:2]} is not issued (valid codes are 11–99)"
    if not letters:
        return "missing series letter after the province code"
    if len(lead) > 2:
        return "province code must have two digits"
    if len(letters) > 2:
        return "series has more than two letters"
    if not rest.isdigit():
        return "letters where digits belong in the number"
    if len(rest) < 4:
        return f"number must have 4 or 5 digits, found {len(rest)}"
    return f"number has too many digits ({len(rest)} after the series)"


def province_of(plate: Plate | str | None) -> str | None:
    """Two-digit province code of a plate (``"75"`` is Thừa Thiên Huế), or ``None``."""
    parsed = plate if isinstance(plate, Plate) else parse_plate(plate)
    return None if parsed is None else parsed.province
