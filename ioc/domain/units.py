"""Administrative units as effective-dated data (domain.md §2): which units were in force on a
day, and where a record belongs.

The units and the official old → new conversion are data files (``ioc/domain/data``, built by
``scripts/build_units.py`` from the maintained open data and citing the resolutions); the store
seeds its ``units`` table from them and a deployment may edit it. Nothing here knows Huế's
history: change dates are the ``valid_from`` of the data.

A unit version is ``(code, valid_from)``: GSO codes are reused (474 was Thành phố Huế, then Quận
Thuận Hóa; 19753 was Phường Thuận Lộc, then Phường Phú Xuân). A unit's parent is named by code
and resolved on the same day. GSO codes are fixed-width by level (province 2 digits, district 3,
commune 5), which :func:`unit_column` relies on.
"""

from __future__ import annotations

import csv
import math
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

PROVINCE_CODE = "46"
PROVINCE_BBOX = (107.02, 15.99, 108.22, 16.74)  # lon_min, lat_min, lon_max, lat_max
HUE_CENTRE = (16.4779, 107.5768)
# 1 July 2025: two-tier local government, Huế's 40 communes (NQ 1675/NQ-UBTVQH15).
CHANGEOVER = date(2025, 7, 1)
DATA = Path(__file__).with_name("data")
LEVELS = ("province", "district", "commune")
CENTRE_KIND = "Trung tâm"  # rows of the units table that are service centres, not units


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str  # province | district | commune
    parent_code: str | None
    lat: float | None
    lon: float | None
    short_name: str = ""
    kind: str = ""  # Phường, Xã, Thị trấn, Quận, Huyện, Thị xã, Thành phố, Tỉnh
    area_km2: float | None = None
    valid_from: date = date.min
    valid_to: date | None = None  # inclusive; None: in force
    source: str = ""

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def administrative(self) -> bool:
        """An administrative unit (not a service centre listed alongside, such as the city's
        public-administration service centre)."""
        return self.kind != CENTRE_KIND

    @property
    def label(self) -> str:
        return self.short_name or short_name(self.name)


@dataclass(frozen=True)
class Placement:
    """Where a record belongs: the unit in force on its day (finest level known), the
    district-level unit in force then ('' from 1 July 2025) and the current commune."""

    unit_code: str = ""
    district_code: str = ""
    commune_code: str = ""


_KIND_PREFIXES = ("Thành phố ", "Thị xã ", "Thị trấn ", "Huyện ", "Quận ", "Phường ", "Xã ", "Tỉnh ")


def short_name(name: str) -> str:
    """A unit's name without its kind ("Huyện Phú Vang" → "Phú Vang"), for map labels where the
    full names of neighbouring units would run into each other."""
    for prefix in _KIND_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return name


def name_key(name: str) -> str:
    """A unit name folded for matching: no kind, no diacritics ("Thuỷ" = "Thủy" = "thuy"), no
    case, no spaces or punctuation."""
    base = name.strip()
    for prefix in _KIND_PREFIXES:
        if base.lower().startswith(prefix.lower()) and len(base) > len(prefix):
            base = base[len(prefix):]
            break
    folded = unicodedata.normalize("NFD", base.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in folded if c.isalnum() and not unicodedata.combining(c)).lower()


def unit_column(code: str) -> str:
    """The record column a unit filter constrains: ``district_code`` for a district-level code
    (3 digits), ``commune_code`` otherwise (the current communes, 5 digits)."""
    return "district_code" if len(code) == 3 else "commune_code"


def in_province(lat: float | None, lon: float | None) -> bool:
    if lat is None or lon is None or lat != lat or lon != lon:
        return False
    lon_min, lat_min, lon_max, lat_max = PROVINCE_BBOX
    return lon_min <= lon <= lon_max and lat_min <= lat <= lat_max


