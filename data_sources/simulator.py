"""Simulated citizen field feedback (phản ánh hiện trường) — SIMULATED DATA ONLY.

Everything this module makes is fiction calibrated on published figures (domain.md §1, §3):
a calendar year gives ≈ 9,500 reports province-wide, ≥ 98 % processed, 90–95 % satisfied;
one third are traffic violations; most arrive through Hue-S; Huế city is densest. The UI
labels the dashboard "simulated" whenever a simulator source is configured.

Reports are planned *per local day* with a generator seeded by (seed, day): the same seed
always gives the same history. Each planned report carries its whole life (received →
verified → assigned → in progress → resolved/rejected → rated); what is emitted is its state
as of *now*. The live source re-emits a report whenever one of its transitions falls inside
the run's window, so reports close on screen as simulated time passes.

The live feed keeps the city's pace: each local day it receives what a day of the history
receives (:func:`live_day_rate`: the same ≈ 26 a day, with the same weekday, holiday and
flood-season shape), times ``IOC_SIMULATOR_SPEED`` (1 by default) for demonstrations.
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
from ioc.domain.calendar import WorkCalendar
from ioc.domain.feedback import CATEGORIES, DEFAULT_DUE_WORKING_DAYS
from ioc.domain.local_time import utcnow
from ioc.domain.units import PROVINCE_BBOX
from ioc.sources import Batch, Collector

YEARLY_REPORTS = 9_500
DISTRICT_WEIGHTS = {"474": 0.42, "479": 0.10, "480": 0.08, "478": 0.10, "482": 0.08, "476": 0.07,
                    "477": 0.06, "481": 0.05, "483": 0.04}
DISTRICT_SPREAD = {"474": 0.018}  # degrees; rural units are more spread out
CATEGORY_WEIGHTS = {"traffic_violation": 0.335, "traffic_infra": 0.14, "urban_order": 0.13, "environment": 0.12,
                    "lighting": 0.07, "trees": 0.05, "security": 0.05, "electricity": 0.04, "water": 0.04,
                    "other": 0.025}
CHANNEL_WEIGHTS = {"hue_s": 0.80, "hotline": 0.08, "web": 0.07, "social": 0.05}
REJECTED_SHARE = 0.06
STUCK_SHARE = 0.012  # never closed: keeps processed ≈ 98–99 %
RATED_SHARE = 0.72
RATING_P_ON_TIME = (0.80, 0.135, 0.065)  # satisfied, acceptable, dissatisfied
RATING_P_LATE = (0.45, 0.25, 0.30)
RESOLUTION_MEDIAN_H = 55.0
RESOLUTION_SIGMA = 0.85
MAX_LIFE_DAYS = 75

_CENTROIDS = {code: (lat, lon) for code, (lat, lon, _name) in district_centroids().items()}
_AGENCY = {
    "traffic_violation": "Công an {d}",
    "security": "Công an {d}",
    "traffic_infra": "Phòng Quản lý đô thị {d}",
    "urban_order": "UBND {d}",
    "environment": "Công ty CP Môi trường và Công trình đô thị Huế",
    "lighting": "Trung tâm Công viên cây xanh và Chiếu sáng",
    "trees": "Trung tâm Công viên cây xanh và Chiếu sáng",
    "electricity": "Công ty Điện lực Thừa Thiên Huế",
    "water": "Công ty CP Cấp nước Thừa Thiên Huế",
    "other": "UBND {d}",
}
_TEXTS = {
    "traffic_violation": ["Xe ô tô đỗ trên vỉa hè, lấn chiếm lối đi", "Xe máy chạy ngược chiều giờ tan trường",
                          "Xe tải chở cát rơi vãi \"không che chắn\"", "Vượt đèn đỏ liên tục tại nút giao"],
    "traffic_infra": ["Ổ gà lớn giữa đường, nguy hiểm cho xe máy", "Nắp hố ga bị vỡ", "Biển báo bị gãy đổ"],
    "urban_order": ["Lấn chiếm vỉa hè để buôn bán", "Xây dựng không phép & đổ vật liệu ra đường",
                    "Quảng cáo rao vặt dán trên cột điện"],
    "environment": ["Rác thải tồn đọng nhiều ngày, bốc mùi", "Đốt rác gây khói <khu dân cư>",
                    "Nước thải chảy ra sông Hương"],
    "lighting": ["Đèn đường không sáng cả đoạn", "Đèn chiếu sáng \"chập chờn\" ban đêm"],
    "trees": ["Cây xanh nghiêng, có nguy cơ đổ khi mưa bão", "Cành cây gãy rơi xuống đường"],
    "security": ["Nhóm thanh niên tụ tập gây ồn ào lúc khuya", "Nghi có trộm cắp xe máy"],
    "electricity": ["Dây điện võng thấp, nguy hiểm", "Mất điện kéo dài không báo trước"],
    "water": ["Vỡ ống nước, nước chảy lênh láng", "Ngập úng sau mưa lớn, cống thoát nước bị tắc"],
    "other": ["Đề nghị bố trí thêm thùng rác công cộng", "Tiếng ồn karaoke sau 22h"],
}
_STREETS = ["Lê Lợi", "Hùng Vương", "Trần Hưng Đạo", "Nguyễn Huệ", "Lý Thường Kiệt", "Điện Biên Phủ", "Bà Triệu",
            "Nguyễn Sinh Cung", "Phạm Văn Đồng", "Tố Hữu", "Quốc lộ 1A", "Quốc lộ 49", "Tỉnh lộ 10"]
_HOUR_WEIGHTS = np.array([1, 0.5, 0.3, 0.3, 0.5, 1.5, 3, 5, 7, 7, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5, 4.5, 4, 3, 2, 1.5])


def _season(day: date) -> float:
    factor = 1.0
    if day.month in (10, 11):
        factor *= 1.3  # flood season in Huế: more drainage, tree and road reports
    return factor


def _day_rate(day: date, calendar: WorkCalendar, yearly: float) -> float:
    """Reports expected on local ``day`` in a province receiving ``yearly`` a year: fewer at
    weekends (× 0.65) and on holidays (× 0.5), more on working days (× 1.14), × 1.3 in the
    October–November flood season."""
    base = yearly / 365.0
    if day.weekday() >= 5:
        base *= 0.65
    elif day in calendar.holidays:
        base *= 0.5
    else:
        base *= 1.14
    return base * _season(day)


@lru_cache(maxsize=128)
def _plan_day(seed: int, day: date, rate: float, prefix: str, calendar: WorkCalendar, tz_name: str) -> pd.DataFrame:
    """Every report received on local ``day``, with its whole simulated life (UTC, naive)."""
    rng = np.random.default_rng([seed, day.toordinal(), len(prefix)])
    n = int(rng.poisson(rate))
    if n == 0:
        return pd.DataFrame()
    hours = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    local = (pd.Timestamp(day) + pd.to_timedelta(hours, unit="h")
             + pd.to_timedelta(rng.integers(0, 3600, size=n), unit="s")).sort_values()
    received = local.tz_localize(tz_name).tz_convert("UTC").tz_localize(None)
    districts = rng.choice(list(DISTRICT_WEIGHTS), size=n, p=_norm(DISTRICT_WEIGHTS))
    categories = rng.choice(list(CATEGORY_WEIGHTS), size=n, p=_norm(CATEGORY_WEIGHTS))
    channels = rng.choice(list(CHANNEL_WEIGHTS), size=n, p=_norm(CHANNEL_WEIGHTS))
    centre = np.array([_CENTROIDS[d] for d in districts])
    spread = np.array([DISTRICT_SPREAD.get(d, 0.045) for d in districts])
    lat = np.clip(centre[:, 0] + rng.normal(0, 1, n) * spread, PROVINCE_BBOX[1], PROVINCE_BBOX[3])
    lon = np.clip(centre[:, 1] + rng.normal(0, 1, n) * spread, PROVINCE_BBOX[0], PROVINCE_BBOX[2])
    lat, lon = np.round(lat, 5), np.round(lon, 5)
    unit_codes, unit_names, authority = place_on_day(day, lat, lon)
    due_local = calendar.add_working_days_array(local.to_numpy(), DEFAULT_DUE_WORKING_DAYS)
    due = pd.DatetimeIndex(due_local).tz_localize(tz_name).tz_convert("UTC").tz_localize(None)
    def h(values, unit):  # noqa: ANN001, ANN202 - whole seconds keep stored times tidy
        return pd.to_timedelta(np.round(np.asarray(values) * 3600), unit="s")
    verified = received + h(rng.uniform(0.1, 4, n), unit="h")
    assigned = verified + h(rng.uniform(0.2, 8, n), unit="h")
    started = assigned + h(rng.uniform(0.5, 24, n), unit="h")
    resolution = np.minimum(rng.lognormal(np.log(RESOLUTION_MEDIAN_H), RESOLUTION_SIGMA, n), MAX_LIFE_DAYS * 24 - 48)
    closed = received + h(np.maximum(resolution, (started - received).total_seconds() / 3600 + 0.5), unit="h")
    stuck = rng.random(n) < STUCK_SHARE
    rejected = rng.random(n) < REJECTED_SHARE
    late = closed > due
    p_on, p_late = np.array(RATING_P_ON_TIME), np.array(RATING_P_LATE)
    pick = rng.random(n)
    rating_on = np.where(pick < p_on[0], "satisfied", np.where(pick < p_on[0] + p_on[1], "acceptable", "dissatisfied"))
    rating_late = np.where(pick < p_late[0], "satisfied",
                           np.where(pick < p_late[0] + p_late[1], "acceptable", "dissatisfied"))
    rating = np.where(late, rating_late, rating_on)
    rated = rng.random(n) < RATED_SHARE
    rated_at = closed + h(rng.uniform(1, 72, n), unit="h")
    texts = [(_TEXTS[c][int(k) % len(_TEXTS[c])]) for c, k in zip(categories, rng.integers(0, 100, n), strict=True)]
    streets = rng.choice(_STREETS, size=n)
    numbers = rng.integers(1, 300, size=n)
    return pd.DataFrame({
        "external_id": [f"{prefix}-{day:%Y%m%d}-{i:05d}" for i in range(n)],
        "category_code": categories,
        "category_name": [CATEGORIES[c][0] for c in categories],
        "description": texts,
        "address": [f"{num} {s}, {u}" for num, s, u in zip(numbers, streets, unit_names, strict=True)],
        "unit_code": unit_codes,
        "lat": lat,
        "lon": lon,
        "channel": channels,
        "handling_unit": [_AGENCY[c].format(d=a) for c, a in zip(categories, authority, strict=True)],
        "received_at": received.to_numpy(),
        "due_at": due.to_numpy(),
        "verified_at": verified.to_numpy(),
        "assigned_at": assigned.to_numpy(),
        "started_at": started.to_numpy(),
        "closed_at": pd.Series(closed).where(~stuck).to_numpy(),
        "closed_status": np.where(rejected, "rejected", "resolved"),
        "rating_value": rating,
        "rated_at": pd.Series(rated_at).where(rated & ~stuck).to_numpy(),
    })


def _norm(weights: dict[str, float]) -> np.ndarray:
    p = np.array(list(weights.values()), dtype=float)
    return p / p.sum()


def state_at(plan: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Each planned report as it stands at ``now`` (naive UTC), in the store's columns."""
    plan = plan[plan["received_at"] <= now]
    if plan.empty:
        return plan
    now64 = np.datetime64(now)
    steps = [("received", "received_at"), ("verified", "verified_at"), ("assigned", "assigned_at"),
             ("in_progress", "started_at")]
    status = np.full(len(plan), "received", dtype=object)
    updated = plan["received_at"].to_numpy().copy()
    for name, col in steps[1:]:
        reached = plan[col].to_numpy() <= now64
        status[reached] = name
        updated[reached] = plan[col].to_numpy()[reached]
    closed_at = plan["closed_at"].to_numpy()
    closed = ~pd.isna(closed_at) & (closed_at <= now64)
    status[closed] = plan["closed_status"].to_numpy()[closed]
    updated[closed] = closed_at[closed]
    rated_at = plan["rated_at"].to_numpy()
    rated = closed & ~pd.isna(rated_at) & (rated_at <= now64)
    updated[rated] = rated_at[rated]
    return pd.DataFrame({
        **{c: plan[c].to_numpy() for c in ("external_id", "category_code", "category_name", "description", "address",
                                            "unit_code", "lat", "lon", "channel", "handling_unit", "received_at",
                                            "due_at")},
        "status": status,
        "resolved_at": np.where(closed, closed_at, np.datetime64("NaT")),
        "rating": np.where(rated, plan["rating_value"].to_numpy(), None),
        "updated_at": updated,
    })


