"""Pure shaping for the urban-cameras page (:mod:`layouts.cameras`): each camera's state now, the
rows of the map and of the three tables, the KPI tiles and the AI events' stacked bars. No I/O:
the callbacks hand in the frames of :mod:`ioc.store.cameras` and the KPI dict of
:func:`ioc.kpi.cameras.family_kpis`.

States (one per registered camera, from :func:`ioc.store.cameras.camera_states` at ``now``):

``online``       its last heartbeat is at most 15 minutes old (:data:`ioc.domain.cameras.OFFLINE_AFTER`);
``offline``      silent for longer, up to 30 minutes;
``offline_30m``  silent for more than 30 minutes (:data:`~ioc.domain.cameras.OFFLINE_ALERT`: it
                 raises a ``camera_offline`` alert);
``never``        registered but never heard from.

Durations are seconds; times stored naive UTC and shown local (``tz``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from ioc.domain import cameras as rules
from ioc.domain.units import unit_column
from ioc.i18n import fmt_int, fmt_local_datetime, fmt_number, fmt_pct, t
from ioc.kpi.periods import Period, to_local
from layouts import provisional
from layouts.export_cells import local_iso
from layouts.figures import axis_edge, base_layout, bucket_ms, date_ticks, empty_figure, plotly_text
from layouts.shaping import Tile, as_number

STATES = ("online", "offline", "offline_30m", "never")
#: map and table colours of the states (each is also named in text: colour is never alone)
STATE_COLOURS = {"online": "#22c55e", "offline": "#f59e0b", "offline_30m": "#ef4444", "never": "#64748b"}
#: the marker's shape tells the purpose apart (assets/cameras.js draws them)
PURPOSE_SHAPES = {"traffic": "circle", "security": "square", "flood": "diamond"}
KIND_COLOURS = {"gathering": "#a78bfa", "fire_smoke": "#ef4444", "flooding": "#38bdf8", "illegal_parking": "#f59e0b"}
NEVER_SORT = -1.0  # a camera never heard from sorts after every offline one (longest first)


# --------------------------------------------------------------------------- words


def purpose_label(purpose: str, lang: str) -> str:
    """A camera's purpose (the issue's "type"), named by the domain's vocabulary; an unknown code as it is."""
    return rules.label(rules.PURPOSE_LABELS, purpose, lang) if purpose else "–"


def kind_label(kind: str, lang: str) -> str:
    """An AI event's kind, named by the domain's vocabulary; an unknown code as it is."""
    return rules.label(rules.EVENT_LABELS, kind, lang) if kind else "–"


def review_label(review: str, lang: str) -> str:
    """Whether an operator reviewed the event: not yet, confirmed, a false alarm."""
    return rules.label(rules.REVIEW_LABELS, review, lang)


