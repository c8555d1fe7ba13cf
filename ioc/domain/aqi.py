"""Vietnam's air-quality index (VN_AQI, Decision 1459/QĐ-TCMT, 2019).

Pure functions, no I/O. Every concentration here is in **µg/m³** (use :func:`to_ugm3` to
convert ppb / ppm / mg/m³ first). Pollutant codes: ``pm25``, ``pm10``, ``o3_1h``, ``o3_8h``,
``co``, ``so2``, ``no2``.

Conventions chosen here:

* An invalid concentration (``None``, NaN, negative) gives no sub-index: scalar functions
  return ``None``, array functions NaN. An unknown pollutant code raises ``ValueError``.
* A concentration at or above the last breakpoint row gives 500 — except ``o3_8h``, whose
  table stops at 400 µg/m³ (→ 300): above that the 8-hour value is undefined (``None`` / NaN)
  and only the 1-hour O₃ counts.
* Rounding is half up with a 1e-9 tolerance, so float noise such as 42.4999999999999 (an
  exact 42.5 on paper) still rounds to 43.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: Index levels, one per breakpoint row.
INDEX_LEVELS: tuple[float, ...] = (0, 50, 100, 150, 200, 300, 400, 500)

#: Breakpoints in µg/m³ for each index level in :data:`INDEX_LEVELS` (Decision 1459, table 2).
BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "o3_1h": (0, 160, 200, 300, 400, 800, 1_000, 1_200),
    "o3_8h": (0, 100, 120, 170, 210, 400),
    "co": (0, 10_000, 30_000, 45_000, 60_000, 90_000, 120_000, 150_000),
    "so2": (0, 125, 350, 550, 800, 1_600, 2_100, 2_630),
    "no2": (0, 100, 200, 700, 1_200, 2_350, 3_100, 3_850),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
}

#: Pollutant codes in tie-break order for the dominant pollutant (PM first).
POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "o3_1h", "o3_8h", "co", "so2", "no2")
HOURLY_POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "o3_1h", "co", "so2", "no2")

#: Molar masses (g/mol) and molar volume (L/mol at 25 °C, 1 atm) for ppb → µg/m³.
MOLAR_MASS: dict[str, float] = {"o3": 48.00, "no2": 46.0055, "so2": 64.066, "co": 28.010}
MOLAR_VOLUME = 24.45

_EPS = 1e-9


@dataclass(frozen=True)
class Category:
    """One AQI band: code, Vietnamese / English labels and display colour."""

    code: str
    lo: int
    hi: int
    label_vi: str
    label_en: str
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


CATEGORIES: tuple[Category, ...] = (
    Category("good", 0, 50, "Tốt", "Good", (0, 228, 0)),
    Category("moderate", 51, 100, "Trung bình", "Moderate", (255, 255, 0)),
    Category("poor", 101, 150, "Kém", "Poor", (255, 126, 0)),
    Category("bad", 151, 200, "Xấu", "Bad", (255, 0, 0)),
    Category("very_bad", 201, 300, "Rất xấu", "Very bad", (143, 63, 151)),
    Category("hazardous", 301, 500, "Nguy hại", "Hazardous", (126, 0, 35)),
)


@dataclass(frozen=True)
class AqiResult:
    """An overall AQI: value, dominant pollutant, band, and rounded sub-indices."""

    aqi: int
    dominant: str
    category: str
    label_vi: str
    label_en: str
    rgb: tuple[int, int, int]
    hex: str
    sub: dict[str, int]


class NowCastError(ValueError):
    """NowCast cannot be computed; the message says why (for the CLI to print)."""


# --------------------------------------------------------------------------- helpers


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves upwards (42.5 → 43, 2.4999 → 2, −2.5 → −2)."""
    if not math.isfinite(x):
        raise ValueError(f"cannot round {x!r}")
    return math.floor(x + 0.5 + _EPS)


def _round_half_up_array(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5 + _EPS)


