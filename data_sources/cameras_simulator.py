"""Simulated urban cameras (family ``cameras``) for the embedded default. **Simulated**.

Fleet (:func:`fleet`, 236 cameras): the traffic simulator's 36 cameras
(:mod:`data_sources.traffic_sim_cameras`, purpose ``traffic``: the same codes, so the same
registry rows), 180 security cameras around 42 named public places of Huế and 20 flood cameras
at streets that flood most years (:mod:`data_sources.cameras_sim_places`). Huế reported more
than 650 AI cameras in 2025 (domain brief §1, ≈): the demo fleet is about a third of that, enough
to fill the map and the KPIs without a heavy first start. A place's cameras stand within about
50 m of its point (jitter drawn from the seed).

Pace (orders of magnitude, not published counts: there is no public outage log of Huế's
cameras). Times are UTC; "local" is ``IOC_TIMEZONE``.

- **Heartbeats** every :data:`BEAT_S` seconds (5 minutes, a common health-check interval of
  video-management systems), each camera at its own second of the 5 minutes.
- **Outages** (no heartbeat): each camera has :data:`OUTAGES_PER_BLOCK` outage per
  :data:`BLOCK_DAYS`-day block on average (Poisson), starting at any time; nine in ten are
  network or power blips lasting a log-normal time (median :data:`BLIP_MEDIAN_MIN` minutes,
  σ = :data:`BLIP_SIGMA`, kept within 16 minutes–12 hours, so every one is longer than the
  15-minute offline threshold), one in ten (:data:`HARDWARE_SHARE`) a hardware fault fixed in
  1–3 days (a technician's visit). An outage as the store records it (from the heartbeat before
  to the one after) has a median near 40 minutes; the fleet's uptime comes out near 99.2 %
  (about 5½ hours a month: 0.9 × 41 min + 0.1 × 48 h), above the 98 % service level of
  :data:`ioc.domain.cameras.UPTIME_TARGET_PCT`, with the cameras that had a fault below it.
- **Floods**: each flood, storm or heavy-rain warning of the simulated hydro-meteorological
  station (:func:`data_sources.flood_simulator.flood_episodes`, the same story as the flood and
  warnings pages; thunderstorms bring no flood wave there, nor power cuts here) cuts the power
  of one area (:data:`~data_sources.cameras_sim_places.AREAS`; a flood on the Bồ river: the
  north bank downstream, on the Hương river: a riverside area) 6–14 hours after the warning was
  sent, as the river rises to its peak: 30–70 % of the area's cameras go silent for 2–6 hours.
- **AI events**, planned per local day: *gathering* at markets, walking streets, squares and
  the beach, 18:30–23:00 local, on about one evening in twelve per camera (twice as often from
  Friday to Sunday); *illegal_parking* at the traffic and security cameras within
  :data:`CENTRE_KM` km of the commercial centre, 07:00–18:00 local, about one a day for every
  four cameras; *fire_smoke* about twice a month fleet-wide at any hour; *flooding* at the flood
  cameras during a flood warning (each camera with probability 0.3 / 0.6 / 0.9 for a Moderate /
  Severe / Extreme final severity, 1–3 detections 6–30 hours after the warning). A camera that is
  silent detects nothing. Reviews (:data:`REVIEW`): every fire or smoke alarm is checked within
  half an hour and a third are false alarms; some of the others are reviewed within hours.

Everything is drawn from the seed and the time alone: outages per :data:`BLOCK_DAYS`-day block
since :data:`EPOCH`, power cuts and flooding per warning, events per local day. So any range of
time gives the same heartbeats, outages and events (a live run repeats what a backfill wrote);
history is kept to :data:`HISTORY_DAYS` days on a first start (≈ 2M heartbeats, a few seconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from data_sources.cameras_sim_places import (
    AREA_RADIUS_KM,
    AREAS,
    FLOOD_SPOTS,
    GATHERING_PLACES,
    PLACES,
    RIVER_AREAS,
)
from data_sources.flood_simulator import flood_episodes
from data_sources.simulation import local_date, local_days, run_now
from data_sources.traffic_sim_cameras import CAMERAS as TRAFFIC_CAMERAS
from ioc.domain.cameras import Camera, CameraEvent
from ioc.sources import Batch, Collector
from ioc.store.cameras import HEARTBEAT_COLUMNS, CameraRecords

EPOCH = datetime(2000, 1, 1)  # naive UTC: heartbeat slots and outage blocks count from here
HISTORY_DAYS = 30
BACKFILL_BATCH = timedelta(days=2)
LIVE_MINUTES = 30  # a live run sends the last half hour again (the store finds it unchanged)
BEAT_S = 300
HOUR = 3600
DAY = 86_400
# outages
BLOCK_DAYS = 30
OUTAGES_PER_BLOCK = 1.0
BLIP_MEDIAN_MIN, BLIP_SIGMA, BLIP_RANGE_MIN = 32.0, 0.7, (16.0, 720.0)
HARDWARE_SHARE, HARDWARE_DAYS = 0.1, (1.0, 3.0)
LONGEST_S = int(HARDWARE_DAYS[1] * DAY)
# floods
POWER_CUT_SHARE, POWER_CUT_H, POWER_CUT_AFTER_H = (0.3, 0.7), (2.0, 6.0), (6.0, 14.0)
FLOODING_P = {"Minor": 0.3, "Moderate": 0.3, "Severe": 0.6, "Extreme": 0.9}
FLOODING_AFTER_H = (6.0, 30.0)
# events
CENTRE, CENTRE_KM = (16.4670, 107.5880), 1.5  # the commercial centre around Trường Tiền bridge
GATHERING_PER_EVENING, GATHERING_HOURS = 0.08, (18.5, 23.0)
PARKING_PER_DAY, PARKING_HOURS = 0.25, (7.0, 18.0)
FIRE_PER_DAY = 2 / 30
#: kind → (share reviewed, share of the reviewed that are false alarms, review delay in minutes)
REVIEW = {"fire_smoke": (1.0, 1 / 3, (5.0, 30.0)), "flooding": (0.5, 0.1, (30.0, 180.0)),
          "gathering": (0.3, 0.3, (10.0, 240.0)), "illegal_parking": (0.2, 0.15, (10.0, 240.0))}
LONGEST_REVIEW_S = int(max(r[2][1] for r in REVIEW.values()) * 60)
EVENT_COLUMNS = ("external_id", "cam", "at_s", "kind", "confidence", "review", "reviewed_s")


@dataclass(frozen=True, eq=False)  # arrays: compared by identity
class Fleet:
    """The simulated cameras and, by position in :attr:`cameras`, what the simulation needs."""

    cameras: tuple[Camera, ...]
    category: np.ndarray  # "traffic", "flood" or the place's category
    area: np.ndarray  # power-cut area code, "" outside every area
    phase_s: np.ndarray  # second of the 5 minutes each camera beats at

    @property
    def codes(self) -> np.ndarray:
        return np.array([c.code for c in self.cameras], dtype=object)


def _km(lat: np.ndarray, lon: np.ndarray, at: tuple[float, float]) -> np.ndarray:
    """Distances (km, equirectangular: a city's scale) from ``at``."""
    dy = (lat - at[0]) * 111.32
    dx = (lon - at[1]) * 111.32 * np.cos(np.radians(at[0]))
    return np.hypot(dx, dy)


@lru_cache(maxsize=4)
def fleet(seed: int) -> Fleet:
    """The 236 cameras (see the module docstring): traffic, then security, then flood cameras."""
    rng = np.random.default_rng([seed, 5050])
    cameras = [Camera(c.code, c.name, c.lat, c.lon, "traffic", c.kind, c.road, c.unit_code) for c in TRAFFIC_CAMERAS]
    category = ["traffic"] * len(cameras)
    n = 0
    for place in PLACES:
        jitter = rng.normal(0.0, 0.0004, (place.cameras, 2))  # ≈ 45 m
        for j in range(place.cameras):
            n += 1
            cameras.append(Camera(f"SEC-{n:03d}", f"{place.name} ({j + 1})", round(place.lat + jitter[j, 0], 5),
                                  round(place.lon + jitter[j, 1], 5), "security"))
            category.append(place.category)
    for i, spot in enumerate(FLOOD_SPOTS, start=1):
        cameras.append(Camera(f"FLD-{i:02d}", spot.name, spot.lat, spot.lon, "flood"))
        category.append("flood")
    lat = np.array([c.lat for c in cameras])
    lon = np.array([c.lon for c in cameras])
    names = list(AREAS)
    km = np.stack([_km(lat, lon, AREAS[a]) for a in names])
    area = np.where(km.min(axis=0) <= AREA_RADIUS_KM, np.array(names, dtype=object)[km.argmin(axis=0)], "")
    return Fleet(tuple(cameras), np.array(category, dtype=object), area.astype(object),
                 rng.integers(0, BEAT_S, len(cameras)))


def _seconds(moment: datetime) -> int:
    """Whole seconds from :data:`EPOCH` to a naive UTC ``moment``."""
    return int((moment - EPOCH) // timedelta(seconds=1))


def _datetimes(seconds: np.ndarray) -> np.ndarray:
    return np.datetime64(EPOCH, "us") + np.asarray(seconds, dtype="int64").astype("timedelta64[s]")


def _utc_seconds(day: date, tz: ZoneInfo) -> int:
    """Seconds from :data:`EPOCH` to local midnight of ``day``."""
    return _seconds(datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).replace(tzinfo=None))


def _flood_warnings(seed: int, start_s: int, end_s: int, tz: ZoneInfo) -> list[tuple[int, str, str]]:
    """(sent in seconds, event code, final severity) of the flood-wave warnings sent in [start_s, end_s)."""
    first = local_date(EPOCH + timedelta(seconds=start_s), tz)
    last = local_date(EPOCH + timedelta(seconds=end_s), tz) + timedelta(days=1)
    out = []
    for sent, code, severity in flood_episodes(seed, first, last, tz):
        at = _seconds(sent)
        if code != "thunderstorm" and start_s <= at < end_s:
            out.append((at, code, severity))
    return out


# --- outages ---------------------------------------------------------------------------------


def _faults(seed: int, block: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(camera, start s, end s, hardware?) of the outages starting in :data:`BLOCK_DAYS`-day ``block``."""
    rng = np.random.default_rng([seed, 5151, block])
    cam = np.repeat(np.arange(n), rng.poisson(OUTAGES_PER_BLOCK, n))
    begin = block * BLOCK_DAYS * DAY + rng.integers(0, BLOCK_DAYS * DAY, len(cam))
    hardware = rng.random(len(cam)) < HARDWARE_SHARE
    blip = np.clip(rng.lognormal(np.log(BLIP_MEDIAN_MIN), BLIP_SIGMA, len(cam)), *BLIP_RANGE_MIN) * 60
    fault = rng.uniform(HARDWARE_DAYS[0] * DAY, HARDWARE_DAYS[1] * DAY, len(cam))
    return cam, begin, begin + np.where(hardware, fault, blip).astype("int64"), hardware


def _power_cuts(seed: int, sent_s: int, code: str, area: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(camera, start s, end s) of the power cut a flood warning sent at ``sent_s`` brings."""
    rng = np.random.default_rng([seed, 5252, sent_s // 60])
    areas = RIVER_AREAS.get(code, tuple(AREAS))
    where = areas[int(rng.integers(len(areas)))]
    members = np.flatnonzero(area == where)
    hit = members[rng.random(len(members)) < rng.uniform(*POWER_CUT_SHARE)]
    begin = sent_s + int(rng.uniform(*POWER_CUT_AFTER_H) * HOUR) + rng.integers(0, 600, len(hit))
    return hit, begin, begin + (rng.uniform(*POWER_CUT_H, len(hit)) * HOUR).astype("int64")


def _outage_table(seed: int, start_s: int, end_s: int, tz: ZoneInfo) -> pd.DataFrame:
    """Outages (camera index, start_s, end_s, cause) overlapping [start_s, end_s)."""
    flt = fleet(seed)
    n = len(flt.cameras)
    parts = []
    for block in range(max(0, (start_s - LONGEST_S) // (BLOCK_DAYS * DAY)), end_s // (BLOCK_DAYS * DAY) + 1):
        cam, begin, end, hardware = _faults(seed, block, n)
        parts.append(pd.DataFrame({"cam": cam, "start_s": begin, "end_s": end,
                                   "cause": np.where(hardware, "hardware", "blip")}))
    longest_cut = int((POWER_CUT_AFTER_H[1] + POWER_CUT_H[1]) * HOUR) + 600
    for sent, code, _severity in _flood_warnings(seed, start_s - longest_cut, end_s, tz):
        cam, begin, end = _power_cuts(seed, sent, code, flt.area)
        parts.append(pd.DataFrame({"cam": cam, "start_s": begin, "end_s": end, "cause": "power_cut"}))
    table = pd.concat(parts, ignore_index=True)
    table = table[(table["start_s"] < end_s) & (table["end_s"] > start_s)]
    return table.astype({"cam": "int64", "start_s": "int64", "end_s": "int64"}).reset_index(drop=True)


def outages(seed: int, start: datetime, end: datetime, tz: ZoneInfo) -> pd.DataFrame:
    """The simulated outages (no heartbeat in [started_at, ended_at), naive UTC) overlapping
    [start, end): camera_code, started_at, ended_at, cause (blip | hardware | power_cut)."""
    table = _outage_table(seed, _seconds(start), _seconds(end), tz)
    return pd.DataFrame({"camera_code": fleet(seed).codes[table["cam"].to_numpy()],
                         "started_at": _datetimes(table["start_s"].to_numpy()),
                         "ended_at": _datetimes(table["end_s"].to_numpy()), "cause": table["cause"].to_numpy()})


def _offline(table: pd.DataFrame, cam: np.ndarray, at_s: np.ndarray) -> np.ndarray:
    """Whether camera ``cam[i]`` is in one of ``table``'s outages at ``at_s[i]``."""
    pairs = pd.DataFrame({"i": np.arange(len(cam)), "cam": cam, "at_s": at_s}).merge(table, on="cam")
    inside = pairs["i"][(pairs["at_s"] >= pairs["start_s"]) & (pairs["at_s"] < pairs["end_s"])]
    return np.isin(np.arange(len(cam)), inside.to_numpy())


# --- heartbeats ------------------------------------------------------------------------------


def heartbeats(seed: int, start: datetime, end: datetime, tz: ZoneInfo) -> pd.DataFrame:
    """Every heartbeat in (start, end] (naive UTC), as a frame of camera_code, at."""
    start_s, end_s = _seconds(start), _seconds(end)
    if end_s <= start_s:
        return pd.DataFrame(columns=list(HEARTBEAT_COLUMNS))
    flt = fleet(seed)
    n = len(flt.cameras)
    k0 = (start_s - BEAT_S) // BEAT_S
    slots = end_s // BEAT_S + 1 - k0
    phase = flt.phase_s[:, None]
    times = (k0 + np.arange(slots, dtype="int64"))[None, :] * BEAT_S + phase
    # Each outage silences a run of slots [first, last): marked +1/−1 and summed along the row.
    table = _outage_table(seed, start_s, end_s + 1, tz)
    cam = table["cam"].to_numpy()
    first = np.clip(-((phase[cam, 0] - table["start_s"].to_numpy()) // BEAT_S) - k0, 0, slots)  # ceil division
    last = np.clip(-((phase[cam, 0] - table["end_s"].to_numpy()) // BEAT_S) - k0, 0, slots)
    marks = np.zeros((n, slots + 1), dtype="int32")
    np.add.at(marks, (cam, first), 1)
    np.add.at(marks, (cam, last), -1)
    alive = (np.cumsum(marks, axis=1)[:, :slots] == 0) & (times > start_s) & (times <= end_s)
    slot, who = np.nonzero(alive.T)  # slot by slot: roughly in time order
    return pd.DataFrame({"camera_code": flt.codes[who], "at": _datetimes(times[who, slot])})


# --- AI events -------------------------------------------------------------------------------


def _reviews(rng: np.random.Generator, kinds: np.ndarray, at_s: np.ndarray) -> dict[str, np.ndarray]:
    """Confidence, review and review time (s; −1: never) of events of ``kinds`` detected at ``at_s``."""
    n = len(kinds)
    share = np.array([REVIEW[k][0] for k in kinds], dtype=float)
    false_share = np.array([REVIEW[k][1] for k in kinds], dtype=float)
    lo, hi = (np.array([REVIEW[k][2][i] for k in kinds], dtype=float) for i in (0, 1))
    reviewed = rng.random(n) < share
    false = reviewed & (rng.random(n) < false_share)
    delay = (rng.uniform(0, 1, n) * (hi - lo) + lo) * 60
    confidence = np.where(false, rng.uniform(0.5, 0.8, n), rng.uniform(0.6, 0.98, n)).round(2)
    review = np.where(false, "false_alarm", np.where(reviewed, "confirmed", ""))
    return {"confidence": confidence, "review": review.astype(object),
            "reviewed_s": np.where(reviewed, at_s + delay.astype("int64"), -1)}


def _frame(ids: list[str], cam: np.ndarray, at_s: np.ndarray, kinds: np.ndarray,
           rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({"external_id": ids, "cam": cam, "at_s": at_s, "kind": kinds,
                         **_reviews(rng, kinds, at_s)}, columns=list(EVENT_COLUMNS))


@lru_cache(maxsize=64)
def _day_events(seed: int, day: date, tz: ZoneInfo) -> pd.DataFrame:
    """The gatherings, illegal parking and fires or smoke detected on local ``day`` (before outages)."""
    flt = fleet(seed)
    rng = np.random.default_rng([seed, 5353, day.toordinal()])
    midnight = _utc_seconds(day, tz)
    lat = np.array([c.lat for c in flt.cameras])
    lon = np.array([c.lon for c in flt.cameras])
    purpose = np.array([c.purpose for c in flt.cameras], dtype=object)
    parts = []
    evening = GATHERING_PER_EVENING * (2 if day.weekday() >= 4 else 1)  # Friday to Sunday
    for kind, eligible, rate, hours in (
            ("gathering", np.flatnonzero(np.isin(flt.category, list(GATHERING_PLACES))), evening, GATHERING_HOURS),
            ("illegal_parking", np.flatnonzero((purpose != "flood") & (_km(lat, lon, CENTRE) <= CENTRE_KM)),
             PARKING_PER_DAY, PARKING_HOURS)):
        cam = np.repeat(eligible, rng.poisson(rate, len(eligible)))
        parts.append((cam, midnight + (rng.uniform(*hours, len(cam)) * HOUR).astype("int64"), kind))
    fire = rng.choice(np.flatnonzero(purpose != "flood"), rng.poisson(FIRE_PER_DAY))
    parts.append((fire, midnight + rng.integers(0, DAY, len(fire)), "fire_smoke"))
    cam = np.concatenate([p[0] for p in parts]).astype("int64")
    at_s = np.concatenate([p[1] for p in parts]).astype("int64")
    kinds = np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in parts])
    order = np.argsort(at_s, kind="stable")
    cam, at_s, kinds = cam[order], at_s[order], kinds[order]
    return _frame([f"SIM-{day:%Y%m%d}-{i:03d}" for i in range(len(cam))], cam, at_s, kinds, rng)


def _flooding(seed: int, sent_s: int, code: str, severity: str) -> pd.DataFrame:
    """The flooding detections of the flood cameras during the warning sent at ``sent_s``."""
    flt = fleet(seed)
    rng = np.random.default_rng([seed, 5454, sent_s // 60])
    spots = np.flatnonzero(flt.category == "flood")
    if code in RIVER_AREAS:
        spots = spots[np.isin(flt.area[spots], list(RIVER_AREAS[code]))]
    detects = rng.random(len(spots)) < FLOODING_P[severity]
    cam = np.repeat(spots, np.where(detects, rng.integers(1, 4, len(spots)), 0))
    at_s = np.sort(sent_s + (rng.uniform(*FLOODING_AFTER_H, len(cam)) * HOUR).astype("int64"))
    sent = EPOCH + timedelta(seconds=sent_s)
    return _frame([f"SIM-{sent:%Y%m%d%H%M}-F{i:02d}" for i in range(len(cam))], cam, at_s,
                  np.full(len(cam), "flooding", dtype=object), rng)


def _event_table(seed: int, start_s: int, end_s: int, tz: ZoneInfo) -> pd.DataFrame:
    """Events detected in (start_s, end_s] by a camera that was not silent then."""
    first = local_date(EPOCH + timedelta(seconds=start_s), tz)
    last = local_date(EPOCH + timedelta(seconds=end_s), tz) + timedelta(days=1)
    parts = [_day_events(seed, day, tz) for day in local_days(first, last)]
    parts += [_flooding(seed, sent, code, severity) for sent, code, severity in
              _flood_warnings(seed, start_s - int(FLOODING_AFTER_H[1] * HOUR), end_s, tz)]
    table = pd.concat(parts, ignore_index=True)
    table = table[(table["at_s"] > start_s) & (table["at_s"] <= end_s)]
    silent = _offline(_outage_table(seed, start_s, end_s + 1, tz), table["cam"].to_numpy(), table["at_s"].to_numpy())
    return table[~silent].sort_values(["at_s", "external_id"]).reset_index(drop=True)


def _as_events(seed: int, table: pd.DataFrame, now_s: int) -> list[CameraEvent]:
    """``table``'s events as they stand at ``now_s``: a review made later is not known yet."""
    codes = fleet(seed).codes
    out = []
    for row in table.itertuples(index=False):
        known = 0 <= row.reviewed_s <= now_s
        detected = EPOCH + timedelta(seconds=int(row.at_s))
        out.append(CameraEvent(row.external_id, codes[row.cam], detected, row.kind, float(row.confidence),
                               row.review if known else "",
                               EPOCH + timedelta(seconds=int(row.reviewed_s)) if known else detected))
    return out


def events(seed: int, start: datetime, end: datetime, now: datetime, tz: ZoneInfo) -> list[CameraEvent]:
    """The AI events detected in (start, end] (naive UTC), as they stand at ``now``."""
    return _as_events(seed, _event_table(seed, _seconds(start), _seconds(end), tz), _seconds(now))


def events_changed(seed: int, since: datetime, now: datetime, tz: ZoneInfo) -> list[CameraEvent]:
    """The events detected or reviewed in (since, now], as they stand at ``now``."""
    since_s, now_s = _seconds(since), _seconds(now)
    table = _event_table(seed, since_s - LONGEST_REVIEW_S, now_s, tz)
    touched = (table["at_s"] > since_s) | ((table["reviewed_s"] > since_s) & (table["reviewed_s"] <= now_s))
    return _as_events(seed, table[touched], now_s)


class CamerasSimulator(Collector):
    """Simulated cameras (see the module docstring). Options: ``seed`` (default 2023), ``now``."""

    type = "simulator"
    history_days = HISTORY_DAYS
    family = "cameras"
    simulated = True

    def backfill(self, days: int, seed: int) -> Iterator[Batch]:
        now = run_now(self.spec)
        start = now - timedelta(days=min(days, HISTORY_DAYS))
        registry = list(fleet(seed).cameras)
        while start < now:  # two days per batch: one short write transaction each
            stop = min(start + BACKFILL_BATCH, now)
            records = CameraRecords(registry, heartbeats(seed, start, stop, self.ctx.tz),
                                    events(seed, start, stop, now, self.ctx.tz))
            yield Batch(records=records, fetched=len(records))
            registry, start = [], stop

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        now = run_now(self.spec)
        seed = int(self.spec.option("seed", 2023))
        since = now - timedelta(minutes=LIVE_MINUTES)
        if watermark:
            since = max(min(since, datetime.fromisoformat(watermark) - timedelta(minutes=5)), now - timedelta(days=2))
        records = CameraRecords(list(fleet(seed).cameras), heartbeats(seed, since, now, self.ctx.tz),
                                events_changed(seed, since, now, self.ctx.tz))
        yield Batch(records=records, fetched=len(records), watermark=now.isoformat())
