"""Simulated traffic violations — SIMULATED DATA ONLY.

Fiction calibrated on published figures (domain.md §1, §4); the basis of each rate:

- **Cameras**: 36 at real junctions of Huế and along National Road 1A
  (:mod:`data_sources.traffic_sim_cameras`) detecting ≈ 2 violations per camera a day, ≈ 72 a
  day and ≈ 25,500 a year for the network (:data:`CAMERA_PER_DAY`). Basis: Yên Bái's nine
  camera points detected ≈ 3,500 violations from 3 January to 19 July 2023 (Lao Động, July
  2023), ≈ 2 per point per day; nationwide the cameras caught "over 300,000" vehicles in a
  year (VTV), a few thousand per province. (Before: ≈ 9 per camera a day, 113,000 a year.)
- **Notices**: 94 % of camera detections become a notice (6 % dismissed on review; Yên Bái
  sent 3,478 notices for its ≈ 3,500). The fine is drawn inside the legal range of the decree
  in force on the violation's *local* date, usually the middle (:func:`_fines`): for this mix
  ≈ 1.8 M VND a notice under Decree 100/2019 + 123/2021 (2023–2024) and ≈ 4.2 M under
  Decree 168/2024 (from 2025), which raised red-light and wrong-way fines three- to six-fold.
- **Payment**: 35 % of camera notices are paid (:data:`PAY_SHARE_CAMERA`, an assumption
  reasoned from published shares): Hồ Chí Minh City's first camera year (2004–05) saw 60,000 of
  231,000 mailed notices paid (26 %), and press reports spoke of 5–6 payers in 100 recorded
  violators; online payment through the National Public Service Portal and the refusal of
  periodic inspection to cars with an unresolved notice have raised it since. The camera side
  then issues ≈ 42 billion VND a year of fines under the old decree and ≈ 98 billion under
  Decree 168, of which ≈ 15 and ≈ 35 billion are collected (before: 113,000 detections, 190
  and 444 billion issued, 137 and 320 billion collected).
- **Citizens** report through Hue-S: ≈ 3,050 a year (:data:`CITIZEN_PER_DAY`, fewer at
  weekends), the traffic-violation third of the field-feedback simulator's 9,500 a year (the
  seed's 3,068 of 9,143, which :mod:`data_sources.simulator` reads as a year's pace), so
  the traffic page and the feedback page tell the same story; 93.8 % of the ratings are
  satisfied or acceptable, as published. Citizen reports lead to fines rarely and to small
  ones: the published 296,050,000 VND for 3,068 reports is ≈ 96,500 VND a report, which
  :data:`CITIZEN_FINED_SHARE` reproduces at the 2023 ranges (≈ 300 million VND a year; ≈ 950
  million under Decree 168). (Before: ≈ 5,900 a year and 530–630 million VND.)

The UI labels the dashboard "simulated" whenever a simulator is a configured source.

- Mix by hour: red light and wrong lanes peak at the rush hours (7–8 h, 17–18 h), speeding
  at night on QL1A, helmets in the day.
- A small share are data errors to flag: fines out of range (0.6 %: a digit too many or too
  few) and unreadable plates (1.2 %: OCR mistakes).
- Lives: verification (hours), notice (≈ 1–2 days later), payment (days to weeks later).

Violations are planned per local day with a generator seeded by (seed, day); what is emitted
is each violation's state as of *now*, and the live source re-emits a violation whenever one
of its transitions falls inside the run's window (so fines get paid on screen). The live feed
keeps the history's pace (≈ 80 violations a day), times ``IOC_SIMULATOR_SPEED`` (1 by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from data_sources import simulation
from data_sources.simulation import (
    concat_nonempty,
    district_centroids,
    live_batch,
    local_date,
    local_days,
    place_on_day,
)
from data_sources.simulator import CATEGORY_WEIGHTS, YEARLY_REPORTS
from data_sources.traffic_sim_cameras import CAMERAS
from ioc.domain.local_time import utcnow
from ioc.domain.traffic import ViolationType, default_schedule
from ioc.domain.units import PROVINCE_BBOX
from ioc.sources import Batch, Collector

V = ViolationType
TYPES = [str(v) for v in V]
# the field-feedback simulator's traffic-violation third: ≈ 8.7 a day (≈ 3,050 a year after the weekend dip)
CITIZEN_PER_DAY = CATEGORY_WEIGHTS["traffic_violation"] / sum(CATEGORY_WEIGHTS.values()) * YEARLY_REPORTS / 365
CAMERA_PER_DAY = sum(c.daily_rate for c in CAMERAS)  # ≈ 72
YEARLY_VIOLATIONS = round(365 * (CAMERA_PER_DAY + CITIZEN_PER_DAY))
CITIZEN_FINED_SHARE = 0.075  # ≈ 96,500 VND of fines per citizen report at the 2023 ranges
OUT_OF_RANGE_SHARE = 0.006
INVALID_PLATE_SHARE = 0.012
CAMERA_DISMISSED, CITIZEN_DISMISSED = 0.06, 0.05
PAY_SHARE_CAMERA, PAY_SHARE_CITIZEN = 0.35, 0.80
RATED_SHARE = 0.70
RATING_P = (0.80, 0.138, 0.062)  # satisfied, acceptable, dissatisfied: 93.8 % satisfied
MAX_LIFE_DAYS = 60

_HOURS = np.arange(24)
_TRAFFIC = np.array([0.6, 0.4, 0.3, 0.3, 0.5, 1.4, 3.5, 6, 6.5, 4.5, 4, 4.2, 4, 3.6, 3.8, 4.2, 5, 6.5, 6.2, 4.5,
                     3.5, 2.8, 1.8, 1.0])
_RUSH = _TRAFFIC * np.where(np.isin(_HOURS, [6, 7, 8, 16, 17, 18]), 2.2, 1.0)
_NIGHT = np.array([3.0, 2.8, 2.4, 2.0, 1.6, 1.2, 0.8, 0.5, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.8, 0.7, 0.6, 0.7,
                   1.0, 1.5, 2.2, 2.8, 3.0])
_DAY = _TRAFFIC * np.where((_HOURS >= 8) & (_HOURS <= 17), 1.6, 0.5)
PROFILE = {V.RED_LIGHT: _RUSH, V.WRONG_LANE: _RUSH, V.SIGNS_MARKINGS: _TRAFFIC, V.WRONG_WAY: _TRAFFIC,
           V.NO_HELMET: _DAY, V.HANDHELD_PHONE: _TRAFFIC, V.SPEEDING_5_10: _NIGHT * _TRAFFIC.mean(),
           V.SPEEDING_10_20: _NIGHT * _TRAFFIC.mean(), V.SPEEDING_20_35: _NIGHT * _TRAFFIC.mean(),
           V.SPEEDING_OVER_35: _NIGHT * _TRAFFIC.mean()}
KIND_MIX = {
    "junction": {V.RED_LIGHT: 0.36, V.WRONG_LANE: 0.2, V.NO_HELMET: 0.14, V.SIGNS_MARKINGS: 0.14,
                 V.WRONG_WAY: 0.08, V.HANDHELD_PHONE: 0.05, V.SPEEDING_5_10: 0.03},
    "surveillance": {V.SIGNS_MARKINGS: 0.35, V.WRONG_WAY: 0.25, V.NO_HELMET: 0.25, V.WRONG_LANE: 0.15},
    "speed": {V.SPEEDING_5_10: 0.30, V.SPEEDING_10_20: 0.30, V.SPEEDING_20_35: 0.14, V.SPEEDING_OVER_35: 0.05,
              V.WRONG_LANE: 0.12, V.SIGNS_MARKINGS: 0.06, V.NO_HELMET: 0.03},
    "citizen": {V.WRONG_WAY: 0.24, V.SIGNS_MARKINGS: 0.30, V.RED_LIGHT: 0.14, V.NO_HELMET: 0.12,
                V.WRONG_LANE: 0.12, V.HANDHELD_PHONE: 0.08},
}
VEHICLE_MIX = {"junction": (0.70, 0.24, 0.04, 0.02), "surveillance": (0.75, 0.20, 0.03, 0.02),
               "speed": (0.35, 0.45, 0.20, 0.0), "citizen": (0.55, 0.30, 0.10, 0.05)}  # motorbike, car, truck, other
VEHICLES = ("motorbike", "car", "truck", "other")
CITIZEN_DISTRICTS = {"474": 0.55, "479": 0.10, "480": 0.08, "478": 0.09, "482": 0.07, "476": 0.05, "477": 0.03,
                     "481": 0.02, "483": 0.01}
_CENTROIDS = {code: (lat, lon) for code, (lat, lon, _name) in district_centroids().items()}
_STREETS = ["Lê Lợi", "Hùng Vương", "Trần Hưng Đạo", "Nguyễn Huệ", "Bà Triệu", "Điện Biên Phủ", "Phạm Văn Đồng",
            "Tố Hữu", "Quốc lộ 1A", "Quốc lộ 49", "Nguyễn Tất Thành", "Tỉnh lộ 10"]
_TEXTS = {"wrong_way": "Xe máy chạy ngược chiều giờ tan trường", "signs_markings": "Ô tô dừng đỗ sai quy định, lấn vạch",
          "red_light": "Vượt đèn đỏ liên tục tại nút giao", "no_helmet": "Nhóm thanh niên không đội mũ bảo hiểm",
          "wrong_lane": "Xe tải chạy sai làn, lấn làn xe máy", "handheld_phone": "Tài xế vừa lái xe vừa nghe điện thoại"}
_PROVINCES = np.array(["75"] * 16 + ["43", "74", "92", "29", "51", "38", "47"])
_MOTO_SERIES = np.array(["B1", "C1", "D1", "E1", "F1", "G1", "H1", "K1", "L1", "M1", "N1", "P1", "S1", "T1", "X1"])
_CAR_SERIES = np.array(["A", "A", "A", "B", "C", "D", "LD"])
_EVIDENCE = "https://evidence.ioc-hue.example/{code}/{id}.jpg"  # reserved .example domain: fiction


def _type_hour_table(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Flattened joint probabilities of (type index, hour) for one source kind."""
    mix = KIND_MIX[kind]
    p = np.zeros((len(TYPES), 24))
    for vt, share in mix.items():
        profile = PROFILE[vt] / PROFILE[vt].sum()
        p[TYPES.index(str(vt))] = share * profile
    return p.ravel() / p.sum(), np.arange(p.size)