ALERT_MINUTES = int(rules.OFFLINE_ALERT.total_seconds() // 60)


def state_label(state: str, lang: str) -> str:
    """A state's name ("Mất kết nối > 30 phút": the alert's threshold from the domain)."""
    return t(f"cam_state_{state}", lang, alert=ALERT_MINUTES)


def duration_text(seconds: float | None, lang: str) -> str:
    """A length of time rounded down to the minute: "0 phút", "45 phút", "2 giờ 05 phút",
    "3 ngày 4 giờ" (from 48 hours on, days and hours)."""
    if seconds is None or seconds != seconds:
        return "–"
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return t("cam_dur_min", lang, m=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return t("cam_dur_h_min", lang, h=hours, m=f"{rest:02d}")
    return t("cam_dur_d_h", lang, d=hours // 24, h=hours % 24)


def camera_state(online: Any, last_seen: Any, offline_s: Any) -> str:
    """One of :data:`STATES` from a :func:`~ioc.store.cameras.camera_states` row."""
    if bool(online):
        return "online"
    if last_seen is None or pd.isna(last_seen):
        return "never"
    return "offline_30m" if float(offline_s or 0) > rules.OFFLINE_ALERT.total_seconds() else "offline"


# --------------------------------------------------------------------------- cameras


def select_cameras(states: pd.DataFrame, purpose: str | None = None, unit: str | None = None) -> pd.DataFrame:
    """The cameras of ``purpose`` in ``unit`` (a current commune, or a district-level unit by
    its 3-digit code); ``None``: every one."""
    frame = states
    if purpose:
        frame = frame[frame["purpose"] == purpose]
    if unit:
        column = unit_column(unit)
        frame = frame[frame[column].astype("string") == unit] if column in frame else frame.iloc[0:0]
    return frame


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)




def _when(value: Any) -> datetime | None:
    """A stored instant (naive UTC) as a datetime, ``None`` for NaT / None."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()


def _sort_key(at: datetime | None, tz: ZoneInfo) -> str:
    """A local ISO time the grid sorts by ("" when unknown)."""
    return to_local(at, tz).isoformat(timespec="seconds") if at is not None else ""


def camera_rows(states: pd.DataFrame, tz: ZoneInfo, lang: str, simulated: Collection[str] = (),
                unit_names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per camera for the map and the offline table, by code: its state now, where it
    stands, when it was last heard from (local) and for how long it has been silent.
    ``simulated``: names of sources whose cameras are simulated."""
    names = unit_names or {}
    sims = set(simulated)
    rows = []
    for r in states.to_dict("records"):
        state = camera_state(r.get("online"), r.get("last_seen"), r.get("offline_s"))
        last = _when(r.get("last_seen"))
        offline_s = as_number(r.get("offline_s")) or 0.0
        code, name = _text(r.get("code")), _text(r.get("name")) or _text(r.get("code"))
        commune = _text(r.get("commune_code"))
        purpose = _text(r.get("purpose"))
        row = {
            "code": code, "name": name, "purpose": purpose, "purpose_label": purpose_label(purpose, lang),
            "shape": PURPOSE_SHAPES.get(purpose, "circle"), "road": _text(r.get("road")),
            "unit": names.get(commune, commune) or "–", "lat": as_number(r.get("lat")), "lon": as_number(r.get("lon")),
            "state": state, "state_label": state_label(state, lang), "colour": STATE_COLOURS[state],
            "online": state == "online", "last_seen": fmt_local_datetime(last, tz, lang) if last else "–",
            "last_sort": _sort_key(last, tz),
            "offline_s": NEVER_SORT if state == "never" else (0.0 if state == "online" else offline_s),
            "offline_for": "–" if state in ("online", "never") else duration_text(offline_s, lang),
            # for the CSV: ISO local time, hours as a number
            "last_seen_iso": local_iso(last, tz) if last else None,
            "offline_hours": None if state in ("online", "never") else round(offline_s / 3600, 2),
            "simulated": _text(r.get("source")) in sims,
        }
        rows.append(row)
    rows.sort(key=lambda row: row["code"])
    return rows


def state_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many cameras are in each state."""
    counts = dict.fromkeys(STATES, 0)
    for r in rows:
        counts[r["state"]] += 1
    return counts


def offline_rows(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The cameras not online now, the longest silent first; those never heard from last."""
    return sorted((r for r in rows if r["state"] != "online"), key=lambda r: (-r["offline_s"], r["code"]))


def map_geojson(rows: Iterable[Mapping[str, Any]], lang: str) -> dict[str, Any]:
    """The cameras that have a position, as GeoJSON points for the map's layer (drawn by
    assets/cameras.js): online first, so the offline ones are drawn over them; only what the
    marker needs, the tooltip as text."""
    order = {s: i for i, s in enumerate(STATES)}
    features = []
    for r in sorted(rows, key=lambda row: (row["state"] != "online", -order[row["state"]], row["code"])):
        if r["lat"] is None or r["lon"] is None:
            continue
        how = r["state_label"] if r["state"] in ("online", "never") else f"{r['state_label']} · {r['offline_for']}"
        tooltip = f"{r['name']} · {r['code']} · {r['purpose_label']} · {how}"
        if r["simulated"]:
            tooltip += f" · {t('cam_simulated', lang)}"
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                         "properties": {"id": r["code"], "state": r["state"], "purpose": r["purpose"],
                                        "shape": r["shape"], "colour": r["colour"], "tooltip": tooltip}})
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------- uptime