TRANSITIONS = ("received_at", "verified_at", "assigned_at", "started_at", "closed_at", "rated_at")


def changed_between(plan: pd.DataFrame, since: datetime, now: datetime) -> pd.DataFrame:
    """Reports with any transition in (since, now], as they stand at ``now``."""
    return simulation.changed_between(plan, TRANSITIONS, since, now, state_at)


def history(seed: int, start: date, end: date, now: datetime, calendar: WorkCalendar, tz_name: str,
            yearly: float = YEARLY_REPORTS, prefix: str = "SIM") -> pd.DataFrame:
    """Simulated reports received on local days [start, end), as they stand at ``now`` (UTC)."""
    plans = (_plan_day(seed, day, _day_rate(day, calendar, yearly), prefix, calendar, tz_name)
             for day in local_days(start, end))
    return concat_nonempty(state_at(plan, now) for plan in plans if not plan.empty)


def live_day_rate(day: date, calendar: WorkCalendar, speed: float = 1.0,
                  reports_per_minute: float | None = None) -> float:
    """Reports the live feed is expected to receive on local ``day``: a day of the history's
    (:data:`YEARLY_REPORTS` a year, shaped by :func:`_day_rate`) times ``speed`` (the
    simulators' speed-up, ≥ 1); or, when a sources file gives ``reports_per_minute``, that
    fixed rate × 1,440 minutes (the speed does not apply to an explicit rate)."""
    if reports_per_minute is not None:
        return float(reports_per_minute) * 1440
    return _day_rate(day, calendar, YEARLY_REPORTS) * speed