def _table(pollutant: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    try:
        bps = BREAKPOINTS[pollutant]
    except KeyError:
        raise ValueError(
            f"unknown pollutant {pollutant!r}; expected one of {sorted(BREAKPOINTS)}"
        ) from None
    return bps, INDEX_LEVELS[: len(bps)]


def _valid(c: float | None) -> bool:
    return c is not None and not math.isnan(c) and c >= 0


# --------------------------------------------------------------------------- sub-index


def sub_index(pollutant: str, conc_ugm3: float | None) -> float | None:
    """Un-rounded sub-index of ``pollutant`` at ``conc_ugm3`` (µg/m³).

    Linear interpolation AQI = (I_hi − I_lo)/(BP_hi − BP_lo)·(C − BP_lo) + I_lo; the index is
    continuous, so a concentration exactly at a breakpoint gives that breakpoint's index.
    At or above the last row → 500. ``None``/NaN/negative → ``None``; ``o3_8h`` above
    400 µg/m³ → ``None`` (undefined: use the 1-hour value).
    """
    bps, levels = _table(pollutant)
    if not _valid(conc_ugm3):
        return None
    c = float(conc_ugm3)  # type: ignore[arg-type]
    if c > bps[-1] and pollutant == "o3_8h":
        return None
    if c >= bps[-1]:
        return float(levels[-1])
    for j in range(len(bps) - 1):
        if c < bps[j + 1]:
            slope = (levels[j + 1] - levels[j]) / (bps[j + 1] - bps[j])
            return slope * (c - bps[j]) + levels[j]
    raise AssertionError("unreachable")  # pragma: no cover


def sub_index_array(pollutant: str, conc_ugm3: np.ndarray) -> np.ndarray:
    """Vectorised :func:`sub_index` (µg/m³ in, float64 out, NaN where undefined)."""
    bps, levels = _table(pollutant)
    c = np.asarray(conc_ugm3, dtype=np.float64)
    out = np.interp(c, bps, levels)  # clamps to the last level (500) on the right
    bad = ~(c >= 0)  # NaN and negative
    if pollutant == "o3_8h":
        bad |= c > bps[-1]
    out[bad] = np.nan
    return out


# --------------------------------------------------------------------------- NowCast


def _nowcast_reason(hours: Sequence[float | None]) -> tuple[float | None, str]:
    c = [float(h) if _valid(h) else None for h in list(hours)[:12]]  # type: ignore[arg-type]
    recent = sum(v is not None for v in c[:3])
    if recent < 2:
        return None, (
            f"NowCast needs at least 2 of the 3 most recent hourly means; got {recent}"
        )
    present = [(i, v) for i, v in enumerate(c) if v is not None]
    cmax = max(v for _, v in present)
    cmin = min(v for _, v in present)
    w = 1.0 if cmax == 0 else max(cmin / cmax, 0.5)
    num = sum(w**i * v for i, v in present)
    den = sum(w**i for i, _ in present)
    return num / den, ""


def nowcast(hourly_means_newest_first: Sequence[float | None]) -> float | None:
    """NowCast (µg/m³) of up to 12 hourly means in µg/m³, newest first.

    w* = Cmin/Cmax over the hours present, w = max(w*, ½) (w = 1 when all are 0),
    NowCast = Σ w^(i−1)·cᵢ / Σ w^(i−1) over the hours present; missing hours (``None``,
    NaN, negative) keep their position i. Values beyond the 12th are ignored. Returns
    ``None`` unless at least 2 of the 3 most recent hours are present.
    """
    return _nowcast_reason(hourly_means_newest_first)[0]


def nowcast_or_raise(hourly_means_newest_first: Sequence[float | None]) -> float:
    """:func:`nowcast`, but raise :class:`NowCastError` with the reason instead of ``None``."""
    value, reason = _nowcast_reason(hourly_means_newest_first)
    if value is None:
        raise NowCastError(reason)
    return value


def nowcast_array(matrix: np.ndarray) -> np.ndarray:
    """Vectorised :func:`nowcast`: rows = station-hours, columns = hourly means newest first.

    µg/m³, NaN (or negative) = missing; only the first 12 columns count. Returns a float64
    array with NaN where fewer than 2 of the 3 most recent hours are present.
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"expected a 2-D (rows × hours) array, got shape {m.shape}")
    m = m[:, :12]
    present = m >= 0  # False for NaN and negatives
    cmax = np.where(present, m, -np.inf).max(axis=1, initial=-np.inf)
    cmin = np.where(present, m, np.inf).min(axis=1, initial=np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(cmax > 0, np.maximum(cmin / cmax, 0.5), 1.0)
    num = np.zeros(len(m))
    den = np.zeros(len(m))
    power = np.ones(len(m))  # w^(i−1), built column by column (cheaper than **)
    for i in range(m.shape[1]):
        col = present[:, i]
        num += np.where(col, power * m[:, i], 0.0)
        den += np.where(col, power, 0.0)
        power *= w
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[present[:, :3].sum(axis=1) < 2] = np.nan
    return out


# --------------------------------------------------------------------------- overall AQI


def category_for(aqi: int) -> Category:
    """The band of an integer AQI (0–50 good … 301–500 hazardous; above 500 → hazardous)."""
    if aqi < 0:
        raise ValueError(f"AQI cannot be negative: {aqi}")
    for cat in CATEGORIES:
        if aqi <= cat.hi:
            return cat
    return CATEGORIES[-1]


def _combine(subs: Mapping[str, float | None]) -> AqiResult | None:
    present = {k: v for k, v in subs.items() if v is not None}
    if not any(k in present for k in ("pm25", "pm10")):
        return None
    dominant = max(present, key=lambda k: (present[k], -POLLUTANTS.index(k)))
    aqi = round_half_up(present[dominant])
    cat = category_for(aqi)
    return AqiResult(
        aqi=aqi,
        dominant=dominant,
        category=cat.code,
        label_vi=cat.label_vi,
        label_en=cat.label_en,
        rgb=cat.rgb,
        hex=cat.hex,
        sub={k: round_half_up(v) for k, v in present.items()},
    )


def _check_keys(values: Mapping[str, float | None]) -> None:
    unknown = set(values) - set(POLLUTANTS)
    if unknown:
        raise ValueError(f"unknown pollutant(s) {sorted(unknown)}; expected {POLLUTANTS}")


def hourly_aqi(values: Mapping[str, float | None]) -> AqiResult | None:
    """Hourly VN_AQI from concentrations in µg/m³.

    ``pm25``/``pm10`` must already be NowCast concentrations (see :func:`nowcast`);
    ``o3_1h``, ``co``, ``so2``, ``no2`` are the current 1-hour means. ``o3_8h`` is ignored
    (hourly AQI uses 1-hour O₃ only). Returns ``None`` when neither PM2.5 nor PM10 has a
    valid value. Unknown keys raise ``ValueError``.
    """
    _check_keys(values)
    return _combine({k: sub_index(k, values.get(k)) for k in HOURLY_POLLUTANTS})


def daily_aqi(values: Mapping[str, float | None]) -> AqiResult | None:
    """Daily VN_AQI from concentrations in µg/m³.

    Keys: ``pm25``/``pm10`` = 24-hour means; ``co``/``so2``/``no2`` = the day's max 1-hour
    value; ``o3_1h`` = the day's max 1-hour value and ``o3_8h`` = the day's max 8-hour
    mean. O₃ counts the larger of the two sub-indices, the 8-hour one being ignored above
    400 µg/m³. Returns ``None`` when neither PM2.5 nor PM10 has a valid value.
    """
    _check_keys(values)
    return _combine({k: sub_index(k, values.get(k)) for k in POLLUTANTS})


def hourly_aqi_array(values: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`hourly_aqi` over equal-length arrays (µg/m³, NaN = missing).

    Returns ``(aqi, dominant)``: float64 AQI already rounded half up (NaN where there is
    no PM value), and the dominant pollutant code per row (``""`` where no AQI).
    """
    _check_keys(values)
    keys = [k for k in HOURLY_POLLUTANTS if k in values]
    if not keys:
        raise ValueError("no pollutant arrays given")
    subs = np.vstack([sub_index_array(k, values[k]) for k in keys])
    filled = np.where(np.isnan(subs), -np.inf, subs)
    idx = filled.argmax(axis=0)  # first max wins: same tie-break as the scalar path
    best = filled[idx, np.arange(subs.shape[1])]
    pm_rows = [i for i, k in enumerate(keys) if k in ("pm25", "pm10")]
    has_pm = ~np.isnan(subs[pm_rows]).all(axis=0) if pm_rows else np.zeros(len(idx), bool)
    aqi = np.where(has_pm, _round_half_up_array(best), np.nan)
    dominant = np.where(has_pm, np.array(keys)[idx], "")
    return aqi, dominant


# --------------------------------------------------------------------------- US EPA, units

_EPA_PM25: tuple[tuple[float, float, int, int], ...] = (
    (0.0, 9.0, 0, 50),
    (9.1, 35.4, 51, 100),
    (35.5, 55.4, 101, 150),
    (55.5, 125.4, 151, 200),
    (125.5, 225.4, 201, 300),
    (225.5, 325.4, 301, 500),
)


def us_epa_pm25_aqi(conc_ugm3: float) -> int:
    """US EPA (2024) PM2.5 AQI of a 24-hour mean in µg/m³, for comparison only.

    The concentration is truncated to 0.1 µg/m³ first; above 325.4 → 500.
    Negative or NaN raises ``ValueError``.
    """
    if not (conc_ugm3 >= 0):
        raise ValueError(f"invalid PM2.5 concentration {conc_ugm3!r}")
    c = math.floor(conc_ugm3 * 10 + _EPS) / 10
    for lo, hi, i_lo, i_hi in _EPA_PM25:
        if c <= hi + _EPS:
            return round_half_up((i_hi - i_lo) / (hi - lo) * (c - lo) + i_lo)
    return 500


def _norm_unit(unit: str) -> str:
    u = unit.strip().lower().replace("µ", "u").replace("μ", "u").replace("³", "3")
    return u.replace(" ", "")


def to_ugm3(value: float, unit: str, pollutant: str) -> float:
    """Convert ``value`` in ``unit`` to µg/m³ for ``pollutant``.

    Units: ``µg/m³``/``ug/m3``, ``mg/m3``, ``ppb``, ``ppm`` (gases only, at 25 °C and 1 atm:
    µg/m³ = ppb × molar mass / 24.45). ``pollutant`` may be a gas code (``o3``, ``o3_1h``,
    ``o3_8h``, ``co``, ``so2``, ``no2``) or ``pm25``/``pm10``. Raises ``ValueError`` for an
    unknown unit or pollutant, or ppb/ppm for PM.
    """
    u = _norm_unit(unit)
    p = pollutant.strip().lower()
    gas = "o3" if p.startswith("o3") else p
    if gas not in MOLAR_MASS and p not in ("pm25", "pm10"):
        raise ValueError(f"unknown pollutant {pollutant!r}")
    if u in ("ug/m3", "ugm-3"):
        return float(value)
    if u in ("mg/m3", "mgm-3"):
        return float(value) * 1000.0
    if u in ("ppb", "ppm"):
        if gas not in MOLAR_MASS:
            raise ValueError(f"cannot convert {unit!r} for {pollutant!r}: not a gas")
        ppb = float(value) * (1000.0 if u == "ppm" else 1.0)
        return ppb * MOLAR_MASS[gas] / MOLAR_VOLUME
    raise ValueError(f"unknown unit {unit!r} for {pollutant!r}")
