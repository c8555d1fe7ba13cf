"""VN_AQI over many stations and hours at once (pure, vectorised: no I/O).

Builds on :mod:`ioc.domain.aqi` (the single-value rules) for whole observation frames:

* :func:`hourly_aqi_frame`: hourly VN_AQI per station-hour — NowCast of the last 12 hourly
  means for PM2.5 and PM10 (2-of-3 rule), the current hour for O₃, CO, SO₂, NO₂;
* :func:`daily_aqi_frame`: daily VN_AQI per station and *local* day, plus the day's data
  counts (valid and flagged values, hours per AQI category) that completeness and the
  period KPIs add up.

Observation frames have the columns ``station_id``, ``parameter`` (stored codes, see
:mod:`ioc.domain.air_quality`), ``hour`` (datetime64, naive UTC, start of the hour),
``value_ugm3`` and ``flag``; only ``flag == "ok"`` values enter the index.

Interpretation choices (Decision 1459 does not spell these out):

* a daily value of a pollutant needs :data:`DAILY_MIN_HOURS` (18 of 24, 75 %) valid hourly
  values in the local day; the O₃ 8-hour mean needs 6 of its 8 hours, the day's maximum
  8-hour mean needs 18 valid 8-hour means, each ending in a different hour of the day
  (so the windows reach 7 hours back into the previous day);
* the US EPA PM2.5 AQI shown next to VN_AQI uses the PM2.5 NowCast hourly and the 24-hour
  mean daily.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from ioc.domain.air_quality import AQI_CODE, FLAG_OK
from ioc.domain.aqi import CATEGORIES, POLLUTANTS, nowcast_array, sub_index_array

DAILY_MIN_HOURS = 18
O3_8H_MIN_HOURS = 6
NOWCAST_HOURS = 12
HOURLY_SUB_COLUMNS = ("sub_pm25", "sub_pm10", "sub_o3_1h", "sub_co", "sub_so2", "sub_no2")
HOURLY_COLUMNS = ("station_id", "hour", "aqi", "dominant", "category", "pm25_nowcast", "pm10_nowcast",
                  *HOURLY_SUB_COLUMNS, "epa_pm25")
CATEGORY_CODES = tuple(c.code for c in CATEGORIES)
HOUR_COUNT_COLUMNS = tuple(f"h_{c}" for c in CATEGORY_CODES)
DAILY_VALUE_COLUMNS = ("pm25_24h", "pm10_24h", "o3_1h_max", "o3_8h_max", "co_max", "so2_max", "no2_max")
DAILY_SUB_COLUMNS = tuple(f"sub_{p}" for p in POLLUTANTS)
DAILY_COLUMNS = ("station_id", "day", "aqi", "dominant", "category", *DAILY_VALUE_COLUMNS, *DAILY_SUB_COLUMNS,
                 "epa_pm25", "valid_obs", "flagged_obs", "hours_reported", "hours_aqi", *HOUR_COUNT_COLUMNS)
_EPS = 1e-9
_EPA_PM25 = ((0.0, 9.0, 0, 50), (9.1, 35.4, 51, 100), (35.5, 55.4, 101, 150), (55.5, 125.4, 151, 200),
             (125.5, 225.4, 201, 300), (225.5, 325.4, 301, 500))
_CATEGORY_EDGES = np.array([c.hi for c in CATEGORIES[:-1]], dtype=np.float64)


def round_half_up_array(x: np.ndarray) -> np.ndarray:
    """Round half up (as :func:`ioc.domain.aqi.round_half_up`), NaN kept."""
    return np.floor(np.asarray(x, dtype=np.float64) + 0.5 + _EPS)


def category_codes(aqi: np.ndarray) -> np.ndarray:
    """Category code of each integer AQI (object array; ``None`` where AQI is NaN)."""
    a = np.asarray(aqi, dtype=np.float64)
    idx = np.searchsorted(_CATEGORY_EDGES, a, side="left")
    out = np.array(CATEGORY_CODES, dtype=object)[np.minimum(idx, len(CATEGORY_CODES) - 1)]
    out[np.isnan(a)] = None
    return out


def us_epa_pm25_array(conc_ugm3: np.ndarray) -> np.ndarray:
    """Vectorised :func:`ioc.domain.aqi.us_epa_pm25_aqi` (float64 AQI, NaN for NaN/negative)."""
    c = np.asarray(conc_ugm3, dtype=np.float64)
    t = np.floor(c * 10 + _EPS) / 10
    out = np.full(len(c), 500.0)
    done = np.zeros(len(c), dtype=bool)
    for lo, hi, i_lo, i_hi in _EPA_PM25:
        hit = ~done & (t <= hi + _EPS)
        out[hit] = round_half_up_array((i_hi - i_lo) / (hi - lo) * (t[hit] - lo) + i_lo)
        done |= hit
    out[~(c >= 0)] = np.nan
    return out


def _factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques) of a column of text. Observations come in long runs of one station and
    one parameter, so only the first value of each run is hashed (a run is found by comparing
    neighbours, which is far cheaper than hashing every value)."""
    arr = np.asarray(values, dtype=object)
    if not len(arr):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    change = np.empty(len(arr), dtype=bool)
    change[0] = True
    np.not_equal(arr[1:], arr[:-1], out=change[1:])
    heads = np.flatnonzero(change)
    head_codes, uniques = pd.factorize(arr[heads])
    return np.repeat(head_codes, np.diff(np.append(heads, len(arr)))), np.asarray(uniques, dtype=object)