def nearest(lat: float, lon: float, units: Iterable[Unit]) -> Unit | None:
    """The unit whose centroid is nearest (equirectangular distance); units without a position
    are skipped. Without outlines this approximates "the unit the point lies in"."""
    best, best_d = None, math.inf
    scale = math.cos(math.radians(lat))
    for unit in units:
        if unit.lat is None or unit.lon is None:
            continue
        d = (unit.lat - lat) ** 2 + ((unit.lon - lon) * scale) ** 2
        if d < best_d:
            best, best_d = unit, d
    return best


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _float(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def read_units(path: Path) -> list[Unit]:
    """Unit versions from a CSV of ``hue_units.csv``'s shape ('#' lines are comments)."""
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return [Unit(code=r["code"], name=r["name"], level=r["level"], parent_code=r["parent_code"] or None,
                     lat=_float(r["lat"]), lon=_float(r["lon"]), short_name=r["short_name"], kind=r["kind"],
                     area_km2=_float(r["area_km2"]), valid_from=_date(r["valid_from"]) or date.min,
                     valid_to=_date(r["valid_to"]), source=r["source"]) for r in rows]


def read_conversion(path: Path) -> list[tuple[str, str, bool]]:
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return [(r["old_code"], r["new_code"], r["is_default"] == "1") for r in rows]


@dataclass
class UnitMap:
    """Every version of every unit, and the conversion of the communes in force the day before
    :data:`CHANGEOVER` to the communes from it."""

    units: Sequence[Unit]
    conversion: Sequence[tuple[str, str, bool]] = ()
    changeover: date = CHANGEOVER
    _epochs: list[date] = field(init=False, repr=False)
    _on: dict[int, tuple[Unit, ...]] = field(init=False, repr=False, default_factory=dict)
    _successors: dict[str, list[tuple[str, bool]]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.units = tuple(self.units)
        bounds = {u.valid_from for u in self.units if u.valid_from > date.min}
        bounds |= {date.fromordinal(u.valid_to.toordinal() + 1) for u in self.units if u.valid_to is not None}
        self._epochs = sorted(bounds)
        for old, new, default in self.conversion:
            self._successors.setdefault(old, []).append((new, default))

    @classmethod
    def default(cls) -> UnitMap:
        """The shipped data (cached)."""
        return _default_map()

    # What was in force

    def epoch(self, day: date) -> int:
        """Index of the stretch of days between two changes that ``day`` falls in."""
        return bisect_right(self._epochs, day)

    def change_days(self) -> tuple[date, ...]:
        """The days the map changed (a unit began or ended the day before)."""
        return tuple(self._epochs)

    def on(self, day: date) -> tuple[Unit, ...]:
        """The units in force on ``day``, provinces first, then districts, then communes by code."""
        key = self.epoch(day)
        if key not in self._on:
            rank = {level: i for i, level in enumerate(LEVELS)}
            self._on[key] = tuple(sorted((u for u in self.units if u.in_force(day)),
                                         key=lambda u: (rank.get(u.level, 9), u.code)))
        return self._on[key]

    def names_during(self, start: date, end: date, level: str | None = None) -> dict[str, list[str]]:
        """code → the names it had while in force during local dates ``[start, end)`` (of
        ``level`` only, if given), oldest first: a reused code has several ("Thành phố Huế",
        "Quận Thuận Hóa" for 474 over 2024–2025)."""
        names: dict[str, list[str]] = {}
        last = end - timedelta(days=1)
        for day in sorted({start, last, *(d for d in self._epochs if start <= d <= last)}):
            for u in self.on(day):
                if (level is None or u.level == level) and u.name not in names.setdefault(u.code, []):
                    names[u.code].append(u.name)
        return {code: n for code, n in names.items() if n}

    def current_communes(self, today: date | None = None) -> tuple[Unit, ...]:
        """The communes of the current map (on ``today``, never before the changeover)."""
        day = max(today or self.changeover, self.changeover)
        return tuple(u for u in self.on(day) if u.level == "commune")

    def get(self, code: str, day: date) -> Unit | None:
        return next((u for u in self.on(day) if u.code == code), None)

    def latest(self) -> tuple[Unit, ...]:
        """The latest version of every code (labels of codes met outside their dates)."""
        best: dict[str, Unit] = {}
        for u in self.units:
            if u.code not in best or u.valid_from > best[u.code].valid_from:
                best[u.code] = u
        return tuple(best.values())

    def version(self, code: str) -> Unit | None:
        """The latest version of ``code`` (for labels of codes met outside their dates)."""
        versions = [u for u in self.units if u.code == code]
        return max(versions, key=lambda u: u.valid_from) if versions else None

    def district_of(self, unit: Unit, day: date) -> str:
        """The district-level unit ``unit`` belongs to on ``day`` ('' if none)."""
        seen = 0
        while unit is not None and unit.level != "district" and seen < 4:
            unit = self.get(unit.parent_code or "", day)
            seen += 1
        return unit.code if unit is not None and unit.level == "district" else ""

    def by_name(self, name: str, day: date) -> Unit | None:
        """The unit in force on ``day`` named ``name`` (folded; the finest level wins)."""
        key = name_key(name)
        if not key:
            return None
        kind = next((p.strip() for p in _KIND_PREFIXES if name.strip().lower().startswith(p.lower())), "")
        matches = [u for u in self.on(day) if (name_key(u.name) == key or name_key(u.short_name) == key)
                   and (not kind or u.kind.lower() == kind.lower())]
        return max(matches, key=lambda u: LEVELS.index(u.level) if u.level in LEVELS else -1) if matches else None

    # Where a record belongs

    def place(self, day: date, code: str = "", name: str = "", lat: float | None = None,
              lon: float | None = None) -> Placement:
        """The unit a record of ``day`` belongs to: by code, else by name, else by position. See
        :class:`Placement`; a position on or after the changeover is placed by
        :meth:`commune_at`, before it in the nearest commune in force (inside the district a
        source gave, if any)."""
        unit = self.get(code, day) if code else None
        if unit is None and name:
            unit = self.by_name(name, day)
        inside = in_province(lat, lon)
        if (unit is None or unit.level != "commune") and inside:
            if day >= self.changeover:
                unit = self.get(self.commune_at(lat, lon), day) or unit
            else:
                communes = [u for u in self.on(day) if u.level == "commune"
                            and (unit is None or unit.level != "district" or self.district_of(u, day) == unit.code)]
                unit = nearest(lat, lon, communes) or unit
        if unit is None:
            return Placement()
        district = self.district_of(unit, day)
        return Placement(unit.code, district, self.current_commune(day, unit, lat, lon))

    def current_commune(self, day: date, unit: Unit, lat: float | None, lon: float | None) -> str:
        """The current commune of a record of ``day`` placed in ``unit``: itself from the
        changeover; before, the official successor of its ward (a divided ward: the successor
        nearest the record), else the commune at the record's position."""
        if day >= self.changeover:
            return unit.code if unit.level == "commune" else ""
        if unit.level == "commune" and unit.code in self._successors:  # codes were not reused before the changeover
            return self.successor(unit.code, lat, lon)
        return self.commune_at(lat, lon) if in_province(lat, lon) else ""

    def successor(self, code: str, lat: float | None = None, lon: float | None = None) -> str:
        """The current commune of the ward ``code`` of the day before the changeover: the
        conversion's only successor; for a divided ward the one nearest the position, without a
        position the main successor ('' if the conversion does not list it)."""
        successors = self._successors.get(code)
        if not successors:
            return ""
        if len(successors) > 1 and in_province(lat, lon):
            candidates = [self.get(c, self.changeover) for c, _ in successors]
            best = nearest(lat, lon, [c for c in candidates if c is not None])
            if best is not None:
                return best.code
        return next((c for c, default in successors if default), successors[0][0])

    def commune_at(self, lat: float | None, lon: float | None) -> str:
        """The current commune at a point ('' outside the province): the ward of the day before
        the changeover nearest to it, through the official conversion. Without outlines, the
        133 wards' centroids approximate the 40 communes' shapes far better than their own 40
        centroids, and a fixed point (a camera, a station) gets the same commune on both sides
        of the change. Without a conversion: the nearest current commune."""
        if not in_province(lat, lon):
            return ""
        wards = [u for u in self.on(self.eve) if u.level == "commune" and u.code in self._successors]
        ward = nearest(lat, lon, wards)
        if ward is not None:
            return self.successor(ward.code, lat, lon)
        best = nearest(lat, lon, self.current_communes())
        return best.code if best is not None else ""

    @property
    def eve(self) -> date:
        return date.fromordinal(self.changeover.toordinal() - 1)

    def place_many(self, days: Sequence[date] | np.ndarray, codes: Sequence[str], lats: Sequence[float | None],
                   lons: Sequence[float | None]) -> tuple[list[str], list[str], list[str]]:
        """:meth:`place` over columns (same answers), vectorised: lookups once per distinct code
        and stretch of days between changes, the nearest-commune search one array operation.
        ``days``: dates, or a ``datetime64`` array of local days."""
        day_arr = np.asarray(days, dtype="datetime64[D]")
        n = len(day_arr)
        lat = pd.to_numeric(pd.Series(lats, dtype=object), errors="coerce").to_numpy(dtype=float) if n else np.empty(0)
        lon = pd.to_numeric(pd.Series(lons, dtype=object), errors="coerce").to_numpy(dtype=float) if n else np.empty(0)
        code = pd.Series(codes, dtype=object).fillna("").astype(str).to_numpy(dtype=object)
        bounds = np.array(self._epochs, dtype="datetime64[D]")
        epoch = np.searchsorted(bounds, day_arr, side="right")
        out_u = np.full(n, "", dtype=object)
        out_d = np.full(n, "", dtype=object)
        out_c = np.full(n, "", dtype=object)
        lon_min, lat_min, lon_max, lat_max = PROVINCE_BBOX
        inside = (lat >= lat_min) & (lat <= lat_max) & (lon >= lon_min) & (lon <= lon_max)
        changeover = np.datetime64(self.changeover, "D")
        for e in np.unique(epoch):
            rows = np.flatnonzero(epoch == e)
            day = day_arr[rows[0]].astype(object)
            in_force = {u.code: u for u in self.on(day)}
            communes = [u for u in self.on(day) if u.level == "commune" and u.lat is not None]
            district_of = {u.code: self.district_of(u, day) for u in self.on(day)}
            position, uniques = pd.factorize(code[rows])
            level = np.array([in_force[c].level if c in in_force else "" for c in uniques] + [""],
                             dtype=object)[position]
            unit = np.where(level == "commune", code[rows], "").astype(object)
            # By position: from the changeover the commune at the point (commune_at), before it
            # the nearest commune in force (within the given district, if any).
            need = (level != "commune") & inside[rows]
            if need.any() and day_arr[rows[0]] >= changeover:
                found = self._communes_at(lat[rows[need]], lon[rows[need]])
                unit[need] = np.where(np.isin(found, list(in_force)), found, "")
            elif need.any() and communes:
                idx = rows[need]
                within = np.array([district_of.get(c.code, "") for c in communes], dtype=object)
                given = np.where(level[need] == "district", code[idx], "").astype(object)
                unit[need] = self._nearest(lat[idx], lon[idx], communes, within, given)
            unknown = (unit == "") & (level != "")
            unit[unknown] = code[rows][unknown]
            out_u[rows] = unit
            u_pos, u_uniques = pd.factorize(unit)
            out_d[rows] = np.array([district_of.get(c, "") for c in u_uniques] + [""], dtype=object)[u_pos]
            # The current commune.
            if day_arr[rows[0]] >= changeover:
                out_c[rows] = np.array([c if in_force.get(c) is not None and in_force[c].level == "commune" else ""
                                        for c in u_uniques] + [""], dtype=object)[u_pos]
                continue
            main_successor, divided = [], []
            for c in u_uniques:
                successors = self._successors.get(c) if c and in_force[c].level == "commune" else None
                main_successor.append(self.successor(c) if successors else "")
                divided.append(bool(successors) and len(successors) > 1)
            current = np.array(main_successor + [""], dtype=object)[u_pos]
            split = np.array(divided + [False], dtype=bool)[u_pos] & inside[rows]
            for i in np.flatnonzero(split):  # a divided ward: the record's position picks the successor
                current[i] = self.successor(unit[i], lat[rows[i]], lon[rows[i]])
            has_successor = np.array([c in self._successors and in_force[c].level == "commune" if c else False
                                      for c in u_uniques] + [False], dtype=bool)[u_pos]
            rest = ~has_successor & inside[rows]
            if rest.any():
                current[rest] = self._communes_at(lat[rows[rest]], lon[rows[rest]])
            out_c[rows] = current
        return out_u.tolist(), out_d.tolist(), out_c.tolist()

    def _communes_at(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """:meth:`commune_at` of many points (all inside the province)."""
        wards = [u for u in self.on(self.eve) if u.level == "commune" and u.code in self._successors
                 and u.lat is not None]
        if not wards:
            now = list(self.current_communes())
            return self._nearest(lats, lons, now, np.full(len(now), "", dtype=object),
                                 np.full(len(lats), "", dtype=object))
        found = self._nearest(lats, lons, wards, np.full(len(wards), "", dtype=object),
                              np.full(len(lats), "", dtype=object))
        position, uniques = pd.factorize(found)
        out = np.array([self.successor(c) for c in uniques], dtype=object)[position]
        divided = np.array([len(self._successors.get(c, ())) > 1 for c in uniques], dtype=bool)[position]
        for i in np.flatnonzero(divided):
            out[i] = self.successor(found[i], lats[i], lons[i])
        return out

    @staticmethod
    def _nearest(lats: np.ndarray, lons: np.ndarray, communes: Sequence[Unit], within: np.ndarray,
                 given: np.ndarray, chunk: int = 20000) -> np.ndarray:
        """Nearest of ``communes`` to each point; where ``given`` names a district, only its
        communes (``within``: each commune's district) are candidates."""
        clat = np.array([u.lat for u in communes], dtype=float)
        clon = np.array([u.lon for u in communes], dtype=float)
        codes = np.array([u.code for u in communes], dtype=object)
        out = np.empty(len(lats), dtype=object)
        for start in range(0, len(lats), chunk):
            sl = slice(start, start + chunk)
            scale = np.cos(np.radians(lats[sl]))
            d = (clat[None, :] - lats[sl, None]) ** 2 + ((clon[None, :] - lons[sl, None]) * scale[:, None]) ** 2
            g = given[sl]
            constrained = g != ""
            if constrained.any():
                mask = within[None, :] != g[constrained, None]
                sub = d[constrained]
                sub[mask] = np.inf
                d[constrained] = sub
            best = np.argmin(d, axis=1)
            out[sl] = codes[best]
        return out


@cache
def _default_map() -> UnitMap:
    return UnitMap(read_units(DATA / "hue_units.csv"), read_conversion(DATA / "hue_conversion.csv"))