class FeedbackSimulator(Collector):
    """Live simulated feed at the city's pace (:func:`live_day_rate`). Options: ``seed``
    (default 2023), ``reports_per_minute`` (a fixed live rate instead of the city's pace, e.g.
    for a load test); the pace is multiplied by ``IOC_SIMULATOR_SPEED`` / ``--speed``."""

    type = "simulator"
    family = "feedback"
    simulated = True

    def backfill(self, days: int, seed: int) -> Iterator[Batch]:
        now = utcnow()
        today = local_date(now, self.ctx.tz)
        frame = history(seed, today - timedelta(days=days), today + timedelta(days=1), now, self.ctx.calendar,
                        str(self.ctx.tz))
        yield Batch(records=frame, fetched=len(frame))

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        seed = int(self.spec.option("seed", 2023))
        fixed = self.spec.option("reports_per_minute")
        speed, calendar, tz = self.ctx.simulator_speed, self.ctx.calendar, self.ctx.tz

        def plan_day(day: date) -> pd.DataFrame:
            rate = live_day_rate(day, calendar, speed, None if fixed is None else float(fixed))
            return _plan_day(seed, day, rate, "LIVE", calendar, str(tz))

        yield live_batch(self.spec, tz, watermark, MAX_LIFE_DAYS, "received_at", plan_day, changed_between)
