"""The IOC's own alerts as CAP 1.2, for other systems to take (``GET /cap/alerts.xml``).

Each alert episode (:class:`ioc.alerts.Alert`) is one CAP message:

- **active**: ``msgType`` Alert, ``sent`` when it started; one ``info`` in Vietnamese and one in
  English (the same line as the wall's ticker), ``effective``/``onset`` its start;
- **ended** (within :data:`ENDED_KEPT`): ``msgType`` Cancel, sent when it ended, whose
  ``references`` names the Alert message (a receiver drops it);
- ``identifier`` ``<sender>.alert.<id>`` (and ``….cancel`` for the Cancel); ``sender``
  ``IOC_CAP_SENDER``;
- ``status`` **Test** when the alert's family is fed by a simulator (simulated data must never
  be taken for a real warning), else Actual;
- ``scope`` Restricted: they are operational alerts of the city's operations centre (source
  failures, surges), not public warnings;
- ``severity`` from the alert's level (info → Minor, warning → Moderate, high → Severe,
  critical and emergency → Extreme), ``urgency`` Immediate from critical up, else Expected;
  ``certainty`` Observed (measured, not forecast);
- official warnings read from another sender's CAP (kind ``cap_warning``) are left out: they
  are that sender's messages, and republishing them would echo between two IOCs;
- ``category`` by family (environment → Env, traffic → Transport, flood → Met, vessels →
  Safety, a source's failure → Infra,
  others → Other); parameters ``IOC_FAMILY``, ``IOC_KIND``, ``IOC_LEVEL`` and ``IOC_KEY``;
- ``area``: a station's position as a 2 km circle, a commune by its code (geocode
  ``VN_ADMIN_CODE``), else the whole city (code 46, Huế).

The feed is Atom (RFC 4287) with each message inline (``content`` of type
``application/cap+xml``) and a link to it alone (``/cap/alerts/<identifier>.xml``), the shape
:func:`ioc.cap.read_document` reads: one IOC can take another's alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from ioc.cap import ATOM_NS, CAP_MEDIA_TYPE, CAP_NS, cap_time
from ioc.i18n import t
from ioc.i18n_alerts import describe

#: ended alerts stay in the feed (as Cancel messages) this long
ENDED_KEPT = timedelta(hours=24)
STATION_RADIUS_KM = 2.0
CITY_CODE = "46"  # Huế (GSO code of the former Thừa Thiên Huế province)
LANGUAGES = (("vi", "vi-VN"), ("en", "en-US"))
SEVERITY = {"info": "Minor", "warning": "Moderate", "high": "Severe", "critical": "Extreme", "emergency": "Extreme"}
CATEGORY = {"environment": "Env", "traffic": "Transport", "flood": "Met", "vessels": "Safety"}
#: alert kinds that are someone else's CAP message already (an official warning read from a
#: feed): never published again under the IOC's sender, or two IOCs reading each other's feeds
#: would echo every warning back and forth as new messages
NOT_REPUBLISHED = frozenset({"cap_warning"})


def exportable(alert: Any) -> bool:
    """Whether ``alert`` is published in the IOC's CAP feed (see :data:`NOT_REPUBLISHED`)."""
    return alert.kind not in NOT_REPUBLISHED


SOURCE_KINDS = ("source_failed", "source_stale")
HEADLINE_MAX = 160  # CAP: "should be less than 160 characters"

ET.register_namespace("", ATOM_NS)
ET.register_namespace("cap", CAP_NS)


@dataclass(frozen=True)
class Publisher:
    """Who sends, where the alerts page is, and what marks a family simulated."""

    sender: str
    sender_name: dict[str, str]
    base_url: str
    tz: ZoneInfo
    simulated_families: frozenset[str] = frozenset()


def identifier(publisher: Publisher, alert: Any, cancel: bool = False) -> str:
    return f"{publisher.sender}.alert.{alert.id}" + (".cancel" if cancel else "")


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _pair(parent: ET.Element, name: str, key: str, value: str) -> None:
    element = _sub(parent, name)
    _sub(element, "valueName", key)
    _sub(element, "value", value)