def uptime_rows(uptime: pd.DataFrame, cameras: pd.DataFrame, outages: pd.DataFrame, lang: str,
                simulated: Collection[str] = (), unit_names: Mapping[str, str] | None = None,
                target_pct: float = rules.UPTIME_TARGET_PCT) -> list[dict[str, Any]]:
    """The period's uptime of each camera of ``cameras`` (the selection), the worst first;
    cameras not observed in the period (no heartbeat yet) are left out. ``uptime``:
    :func:`~ioc.store.cameras.uptime_by_camera` (seconds, %); ``outages``:
    :func:`~ioc.store.cameras.outages` over the period (one row per outage, counted per camera)."""
    names = unit_names or {}
    sims = set(simulated)
    counts = outages["code"].value_counts().to_dict() if len(outages) else {}
    registry = {_text(r.get("code")): r for r in cameras.to_dict("records")}
    rows = []
    for r in uptime.to_dict("records"):
        code = _text(r.get("code"))
        pct = as_number(r.get("uptime_pct"))
        if code not in registry or pct is None:
            continue
        cam = registry[code]
        purpose = _text(cam.get("purpose"))
        offline_s = as_number(r.get("offline_s")) or 0.0
        commune = _text(cam.get("commune_code"))
        rows.append({
            "code": code, "name": _text(cam.get("name")) or code, "purpose_label": purpose_label(purpose, lang),
            "unit": names.get(commune, commune) or "–", "uptime_pct": round(pct, 4), "uptime": fmt_pct(pct / 100, lang, 2),
            "below": pct < target_pct - 1e-9, "offline_s": offline_s, "offline": duration_text(offline_s, lang),
            "outages": int(counts.get(code, 0)), "outages_text": fmt_int(counts.get(code, 0), lang),
            "observed": duration_text(as_number(r.get("observed_s")), lang),
            # for the CSV: numbers, not text (uptime in %, durations in hours)
            "offline_hours": round(offline_s / 3600, 2),
            "observed_hours": None if as_number(r.get("observed_s")) is None
            else round(as_number(r.get("observed_s")) / 3600, 2),
            "simulated": _text(cam.get("source")) in sims,
        })
    rows.sort(key=lambda row: (row["uptime_pct"], -row["offline_s"], row["code"]))
    return rows


# --------------------------------------------------------------------------- AI events