_TABLES = {kind: _type_hour_table(kind) for kind in KIND_MIX}


def _plates(rng: np.random.Generator, vehicles: np.ndarray) -> np.ndarray:
    """Plates as cameras read them: canonical, compact or spaced; a few OCR mistakes."""
    n = len(vehicles)
    prov = rng.choice(_PROVINCES, n)
    moto = vehicles == "motorbike"
    series = np.where(moto, rng.choice(_MOTO_SERIES, n), rng.choice(_CAR_SERIES, n))
    num = rng.integers(0, 100_000, n)
    style = rng.random(n)
    out = []
    for p, s, k, m, st in zip(prov, series, num, moto, style, strict=True):
        digits = f"{k:05d}"
        if st < 0.60:
            out.append(f"{p}-{s} {digits[:3]}.{digits[3:]}" if m else f"{p}{s}-{digits[:3]}.{digits[3:]}")
        elif st < 0.95:
            out.append(f"{p}{s}{digits}")
        else:
            out.append(f"{p} {s} {digits[:3]} {digits[3:]}")
    plates = np.array(out, dtype=object)
    broken = rng.random(n) < INVALID_PLATE_SHARE
    for i in np.flatnonzero(broken):  # OCR: a letter where a digit belongs, or digits lost
        text = plates[i]
        plates[i] = ("7S" + text[2:]) if rng.random() < 0.5 else text[: max(4, len(text) - 3)]
    return plates