def _both(key: str) -> str:
    return f"{t(key, 'vi')} / {t(key, 'en')}"


def message(publisher: Publisher, alert: Any, stations: Mapping[str, tuple[float, float]],
            units: Mapping[str, str], cancel: bool | None = None) -> ET.Element:
    """The CAP ``<alert>`` of one episode: its Alert message, or (``cancel``; default: once it
    ended) the Cancel message that ends it."""
    root = ET.Element(f"{{{CAP_NS}}}alert")
    ended = alert.ended_at is not None if cancel is None else cancel
    if ended and alert.ended_at is None:
        raise ValueError(f"alert {alert.id} has not ended: it has no Cancel message")
    _sub(root, "identifier", identifier(publisher, alert, cancel=ended))
    _sub(root, "sender", publisher.sender)
    _sub(root, "sent", cap_time(alert.ended_at if ended else alert.started_at, publisher.tz))
    _sub(root, "status", "Test" if alert.family in publisher.simulated_families else "Actual")
    _sub(root, "msgType", "Cancel" if ended else "Alert")
    _sub(root, "source", "IOC")
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", _both("cap_restriction"))
    if alert.family in publisher.simulated_families:
        _sub(root, "note", _both("cap_simulated_note"))
    if ended:
        _sub(root, "references", f"{publisher.sender},{identifier(publisher, alert)},"
                                 f"{cap_time(alert.started_at, publisher.tz)}")
        return root
    for lang, code in LANGUAGES:
        root.append(_info(publisher, alert, lang, code, stations, units))
    return root


def _info(publisher: Publisher, alert: Any, lang: str, code: str, stations: Mapping[str, tuple[float, float]],
          units: Mapping[str, str]) -> ET.Element:
    info = ET.Element(f"{{{CAP_NS}}}info")
    _sub(info, "language", code)
    category = "Infra" if alert.kind in SOURCE_KINDS else CATEGORY.get(alert.family, "Other")
    _sub(info, "category", category)
    kind_label = t(f"alert_kind_{alert.kind}", lang)
    _sub(info, "event", kind_label)
    _sub(info, "responseType", "Monitor")
    _sub(info, "urgency", "Immediate" if alert.rank >= 4 else "Expected")
    _sub(info, "severity", SEVERITY.get(alert.level, "Unknown"))
    _sub(info, "certainty", "Observed")
    _pair(info, "eventCode", "IOC", f"{alert.family}.{alert.kind}")
    started = cap_time(alert.started_at, publisher.tz)
    _sub(info, "effective", started)
    _sub(info, "onset", started)
    _sub(info, "senderName", publisher.sender_name.get(lang) or publisher.sender)
    line = describe(alert, lang, publisher.tz)
    _sub(info, "headline", line if len(line) <= HEADLINE_MAX else line[:HEADLINE_MAX - 1] + "…")
    _sub(info, "description", line)
    _sub(info, "web", f"{publisher.base_url.rstrip('/')}/alerts?lang={lang}")
    for key, value in (("IOC_FAMILY", alert.family), ("IOC_KIND", alert.kind), ("IOC_LEVEL", alert.level),
                       ("IOC_KEY", str(alert.key))):
        _pair(info, "parameter", key, value)
    info.append(_area(alert, lang, stations, units))
    return info


def _area(alert: Any, lang: str, stations: Mapping[str, tuple[float, float]], units: Mapping[str, str]) -> ET.Element:
    area = ET.Element(f"{{{CAP_NS}}}area")
    key = str(alert.key)
    if alert.family == "environment" and key in stations:
        lat, lon = stations[key]
        _sub(area, "areaDesc", alert.subject or key)
        _sub(area, "circle", f"{lat:.5f},{lon:.5f} {STATION_RADIUS_KM:g}")
    elif key in units:
        _sub(area, "areaDesc", units[key])
        _pair(area, "geocode", "VN_ADMIN_CODE", key)
    else:
        _sub(area, "areaDesc", t("cap_area_city", lang))
        _pair(area, "geocode", "VN_ADMIN_CODE", CITY_CODE)
    return area


