"""The VN_AQI calculator behind ``python -m ioc aqi`` (pure: text in, JSON-able dicts out).

    python -m ioc aqi --daily pm25=55.7 no2=130.8 o3_1h=114.6 o3_8h=89.3 --json
    python -m ioc aqi --hourly pm25=34 no2=40ppb --json        # PM values are NowCasts
    python -m ioc aqi --nowcast pm25 --hours 20.6,19.6,,22.4 --json   # newest first, "" = missing

Values are µg/m³ unless a unit follows the number: ``ppb``, ``ppm`` (gases, at 25 °C and
1 atm) or ``mg/m3``. Bad input raises :class:`CalculatorError` with a one-line message.
"""

from __future__ import annotations

import re
from typing import Any

from ioc.domain.aqi import (
    POLLUTANTS,
    AqiResult,
    NowCastError,
    category_for,
    daily_aqi,
    hourly_aqi,
    nowcast_or_raise,
    round_half_up,
    sub_index,
    to_ugm3,
    us_epa_pm25_aqi,
)

_ITEM = re.compile(r"^\s*([A-Za-z0-9_.]+)\s*=\s*([-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")
_ALIASES = {"pm2.5": "pm25", "o3": "o3_1h"}


class CalculatorError(ValueError):
    """Input the calculator cannot use; the message says which and why."""


def _number(text: str, where: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise CalculatorError(f"{where}: {text!r} is not a number") from None


def parse_values(items: list[str], option: str) -> dict[str, float]:
    """``["pm25=55.7", "co=1.2ppm", …]`` → concentrations in µg/m³ keyed by pollutant code."""
    out: dict[str, float] = {}
    for item in items:
        match = _ITEM.match(item)
        if not match:
            raise CalculatorError(f"{option}: {item!r} is not POLLUTANT=VALUE[unit] (e.g. pm25=55.7, co=1.2ppm)")
        key, number, unit = match.group(1).lower(), match.group(2), match.group(3)
        key = _ALIASES.get(key, key)
        if key not in POLLUTANTS:
            raise CalculatorError(f"{option}: unknown pollutant {match.group(1)!r} (expected {', '.join(POLLUTANTS)})")
        if key in out:
            raise CalculatorError(f"{option}: {key} given twice")
        value = _number(number, f"{option} {key}")
        if value < 0:
            raise CalculatorError(f"{option}: {key}={value:g} is negative")
        try:
            out[key] = to_ugm3(value, unit or "µg/m³", key)
        except ValueError as exc:
            raise CalculatorError(f"{option}: {key}: {exc}") from None
    return out


def _result(res: AqiResult | None, values: dict[str, float], option: str) -> dict[str, Any]:
    if res is None:
        raise CalculatorError(f"{option}: PM2.5 or PM10 must be given (Decision 1459: no AQI without PM)")
    out: dict[str, Any] = {"aqi": res.aqi, "dominant": res.dominant, "category": res.category,
                           "label_vi": res.label_vi, "label_en": res.label_en, "colour": res.hex,
                           "rgb": list(res.rgb), "sub": res.sub}
    if "pm25" in values:
        out["us_epa_pm25"] = us_epa_pm25_aqi(values["pm25"])
    return out


def daily(items: list[str]) -> dict[str, Any]:
    """Daily VN_AQI: 24-hour PM means, daily maxima of the gases, O₃ 1-hour and 8-hour maxima."""
    values = parse_values(items, "--daily")
    return _result(daily_aqi(values), values, "--daily")


def hourly(items: list[str]) -> dict[str, Any]:
    """Hourly VN_AQI: PM as NowCast concentrations, gases as the hour's mean (``o3_8h`` not used)."""
    values = parse_values(items, "--hourly")
    if "o3_8h" in values:
        raise CalculatorError("--hourly: o3_8h does not enter the hourly AQI (use o3_1h)")
    return _result(hourly_aqi(values), values, "--hourly")


def parse_hours(text: str) -> list[float | None]:
    """``"20.6,19.6,,22.4"`` → hourly means newest first, None for an empty field (missing hour)."""
    if not text.strip():
        raise CalculatorError("--hours: give hourly means, newest first, separated by commas (empty = missing)")
    out: list[float | None] = []
    for i, field in enumerate(text.split(","), start=1):
        field = field.strip()
        if not field:
            out.append(None)
            continue
        value = _number(field, f"--hours (hour {i}, newest first)")
        if value < 0:
            raise CalculatorError(f"--hours (hour {i}, newest first): {value:g} is negative")
        out.append(value)
    return out


def nowcast(pollutant: str, hours_text: str) -> dict[str, Any]:
    """The NowCast of PM2.5 or PM10 (µg/m³) from up to 12 hourly means, and its AQI."""
    code = _ALIASES.get(pollutant.lower(), pollutant.lower())
    if code not in ("pm25", "pm10"):
        raise CalculatorError(f"--nowcast: NowCast applies to pm25 and pm10, not {pollutant!r}")
    hours = parse_hours(hours_text)
    try:
        value = nowcast_or_raise(hours)
    except NowCastError as exc:
        raise CalculatorError(str(exc)) from None
    used = [h for h in hours[:12] if h is not None]
    weight = 1.0 if max(used) == 0 else max(min(used) / max(used), 0.5)
    aqi = round_half_up(sub_index(code, value))  # type: ignore[arg-type]
    cat = category_for(aqi)
    out: dict[str, Any] = {"pollutant": code, "nowcast": round(value, 4), "hours_used": len(used),
                           "weight": round(weight, 6), "aqi": aqi, "category": cat.code, "label_vi": cat.label_vi,
                           "label_en": cat.label_en, "colour": cat.hex}
    if code == "pm25":
        out["us_epa_pm25"] = us_epa_pm25_aqi(value)
    return out


def as_text(result: dict[str, Any]) -> str:
    """One human-readable line for a calculator result."""
    head = f"VN_AQI {result['aqi']} ({result['label_vi']} / {result['label_en']})"
    if "nowcast" in result:
        return (f"NowCast {result['pollutant']} = {result['nowcast']:.2f} µg/m³ from {result['hours_used']} hours "
                f"(w = {result['weight']:.3f}) → {head}")
    subs = ", ".join(f"{k} {v}" for k, v in result["sub"].items())
    return f"{head}, dominant {result['dominant']}; sub-indices: {subs}"