def _fines(rng: np.random.Generator, types: np.ndarray, vehicles: np.ndarray, local_days: pd.Series) -> np.ndarray:
    """Fines (VND) inside the legal range of the decree in force on each local date: usually
    the middle of the range, sometimes its ends; a few out of range; NaN without a range."""
    check = default_schedule().check_fines(pd.DataFrame({
        "violation_type": types, "vehicle_class": vehicles, "local_date": local_days.to_numpy(),
        "fine_vnd": np.zeros(len(types))}))
    lo = check["min_vnd"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    hi = check["max_vnd"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    pick = rng.random(len(types))
    fine = np.where(pick < 0.8, (lo + hi) / 2, np.where(pick < 0.9, lo, hi))
    bad = rng.random(len(types)) < OUT_OF_RANGE_SHARE
    fine = np.where(bad, np.where(rng.random(len(types)) < 0.5, fine * 10, fine / 10), fine)
    return np.round(fine / 1000) * 1000


def _hours(values: np.ndarray) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.round(np.asarray(values) * 3600), unit="s")  # whole seconds


@lru_cache(maxsize=128)
def _plan_day(seed: int, day: date, scale: float, prefix: str, tz_name: str) -> pd.DataFrame:
    """Every violation detected on local ``day`` with its whole simulated life (naive UTC)."""
    rng = np.random.default_rng([seed, day.toordinal(), len(prefix), 75])
    weekday = 0.85 if day.weekday() >= 5 else 1.0
    cams = list(CAMERAS)
    counts = rng.poisson(np.array([c.daily_rate for c in cams]) * scale * weekday)
    n_cit = int(rng.poisson(CITIZEN_PER_DAY * scale * weekday))
    kinds = np.concatenate([np.repeat([c.kind for c in cams], counts), np.full(n_cit, "citizen")])
    n = len(kinds)
    if n == 0:
        return pd.DataFrame()
    cam_idx = np.repeat(np.arange(len(cams)), counts)
    type_idx, hour = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    vehicles = np.empty(n, dtype=object)
    for kind, (p, cells) in _TABLES.items():
        mask = kinds == kind
        cell = rng.choice(cells, size=int(mask.sum()), p=p)
        type_idx[mask], hour[mask] = cell // 24, cell % 24
        vehicles[mask] = rng.choice(VEHICLES, size=int(mask.sum()), p=VEHICLE_MIX[kind])
    types = np.array(TYPES, dtype=object)[type_idx]
    vehicles = np.where(types == "no_helmet", "motorbike", vehicles)
    local = pd.Series(pd.Timestamp(day) + pd.to_timedelta(hour, unit="h")
                      + pd.to_timedelta(rng.integers(0, 3600, n), unit="s"))
    detected = local.dt.tz_localize(tz_name).dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    citizen = kinds == "citizen"
    districts = rng.choice(list(CITIZEN_DISTRICTS), size=n, p=np.array(list(CITIZEN_DISTRICTS.values())))
    centre = np.array([_CENTROIDS[d] for d in districts])
    spread = np.where(districts == "474", 0.015, 0.04)
    cam_of = [cams[i] for i in cam_idx] + [None] * n_cit
    lat = np.where(citizen, np.clip(centre[:, 0] + rng.normal(0, 1, n) * spread, PROVINCE_BBOX[1], PROVINCE_BBOX[3]),
                   [c.lat if c else 0.0 for c in cam_of])
    lon = np.where(citizen, np.clip(centre[:, 1] + rng.normal(0, 1, n) * spread, PROVINCE_BBOX[0], PROVINCE_BBOX[2]),
                   [c.lon if c else 0.0 for c in cam_of])
    lat, lon = np.round(lat, 5), np.round(lon, 5)
    unit_codes, unit_names, _authority = place_on_day(day, lat, lon)
    plates = _plates(rng, vehicles)
    plates = np.where(citizen & (rng.random(n) < 0.4), "", plates)  # citizens often give no plate
    dismissed = rng.random(n) < np.where(citizen, CITIZEN_DISMISSED, CAMERA_DISMISSED)
    fine = _fines(rng, types, vehicles, local.dt.floor("D"))
    issued = ~dismissed & ~np.isnan(fine) & (~citizen | (rng.random(n) < CITIZEN_FINED_SHARE))
    pays = issued & (rng.random(n) < np.where(citizen, PAY_SHARE_CITIZEN, PAY_SHARE_CAMERA))
    verified = detected + _hours(np.clip(rng.lognormal(np.log(np.where(citizen, 3, 5)), 0.8, n), 0.2, 96))
    notice = verified + _hours(np.clip(rng.lognormal(np.log(30), 0.6, n), 2, 400))
    paid = notice + _hours(np.clip(rng.lognormal(np.log(24 * 9), 0.7, n), 6, 24 * (MAX_LIFE_DAYS - 25)))
    rated = citizen & (rng.random(n) < RATED_SHARE)
    pick = rng.random(n)
    rating = np.where(pick < RATING_P[0], "satisfied",
                      np.where(pick < RATING_P[0] + RATING_P[1], "acceptable", "dissatisfied"))
    ids = [f"{prefix}-{day:%Y%m%d}-{i:06d}" for i in range(n)]
    streets = rng.choice(_STREETS, n)
    return pd.DataFrame({
        "external_id": ids,
        "detected_at": detected.to_numpy(),
        "violation_type": types,
        "vehicle_class": vehicles,
        "channel": np.where(citizen, "citizen", "camera"),
        "camera_code": [c.code if c else "" for c in cam_of],
        "camera_name": [c.name if c else "" for c in cam_of],
        "camera_kind": [c.kind if c else "" for c in cam_of],
        "camera_road": [c.road if c else "" for c in cam_of],
        "unit_code": unit_codes,
        "lat": lat,
        "lon": lon,
        "address": [f"{s}, {u}" if cz else (c.name if c else "")
                    for s, u, cz, c in zip(streets, unit_names, citizen, cam_of, strict=True)],
        "description": [_TEXTS.get(t, "") if cz else "" for t, cz in zip(types, citizen, strict=True)],
        "plate": plates,
        "evidence_url": [_EVIDENCE.format(code=c.code, id=i) if c else "" for c, i in zip(cam_of, ids, strict=True)],
        "fine_value": fine,
        "dismissed": dismissed,
        "issued": issued,
        "pays": pays,
        "verified_at": verified.to_numpy(),
        "notice_at": notice.to_numpy(),
        "paid_at_plan": paid.to_numpy(),
        "rating_value": rating,
        "rated_at": pd.Series(verified + _hours(rng.uniform(2, 72, n))).where(rated).to_numpy(),
    })


STATE_COLUMNS = ("external_id", "detected_at", "violation_type", "vehicle_class", "channel", "camera_code",
                 "camera_name", "camera_kind", "camera_road", "unit_code", "lat", "lon", "address", "description",
                 "plate", "evidence_url")


def state_at(plan: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Each planned violation as it stands at ``now`` (naive UTC), in the record's columns."""
    plan = plan[plan["detected_at"] <= now]
    if plan.empty:
        return plan
    t = np.datetime64(now)
    reviewed = plan["verified_at"].to_numpy() <= t
    noticed = reviewed & plan["issued"].to_numpy() & (plan["notice_at"].to_numpy() <= t)
    paid = noticed & plan["pays"].to_numpy() & (plan["paid_at_plan"].to_numpy() <= t)
    dismissed = reviewed & plan["dismissed"].to_numpy()
    status = np.select([paid, noticed, dismissed, reviewed], ["paid", "notice_sent", "dismissed", "verified"],
                       "detected")
    rated_at = plan["rated_at"].to_numpy()
    rated = reviewed & ~pd.isna(rated_at) & (rated_at <= t)
    nat = np.datetime64("NaT")
    updated = plan["detected_at"].to_numpy().copy()
    for mask, col in ((reviewed, "verified_at"), (noticed, "notice_at"), (paid, "paid_at_plan")):
        updated[mask] = plan[col].to_numpy()[mask]
    updated = np.where(rated & (rated_at > updated), rated_at, updated)
    return pd.DataFrame({
        **{c: plan[c].to_numpy() for c in STATE_COLUMNS},
        "status": status,
        "fine_vnd": np.where(noticed, plan["fine_value"].to_numpy(), np.nan),
        "verified_at": np.where(reviewed, plan["verified_at"].to_numpy(), nat),
        "notice_sent_at": np.where(noticed, plan["notice_at"].to_numpy(), nat),
        "paid_at": np.where(paid, plan["paid_at_plan"].to_numpy(), nat),
        "rating": np.where(rated, plan["rating_value"].to_numpy(), None),
        "updated_at": updated.astype("datetime64[us]"),
    })


TRANSITIONS = ("detected_at", "verified_at", "notice_at", "paid_at_plan", "rated_at")


def changed_between(plan: pd.DataFrame, since: datetime, now: datetime) -> pd.DataFrame:
    """Violations with any transition in (since, now], as they stand at ``now``."""
    return simulation.changed_between(plan, TRANSITIONS, since, now, state_at)


def history(seed: int, start: date, end: date, now: datetime, tz_name: str,
            yearly: float = YEARLY_VIOLATIONS, prefix: str = "SIMT") -> pd.DataFrame:
    """Simulated violations detected on local days [start, end), as they stand at ``now`` (UTC)."""
    scale = yearly / YEARLY_VIOLATIONS
    plans = (_plan_day(seed, day, scale, prefix, tz_name) for day in local_days(start, end))
    return concat_nonempty(state_at(plan, now) for plan in plans if not plan.empty)


def live_scale(speed: float = 1.0, violations_per_minute: float | None = None) -> float:
    """The live feed's volume as a multiple of the history's (≈ 80 violations a day, cameras
    and citizens alike): ``speed`` (the simulators' speed-up, ≥ 1); or, when a sources file
    gives ``violations_per_minute``, that fixed rate (the speed does not apply to it)."""
    if violations_per_minute is not None:
        return float(violations_per_minute) * 1440 / (CAMERA_PER_DAY + CITIZEN_PER_DAY)
    return speed


class TrafficSimulator(Collector):
    """Live simulated violations at the city's pace (:func:`live_scale`). Options: ``seed``
    (default 2023), ``violations_per_minute`` (a fixed live rate instead of the city's pace);
    the pace is multiplied by ``IOC_SIMULATOR_SPEED`` / ``--speed``."""

    type = "simulator"
    family = "traffic"
    simulated = True

    def backfill(self, days: int, seed: int) -> Iterator[Batch]:
        now = utcnow()
        today = local_date(now, self.ctx.tz)
        day = today - timedelta(days=days)
        while day <= today:  # a month per batch keeps memory flat
            end = min(day + timedelta(days=31), today + timedelta(days=1))
            frame = history(seed, day, end, now, str(self.ctx.tz))
            yield Batch(records=frame, fetched=len(frame))
            day = end

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        seed = int(self.spec.option("seed", 2023))
        fixed = self.spec.option("violations_per_minute")
        scale = live_scale(self.ctx.simulator_speed, None if fixed is None else float(fixed))
        tz = self.ctx.tz

        def plan_day(day: date) -> pd.DataFrame:
            return _plan_day(seed, day, scale, "LIVET", str(tz))

        yield live_batch(self.spec, tz, watermark, MAX_LIFE_DAYS, "detected_at", plan_day, changed_between)