def _grid(obs: pd.DataFrame, stations: list[str], start: np.datetime64, hours: int,
          station_codes: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Valid µg/m³ values as (station × hour) matrices from ``start``, NaN where missing."""
    s_codes, s_uniques = station_codes if station_codes is not None else _factorize(obs["station_id"])
    p_codes, p_uniques = _factorize(obs["parameter"])
    f_codes, f_uniques = _factorize(obs["flag"])
    station_pos = pd.Index(stations).get_indexer(s_uniques)[s_codes]
    param_pos = np.array([list(AQI_CODE).index(p) if p in AQI_CODE else -1 for p in p_uniques], dtype=np.int64)
    param_pos = param_pos[p_codes] if len(p_codes) else p_codes
    ok = (f_uniques == FLAG_OK)[f_codes] if len(f_codes) else np.zeros(0, dtype=bool)
    h_idx = (obs["hour"].to_numpy(dtype="datetime64[us]") - start) // np.timedelta64(1, "h")
    keep = ok & (station_pos >= 0) & (param_pos >= 0) & (h_idx >= 0) & (h_idx < hours)
    cube = np.full((len(AQI_CODE), len(stations), hours), np.nan)
    cube[param_pos[keep], station_pos[keep], h_idx[keep].astype(np.int64)] = \
        obs["value_ugm3"].to_numpy(dtype=np.float64)[keep]
    return {code: cube[i] for i, code in enumerate(AQI_CODE)}


def _combine(subs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Overall AQI (rounded, NaN without PM) and dominant code from un-rounded sub-indices."""
    keys = [k for k in POLLUTANTS if k in subs]
    stack = np.vstack([subs[k] for k in keys])
    filled = np.where(np.isnan(stack), -np.inf, stack)
    idx = filled.argmax(axis=0)  # first max wins: PM before gases, as the scalar rules
    best = filled[idx, np.arange(stack.shape[1])]
    pm = [i for i, k in enumerate(keys) if k in ("pm25", "pm10")]
    has_pm = ~np.isnan(stack[pm]).all(axis=0)
    aqi = np.where(has_pm, round_half_up_array(best), np.nan)
    dominant = np.where(has_pm, np.array(keys, dtype=object)[idx], None)
    return aqi, dominant


def _int_or_none(values: np.ndarray) -> pd.array:
    return pd.array(np.where(np.isnan(values), np.nan, values), dtype="Int64")


def hourly_aqi_frame(obs: pd.DataFrame, start: np.datetime64 | pd.Timestamp, end: np.datetime64 | pd.Timestamp
                     ) -> pd.DataFrame:
    """Hourly VN_AQI of every station in ``obs`` for hours in [start, end) (naive UTC).

    ``obs`` must hold the 11 hours before ``start`` too (NowCast). Returns the rows with an
    AQI (columns :data:`HOURLY_COLUMNS`), sorted by station and hour.
    """
    start64 = np.datetime64(pd.Timestamp(start), "us")
    end64 = np.datetime64(pd.Timestamp(end), "us")
    n_out = int((end64 - start64) // np.timedelta64(1, "h"))
    if obs.empty or n_out <= 0:
        return pd.DataFrame(columns=list(HOURLY_COLUMNS))
    codes = _factorize(obs["station_id"])
    stations = sorted(codes[1].tolist())
    lead = NOWCAST_HOURS - 1
    grids = _grid(obs, stations, start64 - np.timedelta64(lead, "h"), n_out + lead, codes)
    n_rows = len(stations) * n_out
    conc: dict[str, np.ndarray] = {}
    for pm in ("pm25", "pm10"):
        windows = sliding_window_view(grids[pm], NOWCAST_HOURS, axis=1)[:, :, ::-1]  # newest first
        conc[pm] = nowcast_array(windows.reshape(n_rows, NOWCAST_HOURS))
    for code in ("o3", "co", "so2", "no2"):
        conc[AQI_CODE[code]] = grids[code][:, lead:].reshape(n_rows)
    subs = {k: sub_index_array(k, v) for k, v in conc.items()}
    aqi, dominant = _combine(subs)
    keep = ~np.isnan(aqi)
    hours = start64 + np.arange(n_out) * np.timedelta64(1, "h")
    frame = pd.DataFrame({
        "station_id": np.repeat(np.array(stations, dtype=object), n_out)[keep],
        "hour": np.tile(hours, len(stations))[keep],
        "aqi": _int_or_none(aqi[keep]),
        "dominant": dominant[keep],
        "category": category_codes(aqi[keep]),
        "pm25_nowcast": np.round(conc["pm25"][keep], 2),
        "pm10_nowcast": np.round(conc["pm10"][keep], 2),
        **{f"sub_{k}": _int_or_none(round_half_up_array(subs[k][keep])) for k in
           ("pm25", "pm10", "o3_1h", "co", "so2", "no2")},
        "epa_pm25": _int_or_none(us_epa_pm25_array(conc["pm25"][keep])),
    })
    return frame.reset_index(drop=True)


def local_days(hours: pd.Series, tz: ZoneInfo) -> pd.Series:
    """The local date (``datetime64`` at midnight) of each naive-UTC hour start."""
    return hours.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None).dt.floor("D")


def _daily_pollutants(obs: pd.DataFrame, tz: ZoneInfo) -> pd.DataFrame:
    """Per station and local day: 24-h PM means, daily maxima and the O₃ 8-hour maximum."""
    ok = obs[obs["flag"] == FLAG_OK][["station_id", "parameter", "hour", "value_ugm3"]].copy()
    ok["day"] = local_days(ok["hour"], tz)
    g = ok.groupby(["station_id", "day", "parameter"])["value_ugm3"].agg(["mean", "max", "count"])
    enough = g["count"] >= DAILY_MIN_HOURS
    mean = g["mean"].where(enough).unstack("parameter")
    peak = g["max"].where(enough).unstack("parameter")
    out = pd.DataFrame(index=mean.index)
    for col, src, code in (("pm25_24h", mean, "pm25"), ("pm10_24h", mean, "pm10"), ("o3_1h_max", peak, "o3"),
                           ("co_max", peak, "co"), ("so2_max", peak, "so2"), ("no2_max", peak, "no2")):
        out[col] = src[code] if code in src else np.nan
    o3 = ok[ok["parameter"] == "o3"]
    out["o3_8h_max"] = np.nan
    if not o3.empty:
        out["o3_8h_max"] = _o3_8h_max(o3, tz).reindex(out.index)
    return out


def _o3_8h_max(o3: pd.DataFrame, tz: ZoneInfo) -> pd.Series:
    """The day's largest 8-hour O₃ mean (windows ending in each hour of the local day)."""
    stations = sorted(o3["station_id"].unique().tolist())
    start = np.datetime64(o3["hour"].min(), "us")
    hours = int((np.datetime64(o3["hour"].max(), "us") - start) // np.timedelta64(1, "h")) + 1
    grid = _grid(o3.assign(flag=FLAG_OK), stations, start, hours)["o3"]
    padded = np.concatenate([np.full((len(stations), 7), np.nan), grid], axis=1)
    windows = sliding_window_view(padded, 8, axis=1)  # window j ends at hour j
    count = (~np.isnan(windows)).sum(axis=2)
    with np.errstate(invalid="ignore"):
        means = np.where(count >= O3_8H_MIN_HOURS, np.nansum(windows, axis=2) / np.maximum(count, 1), np.nan)
    ends = pd.Series(start + np.arange(hours) * np.timedelta64(1, "h"))
    frame = pd.DataFrame({"station_id": np.repeat(np.array(stations, dtype=object), hours),
                          "day": np.tile(local_days(ends, tz).to_numpy(), len(stations)),
                          "m8": means.reshape(-1)})
    g = frame.groupby(["station_id", "day"])["m8"].agg(["max", "count"])
    return g["max"].where(g["count"] >= DAILY_MIN_HOURS)


def daily_aqi_frame(obs: pd.DataFrame, hourly: pd.DataFrame, tz: ZoneInfo,
                    days: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> pd.DataFrame:
    """Daily VN_AQI and data counts per station and local day (columns :data:`DAILY_COLUMNS`).

    ``obs`` holds every observation of the days (any flag) and the 7 hours before the first
    (O₃ 8-hour windows); ``hourly`` the hourly AQI of the same days. ``days`` keeps local
    dates in [first, last) only. ``day`` is a ``datetime.date``.
    """
    if obs.empty:
        return pd.DataFrame(columns=list(DAILY_COLUMNS))
    counts = obs[["station_id", "hour", "flag"]].copy()
    counts["day"] = local_days(counts["hour"], tz)
    counts["valid"] = counts["flag"] == FLAG_OK
    per_day = counts.groupby(["station_id", "day"]).agg(valid_obs=("valid", "sum"), n=("valid", "size"),
                                                        hours_reported=("hour", "nunique"))
    per_day["flagged_obs"] = per_day.pop("n") - per_day["valid_obs"]
    values = _daily_pollutants(obs, tz)
    frame = per_day.join(values, how="left")
    if not hourly.empty:
        h = hourly[["station_id", "hour", "category"]].copy()
        h["day"] = local_days(pd.to_datetime(h["hour"]), tz)
        cats = h.groupby(["station_id", "day", "category"]).size().unstack("category")
        cats = cats.reindex(columns=list(CATEGORY_CODES)).fillna(0)
        cats.columns = list(HOUR_COUNT_COLUMNS)
        frame = frame.join(cats, how="left")
    for col in HOUR_COUNT_COLUMNS:
        if col not in frame:
            frame[col] = 0
    frame[list(HOUR_COUNT_COLUMNS)] = frame[list(HOUR_COUNT_COLUMNS)].fillna(0).astype("int64")
    frame["hours_aqi"] = frame[list(HOUR_COUNT_COLUMNS)].sum(axis=1)
    frame = frame.reset_index()
    if days is not None:
        frame = frame[(frame["day"] >= days[0]) & (frame["day"] < days[1])]
    source = {"pm25": "pm25_24h", "pm10": "pm10_24h", "o3_1h": "o3_1h_max", "o3_8h": "o3_8h_max", "co": "co_max",
              "so2": "so2_max", "no2": "no2_max"}
    subs = {k: sub_index_array(k, frame[col].to_numpy(dtype=np.float64)) for k, col in source.items()}
    aqi, dominant = _combine(subs) if len(frame) else (np.array([]), np.array([], dtype=object))
    frame["aqi"] = _int_or_none(aqi)
    frame["dominant"] = dominant
    frame["category"] = category_codes(aqi)
    for k in POLLUTANTS:
        frame[f"sub_{k}"] = _int_or_none(round_half_up_array(subs[k]))
    frame["epa_pm25"] = _int_or_none(us_epa_pm25_array(frame["pm25_24h"].to_numpy(dtype=np.float64)))
    for col in DAILY_VALUE_COLUMNS:
        frame[col] = frame[col].astype("float64").round(3)
    frame["day"] = frame["day"].dt.date
    for col in ("valid_obs", "flagged_obs", "hours_reported"):
        frame[col] = frame[col].astype("int64")
    return frame[list(DAILY_COLUMNS)].reset_index(drop=True)