def event_rows(events: pd.DataFrame, tz: ZoneInfo, lang: str, simulated: Collection[str] = (),
               unit_names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The latest AI events (:func:`~ioc.store.cameras.events`, newest first) as table rows:
    local time, kind, camera, its purpose and commune, confidence (%) and review."""
    names = unit_names or {}
    sims = set(simulated)
    rows = []
    for r in events.to_dict("records"):
        at = _when(r.get("detected_at"))
        kind, review = _text(r.get("kind")), _text(r.get("review"))
        confidence = as_number(r.get("confidence"))
        commune = _text(r.get("commune_code"))
        code = _text(r.get("camera_code"))
        rows.append({
            "id": f"{_text(r.get('source'))}/{_text(r.get('external_id'))}", "time_sort": _sort_key(at, tz),
            "time": fmt_local_datetime(at, tz, lang) if at else "–", "kind": kind, "kind_label": kind_label(kind, lang),
            "colour": KIND_COLOURS.get(kind, "#94a3b8"), "code": code,
            "camera": _text(r.get("camera_name")) or code, "purpose_label": purpose_label(_text(r.get("purpose")), lang),
            "unit": names.get(commune, commune) or "–", "confidence": confidence,
            "confidence_text": fmt_pct(confidence, lang, 0) if confidence is not None else "–",
            "time_iso": local_iso(at, tz) if at else None,  # for the CSV
            "review": review, "review_label": review_label(review, lang),
            "simulated": _text(r.get("source")) in sims,
        })
    return rows


def events_series(per_day: pd.DataFrame, freq: str, kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """AI events per bucket and kind (``bucket`` local start as a timestamp, ``kind``, ``n``) from
    :func:`~ioc.store.cameras.events_per_day` (``day``, ``kind``, ``n``): days summed per week
    (from Monday) or month for ``freq``; ``kinds`` keeps only those kinds (``None``: all)."""
    frame = per_day.rename(columns={"day": "bucket"})[["bucket", "kind", "n"]].copy()
    if kinds:
        frame = frame[frame["kind"].isin(tuple(kinds))]
    frame["bucket"] = pd.to_datetime(frame["bucket"])
    if freq == "week":
        frame["bucket"] = frame["bucket"] - pd.to_timedelta(frame["bucket"].dt.day_of_week, unit="D")
    elif freq == "month":
        frame["bucket"] = frame["bucket"].dt.to_period("M").dt.start_time
    frame["n"] = frame["n"].astype(int)
    return frame.groupby(["bucket", "kind"], as_index=False)["n"].sum().sort_values(["bucket", "kind"],
                                                                                   ignore_index=True)


def events_figure(series: pd.DataFrame, lang: str, freq: str, period: Period | None = None, today: date | None = None,
                  uirevision: str | None = None) -> go.Figure:
    """AI events per bucket, stacked by kind (the kinds in :data:`ioc.domain.cameras.EVENT_KINDS`
    order, each its colour and name); the bucket holding ``today`` (local) is provisional."""
    if series.empty or int(series["n"].sum()) == 0:
        return empty_figure(t("cam_no_events", lang), lang)
    buckets = sorted(series["bucket"].unique())
    flags = provisional.running(buckets, freq, today)
    notes = provisional.hover_notes(flags, lang)
    fig = go.Figure()
    wide = series.pivot_table(index="bucket", columns="kind", values="n", aggfunc="sum", fill_value=0).reindex(buckets,
                                                                                                        fill_value=0)
    known = [k for k in rules.EVENT_KINDS if k in wide.columns]
    for kind in known + sorted(k for k in wide.columns if k not in rules.EVENT_KINDS):
        label = plotly_text(kind_label(kind, lang))
        fig.add_bar(x=buckets, y=wide[kind].tolist(), name=label, width=bucket_ms(freq) * 0.8,
                    marker=provisional.bar_marker(flags, KIND_COLOURS.get(kind, "#94a3b8")), customdata=notes,
                    hovertemplate="%{y:,.0f}%{customdata}<extra>" + label + "</extra>")
    provisional.shade(fig, buckets, flags, freq, lang)
    span = None if period is None else [axis_edge(period.start, freq, -1), axis_edge(period.end, freq, 0)]
    base_layout(fig, lang, uirevision, barmode="stack", hovermode="x unified", bargap=0.15,
                # the legend under the plot: above it is the provisional note's place
                legend=dict(orientation="h", yanchor="top", y=-0.08, x=0, traceorder="normal"),
                margin=dict(l=8, r=8, t=provisional.NOTE_MARGIN, b=8),
                xaxis=dict(title=None, tickformat=date_ticks(freq, lang), range=span,
                           hoverformat="%d/%m/%Y" if freq != "month" else "%m/%Y"),
                yaxis=dict(title=None, tickformat=",d", rangemode="tozero"))
    return fig


def events_export(series: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The chart's numbers as a table: one row per bucket (local date), one column per kind."""
    if series.empty:
        return pd.DataFrame(columns=[t("cam_csv_bucket", lang)])
    wide = series.pivot_table(index="bucket", columns="kind", values="n", aggfunc="sum", fill_value=0)
    wide = wide[[k for k in rules.EVENT_KINDS if k in wide.columns] + [k for k in wide.columns
                                                                       if k not in rules.EVENT_KINDS]]
    wide.index = [pd.Timestamp(b).date().isoformat() for b in wide.index]
    out = wide.rename(columns={k: kind_label(k, lang) for k in wide.columns}).reset_index(names=t("cam_csv_bucket", lang))
    out.columns.name = None
    return out


# --------------------------------------------------------------------------- tiles


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def tiles(kpis: Mapping[str, Any], lang: str) -> list[Tile]:
    """The page's KPI tiles from :func:`ioc.kpi.cameras.family_kpis` (``*_pct`` in percent)."""
    def n(key: str) -> int:
        return int(kpis.get(key) or 0)

    reporting, online, offline = n("reporting"), n("online"), n("offline")
    offline_share = _share(offline, reporting)
    too_many = offline_share is not None and offline_share > rules.FLEET_OFFLINE_SHARE
    uptime = as_number(kpis.get("uptime_pct"))
    target = as_number(kpis.get("uptime_target_pct")) or rules.UPTIME_TARGET_PCT
    if uptime is None:
        uptime_state = "none"
    else:
        uptime_state = "good" if uptime >= target - 1e-9 else "warn" if uptime >= target - UPTIME_BAND_PCT else "bad"
    false_alarm = as_number(kpis.get("false_alarm_pct"))
    limit = fmt_pct(rules.FLEET_OFFLINE_SHARE, lang, 0)
    return [
        Tile("online", t("cam_kpi_online", lang), f"{fmt_int(online, lang)} / {fmt_int(reporting, lang)}", online,
                   t("cam_sub_online", lang, pct=fmt_pct(_share(online, reporting), lang),
                     total=fmt_int(n("cameras"), lang)), None,
                   "none" if not reporting else "bad" if too_many else "good"),
        Tile("offline", t("cam_kpi_offline", lang), fmt_int(offline, lang), offline,
                   t("cam_sub_offline", lang, share=fmt_pct(offline_share, lang), limit=limit), None,
                   "none" if not reporting else "bad" if too_many else "warn" if offline else "good"),
        Tile("offline_30m", t("cam_kpi_offline_30m", lang), fmt_int(n("offline_30m"), lang), n("offline_30m"),
                   t("cam_sub_offline_30m", lang), None, "warn" if n("offline_30m") else "good"),
        Tile("uptime_pct", t("cam_kpi_uptime", lang), fmt_pct(None if uptime is None else uptime / 100, lang, 1),
                   uptime, t("cam_sub_uptime", lang), t("cam_target", lang, pct=fmt_pct(target / 100, lang, 0)),
                   uptime_state),
        Tile("events", t("cam_kpi_events", lang), fmt_int(n("events"), lang), n("events"),
                   t("cam_sub_false_alarm", lang, pct=fmt_pct(false_alarm / 100, lang, 0)) if false_alarm is not None
                   else t("cam_sub_no_review", lang), None, "info"),
        Tile("fire_smoke", t("cam_kpi_fire_smoke", lang), fmt_int(n("fire_smoke"), lang), n("fire_smoke"),
                   t("cam_sub_fire_smoke", lang), None, "warn" if n("fire_smoke") else "good"),
    ]


#: the uptime tile is amber down to this many points under its target, red below
UPTIME_BAND_PCT = 2.0


def by_purpose_text(by_purpose: Mapping[str, int], lang: str) -> str:
    """"36 giao thông · 180 an ninh · 20 giám sát ngập" (the purposes with cameras, in order)."""
    return " · ".join(f"{fmt_int(by_purpose[p], lang)} {purpose_label(p, lang).lower()}"
                      for p in rules.PURPOSES if by_purpose.get(p))


def hours_text(seconds: float, lang: str) -> str:
    """Seconds as hours with one decimal ("12,5")."""
    return fmt_number(seconds / 3600, lang, 1)
