"""Urban cameras (family ``cameras``): the registry, heartbeats and AI events (pure: no I/O).

**Registry**: every camera of the city — traffic, security and flood cameras — by its code, in
one table (``traffic_cameras``: the name is historical, the traffic family registered its cameras
there first). ``purpose`` is what the camera is for (:data:`PURPOSES`, the issue's "type"),
``kind`` how it is mounted (junction, speed, surveillance, …).

**Heartbeats**: a camera says it is alive (naive UTC). A gap between two consecutive heartbeats
longer than :data:`OFFLINE_AFTER` (15 minutes) is an **outage**, from the heartbeat before to
the one after; at a moment ``now``, a camera whose last heartbeat is older than 15 minutes is
**offline** (exactly 15 minutes: still online). A camera that never sent a heartbeat is not
*reporting*: neither online nor offline in the fleet's figures.

**Uptime** over a window: 1 − (time inside outages, whole gaps) ÷ (time observed, from the
camera's first heartbeat); :data:`UPTIME_TARGET_PCT` (98 %) is a typical service level of a
camera maintenance contract (calibration, not a legal figure).

**AI events** (:data:`EVENT_KINDS`): gathering, fire or smoke, flooding, illegal parking, each
with an optional confidence (0–1) and an operator's review (:data:`REVIEWS`; a later version of
an event, by ``updated_at``, may add it).

**Alerts** (:func:`findings`, evaluated with the others at any moment, past ones included):

``camera_offline`` (key: the camera's code)
    offline for more than :data:`OFFLINE_ALERT` (30 minutes): warning. The episode starts when
    the camera went offline (last heartbeat + 15 minutes); at a past moment it ends with the
    heartbeat that ended the stored outage (``ends_utc``).
``cameras_offline_share`` (key ``city``)
    more than :data:`FLEET_OFFLINE_SHARE` (10 %) of the cameras that have ever reported are
    offline at once (a power cut, a network fault): high. The episode starts when the share
    last rose above 10 %.
``camera_event`` (key ``<source>/<external_id>``)
    an AI event holds for :data:`EVENT_HOLD` (1 hour) from its detection: fire or smoke → high;
    flooding → warning; gathering → info (listed, the stage unmoved); illegal parking → no
    alert; an event reviewed as a false alarm → no alert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ioc.domain.alert_rules import CITY, Finding
from ioc.domain.records import RecordError, number_field, parse_timestamp, text_field

FAMILY = "cameras"
PURPOSES = ("traffic", "security", "flood")
EVENT_KINDS = ("gathering", "fire_smoke", "flooding", "illegal_parking")
REVIEWS = ("", "confirmed", "false_alarm")
KINDS = ("camera_offline", "cameras_offline_share", "camera_event")
OFFLINE_AFTER = timedelta(minutes=15)   # gap between two heartbeats longer than this = an outage;
                                        # last heartbeat older than this at now = offline (exactly 15 min: still online)
OFFLINE_ALERT = timedelta(minutes=30)   # offline longer than this raises `camera_offline` (warning)
FLEET_OFFLINE_SHARE = 0.10              # > 10 % of the cameras that ever reported offline at once: high
EVENT_HOLD = timedelta(hours=1)         # an AI event's alert holds one hour after detection
UPTIME_TARGET_PCT = 98.0                # a typical maintenance-contract service level (calibration)
#: the alert level of each kind of AI event (None: listed on the page, no alert)
# A crowd at a market or a walking street on a weekend evening is ordinary: listed on the ticker
# and the Alerts page for whoever watches that place, without moving the city stage (info)
EVENT_LEVELS: dict[str, str | None] = {"fire_smoke": "high", "flooding": "warning", "gathering": "info",
                                       "illegal_parking": None}
#: how far back the fleet-share rule looks for the start of an episode
SHARE_LOOKBACK = timedelta(days=7)

PURPOSE_LABELS: dict[str, tuple[str, str]] = {  # (vi, en)
    "traffic": ("Giao thông", "Traffic"),
    "security": ("An ninh trật tự", "Security"),
    "flood": ("Giám sát ngập lụt", "Flood watch"),
}
EVENT_LABELS: dict[str, tuple[str, str]] = {  # (vi, en)
    "gathering": ("Tụ tập đông người", "Crowd gathering"),
    "fire_smoke": ("Cháy, khói", "Fire or smoke"),
    "flooding": ("Ngập nước", "Flooding"),
    "illegal_parking": ("Đỗ xe sai quy định", "Illegal parking"),
}
REVIEW_LABELS: dict[str, tuple[str, str]] = {
    "": ("Chưa xem xét", "Not reviewed"),
    "confirmed": ("Đã xác nhận", "Confirmed"),
    "false_alarm": ("Báo động giả", "False alarm"),
}


def label(labels: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    """The Vietnamese or English label of ``code`` in ``labels`` (the code itself if unknown)."""
    pair = labels.get(code)
    return code if pair is None else pair[1 if lang == "en" else 0]


@dataclass(frozen=True)
class Camera:
    """A registry entry (a row of ``traffic_cameras``, which holds every camera)."""

    code: str
    name: str
    lat: float | None
    lon: float | None
    purpose: str
    kind: str = "surveillance"
    road: str = ""
    unit_code: str = ""


@dataclass(frozen=True)
class Heartbeat:
    """A camera said it is alive at ``at`` (naive UTC)."""

    camera_code: str
    at: datetime


@dataclass(frozen=True)
class CameraEvent:
    """An AI detection: ``kind`` one of :data:`EVENT_KINDS`, ``confidence`` 0–1, ``review`` one of
    :data:`REVIEWS`; times naive UTC (``updated_at``: the version, None = ``detected_at``)."""

    external_id: str
    camera_code: str
    detected_at: datetime
    kind: str
    confidence: float | None = None
    review: str = ""
    updated_at: datetime | None = None


# --------------------------------------------------------------------------- validation




def _choice(raw: dict[str, Any], key: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = text_field(raw, key, 32).lower()
    if not value and default is not None:
        return default
    if value not in choices:
        shown = ", ".join(c or "''" for c in choices)
        raise RecordError(key, f"{value!r} is not one of {shown}")
    return value


def validate_record(raw: dict[str, Any], naive_tz: Any = None) -> Camera | Heartbeat | CameraEvent:
    """One record given as a dict, recognised by its fields:

    - with ``event`` (its kind): an AI event — ``external_id``, ``camera_code``, ``detected_at``,
      ``event`` required; ``confidence`` (0–1), ``review`` (''/confirmed/false_alarm),
      ``updated_at`` optional;
    - with ``camera_code`` and ``at``: a heartbeat;
    - with ``code`` and ``purpose``: a registry entry (``name``, ``lat``, ``lon``, ``kind``,
      ``road``, ``unit_code`` optional).

    Times without an offset are read in ``naive_tz`` (default UTC). Raises :class:`RecordError`
    naming the field and the value."""
    if not isinstance(raw, dict):
        raise RecordError("record", f"not an object: {type(raw).__name__}")
    tz = naive_tz or UTC
    if raw.get("event") not in (None, ""):
        updated = raw.get("updated_at")
        return CameraEvent(
            text_field(raw, "external_id", 128, required=True, truncate=False),
            text_field(raw, "camera_code", 64, required=True, truncate=False),
            parse_timestamp(raw.get("detected_at"), "detected_at", tz),
            _choice(raw, "event", EVENT_KINDS),
            number_field(raw, "confidence", 0.0, 1.0),
            _choice(raw, "review", REVIEWS, default=""),
            None if updated in (None, "") else parse_timestamp(updated, "updated_at", tz))
    if "camera_code" in raw and "at" in raw:
        return Heartbeat(text_field(raw, "camera_code", 64, required=True, truncate=False),
                         parse_timestamp(raw.get("at"), "at", tz))
    if "code" in raw and "purpose" in raw:
        code = text_field(raw, "code", 64, required=True, truncate=False)
        lat, lon = number_field(raw, "lat", -90, 90), number_field(raw, "lon", -180, 180)
        if (lat is None) != (lon is None):
            raise RecordError("lat" if lat is None else "lon", "missing: give both lat and lon, or neither")
        return Camera(code, text_field(raw, "name", 200) or code, lat, lon, _choice(raw, "purpose", PURPOSES),
                      text_field(raw, "kind", 32) or "surveillance", text_field(raw, "road", 200),
                      text_field(raw, "unit_code", 16))
    raise RecordError("record", "neither an event (event, camera_code, detected_at), a heartbeat (camera_code, at) "
                                f"nor a camera (code, purpose): fields {sorted(map(str, raw))[:12]}")


# --------------------------------------------------------------------------- heartbeats → outages


@dataclass(frozen=True)
class HeartbeatMerge:
    """What a batch of heartbeats changes (:func:`merge_heartbeats`): each camera's new
    ``status`` (camera_code, first_seen, last_seen; only those that changed), the stored outages
    to ``remove`` (split by a late heartbeat) and the outages to ``add`` (camera_code,
    started_at, ended_at), and ``new_info``: how many heartbeats changed anything."""

    status: pd.DataFrame
    remove: pd.DataFrame
    add: pd.DataFrame
    new_info: int


def merge_heartbeats(beats: pd.DataFrame, status: pd.DataFrame, outages: pd.DataFrame) -> HeartbeatMerge:
    """Merge a batch of heartbeats (``camera_code``, ``at``: naive UTC) into what is kept of the
    ones before: each camera's ``status`` (first_seen, last_seen) and its stored ``outages``
    (started_at, ended_at; any superset of those the batch's times fall in).

    What is kept is exact: the heartbeats between first_seen and last_seen are no more than
    15 minutes apart outside the outages, so a new heartbeat there changes nothing; one strictly
    inside an outage splits it (each part kept only if still longer than :data:`OFFLINE_AFTER`);
    one before first_seen or after last_seen opens a gap to it. The result is the same whatever
    order the heartbeats arrive in, in one batch or many. Vectorised (sort, diff)."""
    beats = (beats[["camera_code", "at"]].astype({"camera_code": object})
             .assign(at=lambda f: pd.to_datetime(f["at"]).astype("datetime64[us]"))
             .drop_duplicates().sort_values(["camera_code", "at"], kind="stable").reset_index(drop=True))
    status = status[["camera_code", "first_seen", "last_seen"]].astype(
        {"camera_code": object, "first_seen": "datetime64[us]", "last_seen": "datetime64[us]"})
    outages = outages[["camera_code", "started_at", "ended_at"]].astype(
        {"camera_code": object, "started_at": "datetime64[us]", "ended_at": "datetime64[us]"})
    outages = outages[outages["camera_code"].isin(beats["camera_code"].unique())]
    empty = pd.DataFrame({"camera_code": pd.Series(dtype=object), "started_at": pd.Series(dtype="datetime64[us]"),
                          "ended_at": pd.Series(dtype="datetime64[us]")})
    if beats.empty:
        return HeartbeatMerge(status.iloc[:0], empty, empty, 0)

    # the stored outage each heartbeat falls strictly inside, if any
    inside = np.zeros(len(beats), dtype=bool)
    if len(outages):
        found = pd.merge_asof(beats.reset_index().sort_values("at"), outages.sort_values("started_at"),
                              left_on="at", right_on="started_at", by="camera_code", direction="backward",
                              allow_exact_matches=False).set_index("index").sort_index()
        inside = (found["ended_at"].notna() & (found["at"] < found["ended_at"])).to_numpy()
        hit = found.loc[inside, ["camera_code", "started_at", "ended_at"]].drop_duplicates()
    else:
        hit = empty
    known = beats.merge(status, on="camera_code", how="left")
    has_old = known["first_seen"].notna().to_numpy()
    outside_span = ~has_old | (known["at"] < known["first_seen"]).to_numpy() | \
        (known["at"] > known["last_seen"]).to_numpy()
    new_info = int((outside_span | inside).sum())

    # every known heartbeat of these cameras: the batch, the ends of the split outages (+1 opens
    # an outage, -1 closes it) and the old first and last heartbeats
    old = status[status["camera_code"].isin(beats["camera_code"].unique())]
    points = pd.concat([
        beats.assign(delta=0),
        pd.DataFrame({"camera_code": hit["camera_code"], "at": hit["started_at"], "delta": 1}),
        pd.DataFrame({"camera_code": hit["camera_code"], "at": hit["ended_at"], "delta": -1}),
        pd.DataFrame({"camera_code": old["camera_code"], "at": old["first_seen"], "delta": 0}),
        pd.DataFrame({"camera_code": old["camera_code"], "at": old["last_seen"], "delta": 0}),
    ], ignore_index=True).astype({"at": "datetime64[us]", "delta": "int64"})
    points = points.groupby(["camera_code", "at"], sort=True, as_index=False)["delta"].sum()
    by_camera = points.groupby("camera_code", sort=False)
    points["in_outage"] = by_camera["delta"].cumsum() > 0  # the gap after this point lies in a split outage
    points["next_at"] = by_camera["at"].shift(-1)
    points = points.merge(old, on="camera_code", how="left")
    # a gap inside the old span and outside any split outage: heartbeats we no longer hold lie
    # there, no more than 15 minutes apart, or it is a stored outage the batch left alone
    dense = points["first_seen"].notna() & (points["at"] >= points["first_seen"]) & \
        (points["next_at"] <= points["last_seen"]) & ~points["in_outage"]
    gap = points["next_at"] - points["at"]
    added = points[points["next_at"].notna() & (gap > OFFLINE_AFTER) & ~dense]
    add = pd.DataFrame({"camera_code": added["camera_code"].to_numpy(dtype=object),
                        "started_at": added["at"].to_numpy(), "ended_at": added["next_at"].to_numpy()}) \
        .astype({"started_at": "datetime64[us]", "ended_at": "datetime64[us]"})

    span = beats.groupby("camera_code", sort=True)["at"].agg(["min", "max"]).reset_index()
    span = span.merge(old, on="camera_code", how="left")
    first = span[["min", "first_seen"]].min(axis=1)
    last = span[["max", "last_seen"]].max(axis=1)
    changed = span["first_seen"].isna() | (first != span["first_seen"]) | (last != span["last_seen"])
    new_status = pd.DataFrame({"camera_code": span["camera_code"], "first_seen": first,
                               "last_seen": last})[changed.to_numpy()].reset_index(drop=True)
    return HeartbeatMerge(new_status.astype({"first_seen": "datetime64[us]", "last_seen": "datetime64[us]"}),
                          hit.reset_index(drop=True), add, new_info)


# --------------------------------------------------------------------------- state at a moment


def gap_starts(status: pd.DataFrame, outages: pd.DataFrame, now: datetime) -> pd.Series:
    """For each camera of ``status`` (camera_code, first_seen, last_seen) that had reported by
    ``now``: its last heartbeat at or before ``now`` when it is offline then (the start of the
    gap it is in), NaT when online. ``outages``: the stored ones around ``now`` (for a past
    moment the gap it was in is a stored outage; at the present, the gap since last_seen)."""
    st = status[status["first_seen"] <= now].set_index("camera_code")
    last = pd.to_datetime(st["last_seen"]).astype("datetime64[us]")
    start = last.where(last <= now)  # the ongoing gap; a past moment: the stored outage around it
    around = outages[(outages["started_at"] < now) & (outages["ended_at"] > now)]
    if len(around):
        start = start.fillna(pd.Series(pd.to_datetime(around["started_at"]).to_numpy(),
                                       index=around["camera_code"].to_numpy()).groupby(level=0).max())
    return start.where(now - start > OFFLINE_AFTER).astype("datetime64[us]")


def offline_share_start(offline_from: np.ndarray, offline_to: np.ndarray, first_seen: np.ndarray,
                        now: datetime, horizon: datetime) -> datetime | None:
    """When more than :data:`FLEET_OFFLINE_SHARE` of the cameras were last continuously offline
    up to ``now`` (None: not so at ``now``). A camera is offline in ``(offline_from, offline_to)``
    (datetime64 arrays; ``offline_to`` NaT: still offline); the fleet at ``t`` is the cameras
    whose ``first_seen ≤ t``. Looks back no further than ``horizon``."""
    frm = np.sort(np.asarray(offline_from, dtype="datetime64[us]"))
    to = np.asarray(offline_to, dtype="datetime64[us]")
    to = np.sort(to[~np.isnat(to)])
    seen = np.sort(np.asarray(first_seen, dtype="datetime64[us]"))
    t_now, t_horizon = np.datetime64(now, "us"), np.datetime64(horizon, "us")

    def holds(t: np.ndarray) -> np.ndarray:
        offline = np.searchsorted(frm, t, side="left") - np.searchsorted(to, t, side="right")
        fleet = np.searchsorted(seen, t, side="right")
        return (fleet > 0) & (offline > FLEET_OFFLINE_SHARE * fleet)

    if not holds(np.array([t_now]))[0]:
        return None
    bounds = np.unique(np.concatenate([frm, to, seen, [t_horizon, t_now]]))
    bounds = bounds[(bounds >= t_horizon) & (bounds <= t_now)]
    mids = bounds[:-1] + (bounds[1:] - bounds[:-1]) // 2  # the count is constant between two bounds
    ok = holds(mids)
    broken = np.flatnonzero(~ok)
    start = bounds[0] if not len(broken) else bounds[broken[-1] + 1]
    return pd.Timestamp(start).to_pydatetime()


def event_level(kind: str, review: str) -> str | None:
    """The alert an AI event raises while it holds (None: none)."""
    return None if review == "false_alarm" else EVENT_LEVELS.get(kind)


# --------------------------------------------------------------------------- findings


def findings(cameras: pd.DataFrame, status: pd.DataFrame, outages: pd.DataFrame, events: pd.DataFrame,
             now: datetime) -> list[Finding]:
    """The cameras family's findings at ``now`` (naive UTC), present or past.

    ``cameras``: the registry (code, name, purpose, lat, lon); ``status``: camera_code,
    first_seen, last_seen; ``outages``: the stored ones ending after ``now`` −
    :data:`SHARE_LOOKBACK` (camera_code, started_at, ended_at); ``events``: those detected in
    (``now`` − :data:`EVENT_HOLD`, ``now``] (source, external_id, camera_code, detected_at, kind,
    confidence, review)."""
    info = cameras.set_index("code") if len(cameras) else pd.DataFrame(columns=["name", "purpose", "lat", "lon"])

    def about(code: str) -> dict[str, Any]:
        if code not in info.index:
            return {"camera": "", "purpose": "", "lat": None, "lon": None}
        row = info.loc[code]
        return {"camera": str(row["name"] or ""), "purpose": str(row["purpose"] or ""),
                "lat": None if pd.isna(row["lat"]) else float(row["lat"]),
                "lon": None if pd.isna(row["lon"]) else float(row["lon"])}

    out: list[Finding] = []
    starts = gap_starts(status, outages, now)
    # at a past moment the gap is a stored outage: its end is known, and the episode ends there
    ends = {(str(c), pd.Timestamp(s)): pd.Timestamp(e).to_pydatetime()
            for c, s, e in zip(outages["camera_code"], outages["started_at"], outages["ended_at"], strict=True)}
    for code, since in starts.dropna().sort_index().items():
        since = pd.Timestamp(since).to_pydatetime()
        if now - since > OFFLINE_ALERT:
            details = {**about(str(code)), "last_utc": since.isoformat(),
                       "minutes": int((now - since).total_seconds() // 60)}
            if (str(code), pd.Timestamp(since)) in ends:
                details["ends_utc"] = ends[(str(code), pd.Timestamp(since))].isoformat()
            out.append(Finding(FAMILY, "camera_offline", str(code), "warning", since + OFFLINE_AFTER, details))

    reported = status[status["first_seen"] <= now]
    past = outages[(outages["started_at"] < now)]
    ongoing = reported[reported["last_seen"] <= now]
    offline_from = np.concatenate([(pd.to_datetime(past["started_at"]) + OFFLINE_AFTER).to_numpy("datetime64[us]"),
                                   (pd.to_datetime(ongoing["last_seen"]) + OFFLINE_AFTER).to_numpy("datetime64[us]")])
    offline_to = np.concatenate([pd.to_datetime(past["ended_at"]).to_numpy("datetime64[us]"),
                                 np.full(len(ongoing), np.datetime64("NaT"), dtype="datetime64[us]")])
    started = offline_share_start(offline_from, offline_to, pd.to_datetime(status["first_seen"]).to_numpy(),
                                  now, now - SHARE_LOOKBACK)
    if started is not None:
        offline, fleet = int(starts.notna().sum()), len(reported)
        out.append(Finding(FAMILY, "cameras_offline_share", CITY, "high", started, {
            "offline": offline, "cameras": fleet, "share_pct": round(100.0 * offline / fleet, 1)}))

    for e in events.itertuples(index=False):
        level = event_level(e.kind, e.review or "")
        detected = pd.Timestamp(e.detected_at).to_pydatetime()
        if level is None or not detected <= now < detected + EVENT_HOLD:
            continue
        confidence = None if e.confidence is None or (isinstance(e.confidence, float) and math.isnan(e.confidence)) \
            else round(float(e.confidence), 3)
        out.append(Finding(FAMILY, "camera_event", f"{e.source}/{e.external_id}", level, detected, {
            **about(str(e.camera_code)), "camera_code": str(e.camera_code), "event": e.kind,
            "confidence": confidence, "review": e.review or "", "detected_utc": detected.isoformat(),
            "ends_utc": (detected + EVENT_HOLD).isoformat()}))
    return out
