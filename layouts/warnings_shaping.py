"""Pure shaping for the warnings page (no Dash, no store): KPI tiles, the rows of the messages'
table, the list of warnings in force and the areas drawn on the map.

Rows come in as plain dicts of the ``cap_warnings`` columns (naive UTC times). Texts of a
message (event, area, description) came from a sender: they are handed on as text, never as
markup. A message's texts are shown in the page's language when it has them so; a long text
(description, instruction) it has only in the other language is shown in that one, with its
language beside it (:func:`message_text`). Colours always come with their name (a CAP
severity, an alert level and its stage).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from ioc.cap import SEVERITIES
from ioc.domain import warnings as rules
from ioc.domain.alert_rules import RANK
from ioc.domain.stage import stage_level
from ioc.i18n import DASH, fmt_int, fmt_local_datetime, t

#: CAP severity → (fill colour, readable text colour on it). Extreme, Severe and Moderate take
#: the colours of the stage their alerts raise (red 4, orange 3, yellow 2); Minor is blue (an
#: information, not the green of a normal city) and Unknown grey.
SEVERITY_COLOURS: dict[str, tuple[str, str]] = {
    "Extreme": ("#C62828", "#FFFFFF"),
    "Severe": ("#F57C00", "#000000"),
    "Moderate": ("#FFD60A", "#000000"),
    "Minor": ("#0288D1", "#FFFFFF"),
    "Unknown": ("#90A4AE", "#000000"),
}
NONE_COLOUR = stage_level(1).colour


@dataclass(frozen=True)
class WarningTile:
    """One KPI tile: ``value`` and ``badge`` are text; ``colour`` (a stage's) never goes alone."""

    key: str
    label: str
    value: str
    sub: str
    raw: Any
    state: str  # good | warn | bad | info | none
    colour: str | None = None
    text_colour: str | None = None
    badge: str = ""


def severity_label(code: str, lang: str) -> str:
    return t(f"cap_severity_{code if code in SEVERITIES else 'Unknown'}", lang)


def severity_colour(code: str) -> tuple[str, str]:
    return SEVERITY_COLOURS.get(code, SEVERITY_COLOURS["Unknown"])


def level_badge(level: str, lang: str, key: str = "wn_level_badge") -> str:
    """The stage an alert level proposes, number and name: ``Cấp 3 · Chú ý`` / ``Stage 3 ·
    Attention`` (the alert levels' own names would read like CAP's severities)."""
    stage = stage_level(RANK[level])
    return t(key, lang, n=stage.level, stage=stage.name(lang))


def pick(row: Mapping[str, Any], field: str, lang: str) -> str:
    """A text of the message in ``lang``: the English one when asked and given, else the Vietnamese."""
    if lang == "en" and row.get(f"{field}_en"):
        return str(row[f"{field}_en"])
    return str(row.get(field) or row.get(f"{field}_en") or "")


def message_text(row: Mapping[str, Any], field: str, lang: str) -> tuple[str, str]:
    """A long text of the message (``description``, ``instruction``) for a page in ``lang`` and
    the language it is written in: the message's own text in ``lang`` when it has one, else
    its text in the other language (the English page shows the Vietnamese text of a message
    without an English info, and says so); ``("", lang)`` when it has neither."""
    other = "vi" if lang == "en" else "en"
    columns = {"vi": field, "en": f"{field}_en"}
    for text_lang in (lang, other):
        if row.get(columns[text_lang]):
            return str(row[columns[text_lang]]), text_lang
    return "", lang


def utc_from_iso(value: str | None) -> datetime | None:
    """A KPI's ``2026-10-27T07:00:00Z`` as a naive UTC datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.removesuffix("Z"))
    return parsed if parsed.tzinfo is None else parsed.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _by_severity(counts: Mapping[str, int], lang: str) -> str:
    return " · ".join(f"{fmt_int(counts[s], lang)} {severity_label(s, lang).lower()}"
                      for s in SEVERITIES if counts.get(s))


def tiles(kpis: Mapping[str, Any], tz: ZoneInfo, lang: str) -> list[WarningTile]:
    """The page's four tiles from :func:`ioc.kpi.warnings.family_kpis`'s result, in order:
    in force now (with the highest level), the most severe in force, issued and cancelled in the
    period."""
    n = int(kpis.get("in_force") or 0)
    levels = {k: v for k, v in (kpis.get("in_force_by_level") or {}).items() if k in RANK and v}
    top = max(levels, key=RANK.__getitem__, default=None)
    if top is None:
        live = WarningTile("in_force", t("wn_kpi_in_force", lang), fmt_int(n, lang), t("wn_none_in_force", lang), n,
                           "good", NONE_COLOUR, stage_level(1).text_colour)
    else:
        stage = stage_level(RANK[top])
        parts = " · ".join(t("wn_stage_count", lang, n=RANK[lv], count=fmt_int(levels[lv], lang))
                           for lv in sorted(levels, key=RANK.__getitem__, reverse=True))
        live = WarningTile("in_force", t("wn_kpi_in_force", lang), fmt_int(n, lang), parts, n,
                           "bad" if RANK[top] >= RANK["high"] else "warn", stage.colour, stage.text_colour,
                           level_badge(top, lang))
    worst = kpis.get("worst_in_force")
    if not worst:
        most = WarningTile("worst_in_force", t("wn_kpi_worst", lang), DASH, t("wn_none_in_force", lang), None, "none")
    else:
        stage = stage_level(RANK.get(worst.get("level") or "warning", 2))
        until = fmt_local_datetime(utc_from_iso(worst.get("expires")), tz, lang)
        event = pick(worst, "event", lang) or t("wn_no_event", lang)
        most = WarningTile("worst_in_force", t("wn_kpi_worst", lang), event,
                           t("wn_worst_sub", lang, area=worst.get("area") or DASH, until=until), worst.get("severity"),
                           "bad" if RANK.get(worst.get("level"), 0) >= RANK["high"] else "warn", stage.colour,
                           stage.text_colour, severity_label(worst.get("severity") or "Unknown", lang))
    issued = int(kpis.get("issued") or 0)
    by_sev = _by_severity(kpis.get("issued_by_severity") or {}, lang)
    cancelled = int(kpis.get("cancelled") or 0)
    exercises = int(kpis.get("exercises") or 0)
    return [
        live, most,
        WarningTile("issued", t("wn_kpi_issued", lang), fmt_int(issued, lang), by_sev or t("wn_issued_none", lang),
                    issued, "info"),
        WarningTile("cancelled", t("wn_kpi_cancelled", lang), fmt_int(cancelled, lang),
                    t("wn_cancelled_sub", lang, n=fmt_int(exercises, lang)), cancelled, "info"),
    ]


def ends_at(row: Mapping[str, Any]) -> datetime | None:
    """When a stored message stops being in force (naive UTC; :func:`ioc.domain.warnings.ends_of`)."""
    return rules.ends_of(SimpleNamespace(expires=row.get("expires"), sent=row["sent"], ended_at=row.get("ended_at")))


def in_force_at(row: Mapping[str, Any], now: datetime) -> bool:
    """Whether an Alert or Update message is in force at ``now`` (naive UTC), whatever its status."""
    if row.get("msg_type") not in ("Alert", "Update") or row["sent"] > now:
        return False
    end = ends_at(row)
    return end is None or end > now


def _iso(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="seconds")


def ended_text(row: Mapping[str, Any], enders: Mapping[tuple[str, str], str], tz: ZoneInfo, lang: str) -> tuple[str, str]:
    """(kind, text) of what ended a message: ``cancel``/``update`` (by a later message of its
    sender, at when), ``other`` (a message not read), or ``""``."""
    if not row.get("ended_by"):
        return "", ""
    kind = {"Cancel": "cancel", "Update": "update"}.get(enders.get((row["sender"], row["ended_by"]), ""), "other")
    return kind, t(f"wn_ended_{kind}", lang, time=fmt_local_datetime(row.get("ended_at"), tz, lang))


def message_rows(rows: list[Mapping[str, Any]], tz: ZoneInfo, lang: str, now: datetime,
                 simulated_sources: Collection[str] = (),
                 enders: Mapping[tuple[str, str], str] | None = None) -> list[dict[str, Any]]:
    """The table's rows (one per CAP message, in the order given): local times as text beside
    sortable ISO keys, coded values in ``lang``, what ended it, whether it concerns the city,
    whether it is in force at ``now`` (naive UTC) and whether it came from a simulated source;
    its description and instruction in ``lang`` when the message has them so, with the language
    each is in (:func:`message_text`).
    ``enders``: ``(sender, identifier) → msgType`` of the messages that may end others."""
    enders = enders or {}
    out = []
    for r in rows:
        severity = r.get("severity") or "Unknown"
        colour, text_colour = severity_colour(severity)
        ended_kind, ended = ended_text(r, enders, tz, lang)
        simulated = r.get("source") in simulated_sources
        description, description_lang = message_text(r, "description", lang)
        instruction, instruction_lang = message_text(r, "instruction", lang)
        out.append({
            "id": str(r["id"]),
            "sent": fmt_local_datetime(r["sent"], tz, lang), "sent_sort": _iso(r["sent"]),
            "msg_type": r["msg_type"], "type_label": t(f"cap_msg_{r['msg_type']}", lang),
            "status": r["status"], "status_label": t(f"cap_status_{r['status']}", lang),
            "exercise": r["status"] != "Actual",
            "event": pick(r, "event", lang), "headline": pick(r, "headline", lang),
            "severity": severity, "severity_label": severity_label(severity, lang),
            "colour": colour, "text_colour": text_colour,
            "urgency_label": t(f"cap_urgency_{r.get('urgency') or 'Unknown'}", lang),
            "certainty_label": t(f"cap_certainty_{r.get('certainty') or 'Unknown'}", lang),
            "area": r.get("area_desc") or "",
            "onset": fmt_local_datetime(r.get("onset"), tz, lang), "onset_sort": _iso(r.get("onset")),
            "expires": (fmt_local_datetime(r["expires"], tz, lang) if r.get("expires") is not None
                        else t("wn_no_expiry", lang, h=rules.NO_EXPIRY_HOURS)),
            "expires_sort": _iso(r.get("expires")),
            "ended_kind": ended_kind, "ended": ended,
            "in_city": bool(r.get("in_city")), "city_label": t("wn_yes" if r.get("in_city") else "wn_no", lang),
            "in_force": in_force_at(r, now),
            "sender": r.get("sender") or "", "identifier": r.get("identifier") or "",
            "simulated": simulated, "source_label": t("wn_simulated", lang) if simulated else (r.get("sender") or ""),
            "description": description, "description_lang": description_lang,
            "instruction": instruction, "instruction_lang": instruction_lang,
            "tooltip": "\n".join(x for x in (pick(r, "headline", lang), description, instruction) if x)[:600],
        })
    return out


def enders_of(rows: list[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """``(sender, identifier) → msgType`` of the Cancel and Update messages among ``rows``."""
    return {(r["sender"], r["identifier"]): r["msg_type"] for r in rows if r.get("msg_type") in ("Cancel", "Update")}


def area_shapes(rows: list[Mapping[str, Any]], tz: ZoneInfo, lang: str,
                simulated_sources: Collection[str] = ()) -> list[dict[str, Any]]:
    """The areas of the warnings in force to draw, least severe first (the worst on top):
    ``kind`` ``polygon`` (``positions``: [lat, lon] pairs) or ``circle`` (``center``, ``radius``
    in metres), the severity's colours, a dashed outline for an exercise or a test, and the
    lines (label, text) of its tooltip and popup."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    shapes = []
    for r in sorted(rows, key=lambda r: order.get(r.get("severity"), len(SEVERITIES)), reverse=True):
        severity = r.get("severity") or "Unknown"
        colour, _text = severity_colour(severity)
        event = pick(r, "event", lang) or t("wn_no_event", lang)
        lines = [(t("wn_col_severity", lang), severity_label(severity, lang)),
                 (t("wn_col_urgency", lang), t(f"cap_urgency_{r.get('urgency') or 'Unknown'}", lang)),
                 (t("wn_col_certainty", lang), t(f"cap_certainty_{r.get('certainty') or 'Unknown'}", lang)),
                 (t("wn_col_onset", lang), fmt_local_datetime(r.get("onset"), tz, lang)),
                 (t("wn_col_expires", lang), fmt_local_datetime(ends_at(r), tz, lang))]
        if r.get("status") != "Actual":
            lines.insert(0, (t("wn_col_status", lang), t(f"cap_status_{r.get('status')}", lang)))
        if r.get("source") in simulated_sources:
            lines.append((t("wn_col_source", lang), t("wn_simulated", lang)))
        base = {"id": str(r["id"]), "severity": severity, "colour": colour, "event": event,
                "area": r.get("area_desc") or "", "dashed": r.get("status") != "Actual",
                "tooltip": f"{event} — {severity_label(severity, lang)}", "lines": lines}
        try:
            features = json.loads(r.get("areas") or "{}").get("features") or []
        except (ValueError, AttributeError):
            features = []
        for i, feature in enumerate(features):
            geometry = feature.get("geometry") or {}
            props = feature.get("properties") or {}
            shape = {**base, "key": f"{r['id']}-{i}", "area": props.get("desc") or base["area"]}
            if geometry.get("type") == "Polygon" and geometry.get("coordinates"):
                shapes.append({**shape, "kind": "polygon",
                               "positions": [[lat, lon] for lon, lat in geometry["coordinates"][0]]})
            elif geometry.get("type") == "Point" and props.get("radius_m") is not None:
                lon, lat = geometry["coordinates"]
                shapes.append({**shape, "kind": "circle", "center": [lat, lon], "radius": float(props["radius_m"])})
    return shapes


def in_force_items(rows: list[Mapping[str, Any]], tz: ZoneInfo, lang: str,
                   simulated_sources: Collection[str] = ()) -> list[dict[str, Any]]:
    """The warnings in force as list items (in the order given: most severe first)."""
    out = []
    for r in rows:
        severity = r.get("severity") or "Unknown"
        colour, text_colour = severity_colour(severity)
        instruction, instruction_lang = message_text(r, "instruction", lang)
        level = rules.level_for(severity, r.get("urgency") or "Unknown", r.get("certainty") or "Unknown")
        out.append({
            "id": str(r["id"]), "event": pick(r, "event", lang) or t("wn_no_event", lang),
            "headline": pick(r, "headline", lang), "area": r.get("area_desc") or "",
            "severity": severity, "severity_label": severity_label(severity, lang), "colour": colour,
            "text_colour": text_colour,
            "level": level_badge(level, lang, "wn_level_raises") if level and r.get("status") == "Actual" and r.get("in_city") else "",
            "until": t("wn_until", lang, time=fmt_local_datetime(ends_at(r), tz, lang)),
            "since": t("wn_since", lang, time=fmt_local_datetime(r.get("onset") or r["sent"], tz, lang)),
            "status": r.get("status"), "status_label": t(f"cap_status_{r.get('status')}", lang),
            "in_city": bool(r.get("in_city")), "simulated": r.get("source") in simulated_sources,
            "instruction": instruction, "instruction_lang": instruction_lang,
        })
    return out

