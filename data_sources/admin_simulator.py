"""Simulated one-stop dossiers (hồ sơ TTHC) — SIMULATED DATA ONLY.

Fiction calibrated on the published figures (domain.md §1, §6): about a million dossiers a
year province-wide, fewest at the provincial centre and most at the 141 commune units; on-time
rates near 98 % (province), 95 % (district) and 96 % (commune); the share filed online rising
toward the 70 % target; fewer dossiers on weekends, holidays and around Tết (the holiday table
says when Tết is), a rush just before it; supplement requests (≈ 5–12 %) that stop the clock
for days, sometimes across Tết. The UI labels the data "simulated" whenever a simulator runs.

Dossiers are planned *per local day* with a generator seeded by (seed, day), each with its
whole life (received → in progress → maybe waiting for a supplement → resolved → result
returned, or refused / withdrawn / stopped); what is emitted is its state as of *now*. The
backfill writes history as it stands now; the live source re-emits every dossier with a
transition since its last run, so new dossiers arrive and open ones close as time passes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from data_sources import simulation
from data_sources.simulation import concat_nonempty, local_date, local_days, run_now
from data_sources.simulator import DISTRICT_WEIGHTS
from ioc.domain.admin_catalogue import SEED_PROCEDURES
from ioc.domain.admin_clock import DAY_US, HOUR_US, WorkClock
from ioc.domain.admin_units import PROVINCIAL_CENTRE_CODE, levels_on, one_stop_units
from ioc.domain.calendar import WorkCalendar
from ioc.domain.local_time import to_utc, utcnow
from ioc.domain.units import UnitMap
from ioc.sources import Batch, Collector

YEARLY_DOSSIERS = 1_000_000
LEVEL_SHARE = {"province": 0.15, "district": 0.30, "commune": 0.55}
LATE_P = {"province": 0.019, "district": 0.048, "commune": 0.039}  # → on time ≈ 98 / 95 / 96 %
SUPPLEMENT_P = {"province": 0.12, "district": 0.10, "commune": 0.05}
EXIT_P = (("refused", 0.008), ("withdrawn", 0.010), ("stopped", 0.003))
STUCK_P = 0.002  # never resolved: stays open, and overdue
RETURN_P = 0.93
RATED_P = 0.45
RATING_ON_TIME = (0.86, 0.115, 0.025)  # satisfied, acceptable, dissatisfied
RATING_LATE = (0.45, 0.25, 0.30)
MAX_LIFE_DAYS = 100
WORKING_DAY_FACTOR, CLOSED_DAY_FACTOR = 1.39, 0.15  # a year's factors sum to ≈ 365
POST_SHARE = 0.04
ONLINE_START = date(2022, 1, 1)
# Relative weights of procedures inside their level (how often each is asked for).
PROCEDURE_WEIGHTS = {
    "X.HT.01": 14, "X.HT.02": 5, "X.HT.03": 4, "X.HT.04": 10, "X.HT.05": 7, "X.HT.06": 2, "X.CT.01": 30,
    "X.CT.02": 8, "X.CT.03": 6, "X.LD.01": 3, "X.LD.02": 2, "X.DD.01": 1,
    "H.KD.01": 10, "H.KD.02": 6, "H.XD.01": 8, "H.DD.01": 22, "H.DD.02": 8, "H.DD.03": 5, "H.HT.01": 1,
    "H.CT.01": 14, "H.LD.01": 4, "H.GD.01": 6, "H.CN.01": 3, "H.CN.02": 3, "H.TN.01": 2,
    "T.DT.01": 8, "T.DT.02": 10, "T.DT.03": 1, "T.XD.01": 3, "T.XD.02": 2, "T.GT.01": 25, "T.GT.02": 6,
    "T.TP.01": 18, "T.TN.01": 6, "T.TN.02": 1, "T.YT.01": 3, "T.YT.02": 4, "T.LD.01": 2, "T.GD.01": 5,
    "T.VH.01": 2, "T.CN.01": 1, "T.NN.01": 2, "T.TT.01": 1,
}  # fmt: skip
_OFFICE_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 3, 9, 10, 9, 6, 1, 2, 8, 9, 7, 2, 0, 0, 0, 0, 0, 0], dtype=float)
_ONLINE_HOURS = np.array([1, .5, .3, .3, .4, .8, 2, 4, 6, 7, 7, 6, 4, 4, 6, 6, 6, 5, 5, 6, 6, 5, 3, 2], dtype=float)


@lru_cache(maxsize=8)
def _units_by_level(epoch: int, day: date) -> dict[str, tuple[list[str], np.ndarray]]:
    """The one-stop units in force on ``day`` (one answer per stretch between map changes) and
    their weights: a district's weight (domain.md §2's activity shares) spread over its
    communes; from 1 July 2025 each commune weighs what its territory weighed on 30 June."""
    del epoch  # the cache key
    units = UnitMap.default()
    in_force = one_stop_units(units, day)
    eve = units.eve
    old_share = {}
    for c in (u for u in units.on(eve) if u.level == "commune"):
        district = units.district_of(c, eve)
        old_share[c.code] = DISTRICT_WEIGHTS.get(district, 0.05) / max(
            1, sum(1 for x in units.on(eve) if x.level == "commune" and units.district_of(x, eve) == district))
    out: dict[str, tuple[list[str], np.ndarray]] = {"province": ([PROVINCIAL_CENTRE_CODE], np.array([1.0]))}
    districts = [u for u in in_force if u.level == "district"]
    if districts:
        out["district"] = ([u.code for u in districts], np.array([DISTRICT_WEIGHTS.get(u.code, 0.05) for u in districts]))
    communes = [u for u in in_force if u.level == "commune"]
    if day >= units.changeover:
        weight = {c.code: 0.0 for c in communes}
        for old, new, default in units.conversion:
            if default and new in weight:
                weight[new] += old_share.get(old, 0.0)
        out["commune"] = ([c.code for c in communes], np.array([max(weight[c.code], 1e-3) for c in communes]))
    else:
        out["commune"] = ([c.code for c in communes],
                          np.array([DISTRICT_WEIGHTS.get(units.district_of(c, day), 0.05) for c in communes]))
    return out


def _level_share(day: date) -> dict[str, float]:
    """The share of dossiers per one-stop level on ``day``: from 1 July 2025 the district level's
    procedures go to the commune centres."""
    if "district" in levels_on(day):
        return LEVEL_SHARE
    return {"province": LEVEL_SHARE["province"], "commune": LEVEL_SHARE["commune"] + LEVEL_SHARE["district"]}


_PROCS = {lv: [p for p in SEED_PROCEDURES if p.level == lv] for lv in LEVEL_SHARE}


def online_share(day: date) -> float:
    """Share of dossiers filed online on ``day``: ≈ 47 % in 2023, 65 % in 2025, → 72 %."""
    months = (day.year - ONLINE_START.year) * 12 + day.month - ONLINE_START.month
    return 0.72 - 0.45 * float(np.exp(-max(months, 0) / 20))


def _adoption(day: date) -> float:
    """0 → 1 over 2022–2027: digitisation and online payment catch on."""
    months = (day.year - ONLINE_START.year) * 12 + day.month - ONLINE_START.month
    return min(1.0, max(0.0, months / 60))


def day_rate(day: date, calendar: WorkCalendar, yearly: float = YEARLY_DOSSIERS) -> float:
    """Expected dossiers received on local ``day``: weekdays carry the load, weekends and holidays
    only online filings; fewer in the ten days after Tết, a rush in the week before it."""
    working = calendar.is_working_day(day)
    rate = yearly / 365 * (WORKING_DAY_FACTOR if working else CLOSED_DAY_FACTOR)
    long_break = [day + timedelta(days=k) for k in range(1, 8)]
    if working and sum(d in calendar.holidays for d in long_break) >= 3:
        rate *= 1.2  # before Tết
    if working and sum((day - timedelta(days=k)) in calendar.holidays for k in range(1, 11)) >= 3:
        rate *= 0.7  # after Tết
    return rate * (1.08 if day.month == 12 else 1.0)


def _choice(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(weights), size=n, p=weights / weights.sum())


@lru_cache(maxsize=160)
def plan_day(seed: int, day: date, calendar: WorkCalendar, tz_name: str,
             yearly: float = YEARLY_DOSSIERS) -> pd.DataFrame:
    """Every dossier received on local ``day`` with its whole simulated life (naive UTC)."""
    rng = np.random.default_rng([seed, day.toordinal(), 766])
    n = int(rng.poisson(day_rate(day, calendar, yearly)))
    if n == 0:
        return pd.DataFrame()
    from zoneinfo import ZoneInfo

    tz, clock, working = ZoneInfo(tz_name), WorkClock.of(calendar), calendar.is_working_day(day)
    share_by_level = _level_share(day)
    levels = np.array(list(share_by_level))[_choice(rng, np.array(list(share_by_level.values())), n)]
    by_level = _units_by_level(UnitMap.default().epoch(day), day)
    unit, proc = np.empty(n, dtype=object), np.empty(n, dtype=object)
    channel = np.full(n, "in_person", dtype=object)
    share = online_share(day)
    for lv in share_by_level:
        rows = np.flatnonzero(levels == lv)
        codes, weights = by_level[lv]
        unit[rows] = np.array(codes, dtype=object)[_choice(rng, weights, len(rows))]
        catalogue = _PROCS[lv] + (_PROCS["district"] if lv == "commune" and "district" not in share_by_level else [])
        procs = [p for p in catalogue if working or p.online_mode != "none"]
        w = np.array([PROCEDURE_WEIGHTS[p.code] for p in procs], dtype=float)
        picked = _choice(rng, w, len(rows))
        proc[rows] = np.array([p.code for p in procs], dtype=object)[picked]
        capable = np.array([p.online_mode != "none" for p in procs])
        p_online = 1.0 if not working else min(0.97, share / float((w * capable).sum() / w.sum()))
        online = capable[picked] & (rng.random(len(rows)) < p_online)
        channel[rows[online]] = "online"
        post = ~online & (rng.random(len(rows)) < POST_SHARE)
        channel[rows[post]] = "post"
    by_code = {p.code: p for p in SEED_PROCEDURES}
    days = np.array([by_code[c].working_days for c in proc])
    offline = channel != "online"
    hours = np.where(offline, _choice(rng, _OFFICE_HOURS, n), _choice(rng, _ONLINE_HOURS, n))
    received_local = (np.datetime64(day, "us") + (hours * 3600 + rng.integers(0, 3600, n)) * 1_000_000).astype(
        "datetime64[us]")
    order = np.argsort(received_local, kind="stable")
    levels, unit, proc, channel, days, received_local = (a[order] for a in (levels, unit, proc, channel, days,
                                                                          received_local))
    due_local = clock.add_working_days(received_local, days)
    w_rec = clock.clock(received_local)
    budget = clock.clock(due_local) - w_rec
    late = rng.random(n) < np.vectorize(LATE_P.get)(levels)
    spent = np.where(late, budget + (DAY_US * rng.lognormal(np.log(1.5), 0.8, n)).astype("int64"),
                     (budget * (0.05 + 0.95 * rng.beta(2.0, 2.0, n))).astype("int64"))
    spent = np.maximum(spent, HOUR_US // 2)
    paused = rng.random(n) < np.vectorize(SUPPLEMENT_P.get)(levels)
    pause_at = (budget * rng.uniform(0.1, 0.5, n)).astype("int64") // 1_000_000 * 1_000_000  # whole seconds
    paused &= pause_at < spent
    pause_start = clock.instant(w_rec + pause_at)
    pause_len = np.minimum(rng.lognormal(np.log(5), 0.8, n), 45) * DAY_US
    pause_end = pause_start + (pause_len.astype("int64") // 1_000_000 * 1_000_000).astype("timedelta64[us]")
    done_local = np.where(paused, clock.instant(clock.clock(pause_end) + spent - pause_at),
                          clock.instant(w_rec + spent))
    done_local = _office_time(rng, done_local, np.where(paused, pause_end, received_local))
    exit_pick = rng.random(n)
    exit_status = np.full(n, "", dtype=object)
    edge = 0.0
    for status, p in EXIT_P:
        exit_status[(exit_pick >= edge) & (exit_pick < edge + p)] = status
        edge += p
    stuck = (exit_status == "") & (rng.random(n) < STUCK_P)
    exited = exit_status != ""
    exit_at = clock.instant(w_rec + (budget * rng.uniform(0.1, 0.8, n)).astype("int64") // 1_000_000 * 1_000_000
                            + HOUR_US)
    rating_p = np.where(late[:, None], np.array(RATING_LATE)[None, :], np.array(RATING_ON_TIME)[None, :])
    pick = rng.random(n)
    rating = np.where(pick < rating_p[:, 0], "satisfied",
                      np.where(pick < rating_p[:, 0] + rating_p[:, 1], "acceptable", "dissatisfied"))
    adoption = _adoption(day)
    fee = np.array([by_code[c].has_fee for c in proc])
    pay_p = np.where(channel == "online", 0.35 + 0.5 * adoption, 0.05 + 0.2 * adoption)

    def utc(local: np.ndarray) -> np.ndarray:
        return to_utc(local, tz)

    resolved_ok = ~exited & ~stuck
    done = utc(done_local)
    return pd.DataFrame({
        "external_id": [f"HS-{seed}-{day:%Y%m%d}-{i:05d}" for i in range(n)],
        "procedure_code": proc, "level": levels, "unit_code": unit, "channel": channel,
        "received_at": utc(received_local), "due_at": utc(due_local),
        "started_at": utc(received_local + (rng.integers(360, 14_400, n) * 1_000_000).astype("timedelta64[us]")),
        "pause_start": np.where(paused & ~exited, utc(pause_start), np.datetime64("NaT")),
        "pause_end": np.where(paused & ~exited, utc(pause_end), np.datetime64("NaT")),
        "done_at": np.where(resolved_ok, done, np.datetime64("NaT")),
        "returned_at": np.where(resolved_ok & (rng.random(n) < RETURN_P),
                                done + (rng.integers(1_800, 259_200, n) * 1_000_000).astype("timedelta64[us]"),
                                np.datetime64("NaT")),
        "exit_at": np.where(exited, utc(exit_at), np.datetime64("NaT")),
        "exit_status": exit_status,
        "rated_at": np.where(resolved_ok & (rng.random(n) < RATED_P),
                             done + (rng.integers(3_600, 172_800, n) * 1_000_000).astype("timedelta64[us]"),
                             np.datetime64("NaT")),
        "rating_value": rating,
        "fee_required": fee,
        "paid_online": fee & (rng.random(n) < pay_p),
        "digitised": rng.random(n) < 0.30 + 0.6 * adoption,
    })


def _office_time(rng: np.random.Generator, local: np.ndarray, not_before: np.ndarray) -> np.ndarray:
    """Resolutions happen in office hours: one after 17:30 moves back to 16:00–17:30 the same
    day, one before 07:30 back to 16:00–17:30 the day before. Only ever earlier (so a planned
    on-time dossier stays on time), and never before ``not_before`` + 10 minutes."""
    day = local.astype("datetime64[D]").astype("datetime64[us]")
    minutes = (local - day).astype("int64") // 60_000_000
    evening = ((960 + rng.integers(0, 90, len(local))) * 60_000_000).astype("timedelta64[us]")
    moved = np.where(minutes > 1050, day + evening,
                     np.where(minutes < 450, day - np.timedelta64(1, "D") + evening, local))
    moved = np.where(moved < not_before + np.timedelta64(10, "m"), local, moved)
    return moved.astype("datetime64[s]").astype("datetime64[us]")  # whole seconds


def state_at(plan: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Each planned dossier as it stands at ``now`` (naive UTC), in the store's columns."""
    plan = plan[plan["received_at"] <= np.datetime64(now)]
    if plan.empty:
        return pd.DataFrame()
    t = np.datetime64(now, "us")

    def reached(col: str) -> np.ndarray:
        values = plan[col].to_numpy()
        return ~np.isnat(values) & (values <= t)

    status = np.where(reached("started_at"), "in_progress", "new").astype(object)
    for col, value in (("pause_start", "supplement_requested"), ("pause_end", "in_progress"),
                       ("done_at", "resolved"), ("returned_at", "returned")):
        status[reached(col)] = value
    hit = reached("exit_at")
    status[hit] = plan["exit_status"].to_numpy()[hit]
    rated = reached("rated_at")
    # the version is the latest transition reached (NaT is the smallest int64: max skips it)
    stamps = np.stack([np.where(reached(c), plan[c].to_numpy(), np.datetime64("NaT")).astype("datetime64[us]")
                       .view("int64") for c in TRANSITIONS])
    updated = stamps.max(axis=0).view("datetime64[us]")
    pauses = np.full(len(plan), None, dtype=object)
    started = np.flatnonzero(reached("pause_start"))
    ended = reached("pause_end")
    s = np.datetime_as_string(plan["pause_start"].to_numpy()[started], unit="s")
    e = np.datetime_as_string(plan["pause_end"].to_numpy()[started], unit="s")
    for k, i in enumerate(started):
        pauses[i] = json.dumps([[s[k], e[k] if ended[i] else None]])
    done = reached("done_at")
    return pd.DataFrame({
        **{c: plan[c].to_numpy() for c in ("external_id", "procedure_code", "level", "unit_code", "channel",
                                            "received_at", "due_at", "fee_required", "paid_online", "digitised")},
        "status": status,
        "pauses": pauses,
        "resolved_at": np.where(done, plan["done_at"].to_numpy(), np.datetime64("NaT")),
        "returned_at": np.where(reached("returned_at"), plan["returned_at"].to_numpy(), np.datetime64("NaT")),
        "rating": np.where(rated, plan["rating_value"].to_numpy(), None),
        "updated_at": updated,
    })