def places(engine: Engine, alerts: Iterable[Any]) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """The stations' positions and the units' names the alerts' areas need."""
    from ioc.store import schema
    from ioc.store.schema_environment import env_stations

    keys = {str(a.key) for a in alerts}
    stations: dict[str, tuple[float, float]] = {}
    units: dict[str, str] = {}
    if not keys:
        return stations, units
    with engine.connect() as conn:
        rows = conn.execute(select(env_stations.c.station_id, env_stations.c.lat, env_stations.c.lon)
                            .where(env_stations.c.station_id.in_(sorted(keys))))
        stations = {r.station_id: (float(r.lat), float(r.lon)) for r in rows if r.lat is not None and r.lon is not None}
        for code, name in conn.execute(select(schema.units.c.code, schema.units.c.name)
                                       .where(schema.units.c.code.in_(sorted(keys)))
                                       .order_by(schema.units.c.valid_from)):
            units[code] = name  # the latest version names it
    return stations, units


def feed(publisher: Publisher, alerts: list[Any], engine: Engine, now: datetime, self_url: str) -> bytes:
    """The Atom feed of ``alerts`` (active ones and those ended within :data:`ENDED_KEPT`)."""
    stations, units = places(engine, alerts)
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    ET.SubElement(root, f"{{{ATOM_NS}}}id").text = f"urn:ioc:{publisher.sender}:alerts"
    ET.SubElement(root, f"{{{ATOM_NS}}}title").text = t("cap_feed_title", "vi")
    ET.SubElement(root, f"{{{ATOM_NS}}}updated").text = cap_time(now, publisher.tz)
    author = ET.SubElement(root, f"{{{ATOM_NS}}}author")
    ET.SubElement(author, f"{{{ATOM_NS}}}name").text = publisher.sender_name.get("vi") or publisher.sender
    ET.SubElement(root, f"{{{ATOM_NS}}}link", rel="self", href=self_url, type="application/atom+xml")
    for alert in (a for a in alerts if exportable(a)):
        cap = message(publisher, alert, stations, units)
        ended = alert.ended_at is not None
        entry = ET.SubElement(root, f"{{{ATOM_NS}}}entry")
        ident = identifier(publisher, alert, cancel=ended)
        ET.SubElement(entry, f"{{{ATOM_NS}}}id").text = f"urn:ioc:{ident}"
        ET.SubElement(entry, f"{{{ATOM_NS}}}title").text = (
            f"[{t('cap_cancelled', 'vi')}] " if ended else "") + describe(alert, "vi", publisher.tz)
        ET.SubElement(entry, f"{{{ATOM_NS}}}updated").text = cap_time(alert.ended_at or alert.started_at, publisher.tz)
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", type=CAP_MEDIA_TYPE,
                      href=f"{publisher.base_url.rstrip('/')}/cap/alerts/{ident}.xml")
        ET.SubElement(entry, f"{{{ATOM_NS}}}content", type=CAP_MEDIA_TYPE).append(cap)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def document(publisher: Publisher, alert: Any, engine: Engine, cancel: bool = False) -> bytes:
    """One alert's CAP message alone: its Alert, or its Cancel (``cancel``; only once it ended)."""
    stations, units = places(engine, [alert])
    return ET.tostring(message(publisher, alert, stations, units, cancel=cancel), encoding="utf-8",
                       xml_declaration=True)


def parse_identifier(publisher: Publisher, text: str) -> tuple[int, bool] | None:
    """(alert id, whether the Cancel) of an identifier :func:`identifier` wrote; None otherwise."""
    prefix = f"{publisher.sender}.alert."
    if not text.startswith(prefix):
        return None
    rest = text.removeprefix(prefix)
    cancel = rest.endswith(".cancel")
    number = rest.removesuffix(".cancel")
    if not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    return int(number), cancel