TRANSITIONS = ("received_at", "started_at", "pause_start", "pause_end", "done_at", "returned_at", "exit_at",
               "rated_at")


def changed_between(plan: pd.DataFrame, since: datetime, now: datetime) -> pd.DataFrame:
    """Dossiers with any transition in (since, now], as they stand at ``now``."""
    return simulation.changed_between(plan, TRANSITIONS, since, now, state_at)


def history(seed: int, start: date, end: date, now: datetime, calendar: WorkCalendar, tz_name: str,
            yearly: float = YEARLY_DOSSIERS) -> Iterator[pd.DataFrame]:
    """Simulated dossiers received on local days [start, end) as they stand at ``now`` (UTC),
    one frame per calendar month (history is not cached: a year is a million dossiers)."""
    frames: list[pd.DataFrame] = []
    day = start
    while day < end:
        plan = plan_day.__wrapped__(seed, day, calendar, tz_name, yearly)
        if not plan.empty:
            frames.append(state_at(plan, now))
        day += timedelta(days=1)
        if frames and (day.day == 1 or day >= end):
            frames = [f for f in frames if not f.empty]
            if frames:
                yield pd.concat(frames, ignore_index=True)
            frames = []


class AdminSimulator(Collector):
    """Simulated one-stop dossiers. Options: ``seed`` (default 2023; the backfill uses
    ``IOC_SIMULATOR_SEED``), ``dossiers_per_year`` (default 1,000,000, province-wide).

    The live feed plays the history's own plan on: the same dossiers, new ones arriving and
    open ones moving at the city's pace (≈ 3,800 a working day, a few a minute in office hours).
    ``IOC_SIMULATOR_SPEED`` does not apply: the feed already moves every minute, and × 60 would
    plan ≈ 230,000 dossiers a day (≈ 4 s and 120 MB a day's plan) and follow each for 100 days."""

    type = "simulator"
    family = "admin"
    simulated = True

    def _yearly(self) -> float:
        return float(self.spec.option("dossiers_per_year", YEARLY_DOSSIERS))

    def backfill(self, days: int, seed: int) -> Iterator[Batch]:
        now = utcnow()
        today = local_date(now, self.ctx.tz)
        for frame in history(seed, today - timedelta(days=days), today + timedelta(days=1), now,
                             self.ctx.calendar, str(self.ctx.tz), self._yearly()):
            yield Batch(records=frame, fetched=len(frame))

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        now = run_now(self.spec)
        seed = int(self.spec.option("seed", 2023))
        state = json.loads(watermark) if watermark else {}
        # First run: a day back, so nothing between a backfill and the first run is missed
        # (re-sending an unchanged dossier changes nothing).
        since = datetime.fromisoformat(state["until"]) if "until" in state else now - timedelta(days=1)
        since = max(since, now - timedelta(days=MAX_LIFE_DAYS))
        tz = self.ctx.tz
        days = local_days(local_date(now - timedelta(days=MAX_LIFE_DAYS), tz), local_date(now, tz) + timedelta(days=1))
        records = concat_nonempty(changed_between(plan_day(seed, day, self.ctx.calendar, str(tz), self._yearly()),
                                                  since, now) for day in days)
        yield Batch(records=records, fetched=len(records), watermark=json.dumps({"until": now.isoformat()}))
