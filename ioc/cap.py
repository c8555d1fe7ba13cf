"""Common Alerting Protocol 1.2 (OASIS Standard, 1 July 2010): read a CAP message or a feed of
them, and write CAP (the IOC's own alerts, :mod:`ioc.cap_export`).

CAP is what meteorological and disaster agencies publish warnings in (an ``<alert>`` with one
``<info>`` per language, each with its ``<area>``\\ s). Reading is strict where the standard is
strict, so a warning that cannot be trusted is refused with where and why, never half-read:

- the namespace must be CAP 1.2's (``urn:oasis:names:tc:emergency:cap:1.2``);
- ``identifier``, ``sender``, ``sent``, ``status``, ``msgType`` and ``scope`` are required; an
  ``info`` needs ``category``, ``event``, ``urgency``, ``severity`` and ``certainty``; an ``area``
  needs ``areaDesc``; coded values must be among the standard's (``Very Likely``, dropped in
  1.1, is not);
- times carry their offset (``2026-10-27T14:00:00+07:00``; ``Z`` is read as +00:00);
- a polygon is at least four ``lat,lon`` pairs, the first and last the same; a circle is
  ``lat,lon radius`` in kilometres; coordinates are WGS 84 degrees within range;
- ``references`` is ``sender,identifier,sent`` triples separated by spaces.

Feeds: an Atom feed (RFC 4287) or RSS 2.0 channel whose entries embed a CAP ``<alert>`` (Atom
``content`` of type ``application/cap+xml``) or link to one (Atom ``link`` or RSS ``link``):
:func:`read_document` returns both. XML is parsed with ``defusedxml`` (no DTDs, no entities: a hostile
document cannot expand or reach files).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
#: a CAP message or a feed larger than this is refused before parsing
MAX_BYTES = 4 * 1024 * 1024

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE",
              "Other")
RESPONSE_TYPES = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
#: CAP's "restricted characters" in identifiers and sender ids, and whitespace and commas
_BAD_ID = re.compile(r"[\s,<&]")
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 12, 31, tzinfo=UTC)


class CapError(ValueError):
    """A CAP message or feed that cannot be read: ``where`` (``alert/info[1]/area[2]/polygon[1]``)
    and what is wrong there."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Circle:
    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True)
class Area:
    desc: str
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()  # each ring: (lat, lon) pairs, closed
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[tuple[str, str], ...] = ()  # (valueName, value)
    altitude: float | None = None
    ceiling: float | None = None


@dataclass(frozen=True)
class Info:
    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    response_types: tuple[str, ...] = ()
    audience: str = ""
    event_codes: tuple[tuple[str, str], ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    areas: tuple[Area, ...] = ()

    def expired(self, now: datetime) -> bool:
        """Whether this info no longer applies at ``now`` (aware)."""
        return self.expires is not None and self.expires <= now

    def parameter(self, name: str) -> str | None:
        return next((v for k, v in self.parameters if k == name), None)


@dataclass(frozen=True)
class Reference:
    sender: str
    identifier: str
    sent: datetime


@dataclass(frozen=True)
class CapAlert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    source: str = ""
    restriction: str = ""
    addresses: str = ""
    codes: tuple[str, ...] = ()
    note: str = ""
    references: tuple[Reference, ...] = ()
    incidents: str = ""
    infos: tuple[Info, ...] = field(default_factory=tuple)

    def info(self, lang: str) -> Info | None:
        """The info block in ``lang`` (``vi``/``en``: its ``language`` starts so), else the first."""
        for info in self.infos:
            if info.language.lower().split("-")[0] == lang:
                return info
        return self.infos[0] if self.infos else None

    def expires(self) -> datetime | None:
        """When the last of its infos expires (None: one of them has no end)."""
        ends = [i.expires for i in self.infos]
        return None if not ends or any(e is None for e in ends) else max(ends)  # type: ignore[type-var]

    def active(self, now: datetime) -> bool:
        """An actual alert or update with an info not expired at ``now`` (aware)."""
        return (self.status == "Actual" and self.msg_type in ("Alert", "Update")
                and any(not i.expired(now) for i in self.infos))


# --------------------------------------------------------------------------- reading


def _parse_xml(data: bytes | str, what: str) -> Element:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise CapError(what, f"{len(raw):,} bytes, more than the {MAX_BYTES:,} accepted")
    try:
        return SafeET.fromstring(raw)
    except DefusedXmlException as exc:
        raise CapError(what, f"refused: {type(exc).__name__} (DTDs and entities are not accepted)") from None
    except SafeET.ParseError as exc:
        raise CapError(what, f"not well-formed XML ({exc})") from None


def _local(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def read_alert(data: bytes | str) -> CapAlert:
    """One CAP 1.2 message (the document's root is its ``<alert>``)."""
    return alert_from_element(_parse_xml(data, "alert"))


def alert_from_element(root: Element, where: str = "alert") -> CapAlert:
    ns, name = _local(root.tag)
    if name != "alert":
        raise CapError(where, f"the root element is <{name}>, not a CAP <alert>")
    if ns != CAP_NS:
        raise CapError(where, f"namespace {ns or '(none)'!r} is not CAP 1.2's ({CAP_NS})")
    r = _Reader(root, where)
    status = r.coded("status", STATUSES)
    msg_type = r.coded("msgType", MSG_TYPES)
    scope = r.coded("scope", SCOPES)
    restriction = r.text("restriction")
    if scope == "Restricted" and not restriction:
        raise CapError(f"{where}/restriction", "required when scope is Restricted")
    addresses = r.text("addresses")
    if scope == "Private" and not addresses:
        raise CapError(f"{where}/addresses", "required when scope is Private")
    refs = r.text("references")
    if msg_type in ("Update", "Cancel", "Ack", "Error") and not refs:
        raise CapError(f"{where}/references", f"required for msgType {msg_type}")
    infos = tuple(_info(e, f"{where}/info[{i}]") for i, e in enumerate(r.all("info"), 1))
    return CapAlert(
        identifier=r.identifier("identifier"), sender=r.identifier("sender"), sent=r.time("sent", required=True),
        status=status, msg_type=msg_type, scope=scope, source=r.text("source"), restriction=restriction,
        addresses=addresses, codes=tuple(r.texts("code")), note=r.text("note"),
        references=_references(refs, f"{where}/references"), incidents=r.text("incidents"), infos=infos)


def _info(element: Element, where: str) -> Info:
    r = _Reader(element, where)
    categories = tuple(r.coded_all("category", CATEGORIES, required=True))
    return Info(
        language=r.text("language") or "en-US", categories=categories, event=r.text("event", required=True),
        urgency=r.coded("urgency", URGENCIES), severity=r.coded("severity", SEVERITIES),
        certainty=r.coded("certainty", CERTAINTIES), response_types=tuple(r.coded_all("responseType", RESPONSE_TYPES)),
        audience=r.text("audience"), event_codes=tuple(r.pairs("eventCode")), effective=r.time("effective"),
        onset=r.time("onset"), expires=r.time("expires"), sender_name=r.text("senderName"),
        headline=r.text("headline"), description=r.text("description"), instruction=r.text("instruction"),
        web=r.text("web"), contact=r.text("contact"), parameters=tuple(r.pairs("parameter")),
        areas=tuple(_area(e, f"{where}/area[{i}]") for i, e in enumerate(r.all("area"), 1)))


def _area(element: Element, where: str) -> Area:
    r = _Reader(element, where)
    altitude, ceiling = r.number("altitude"), r.number("ceiling")
    if ceiling is not None and altitude is None:
        raise CapError(f"{where}/ceiling", "given without an altitude")
    return Area(
        desc=r.text("areaDesc", required=True),
        polygons=tuple(parse_polygon(text, f"{where}/polygon[{i}]") for i, text in enumerate(r.texts("polygon"), 1)),
        circles=tuple(parse_circle(text, f"{where}/circle[{i}]") for i, text in enumerate(r.texts("circle"), 1)),
        geocodes=tuple(r.pairs("geocode")), altitude=altitude, ceiling=ceiling)


def _point(text: str, where: str) -> tuple[float, float]:
    lat_s, sep, lon_s = text.partition(",")
    try:
        if not sep:
            raise ValueError
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise CapError(where, f"{text!r} is not a 'latitude,longitude' pair") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise CapError(where, f"{text!r} is outside latitude −90..90, longitude −180..180")
    return lat, lon


def parse_polygon(text: str, where: str = "polygon") -> tuple[tuple[float, float], ...]:
    """``"lat,lon lat,lon …"``: at least four pairs, the first and the last the same."""
    points = tuple(_point(p, where) for p in text.split())
    if len(points) < 4:
        raise CapError(where, f"{len(points)} points; a polygon has at least 4 (the first repeated last)")
    if points[0] != points[-1]:
        raise CapError(where, "not closed: the first and the last points differ")
    return points


def parse_circle(text: str, where: str = "circle") -> Circle:
    """``"lat,lon radius"`` (radius in kilometres)."""
    parts = text.split()
    if len(parts) != 2:
        raise CapError(where, f"{text!r} is not 'latitude,longitude radius'")
    lat, lon = _point(parts[0], where)
    try:
        radius = float(parts[1])
    except ValueError:
        raise CapError(where, f"radius {parts[1]!r} is not a number") from None
    if not (math.isfinite(radius) and radius >= 0):
        raise CapError(where, f"radius {parts[1]!r} is not a distance in km")
    return Circle(lat, lon, radius)


def parse_time(text: str, where: str = "time") -> datetime:
    """A CAP dateTime with its offset (aware); between 1970 and 2100."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CapError(where, f"{text!r} is not a date and time such as 2026-10-27T14:00:00+07:00") from None
    if value.tzinfo is None:
        raise CapError(where, f"{text!r} has no offset from UTC (+07:00 in Việt Nam)")
    if not _EARLIEST <= value <= _LATEST:
        raise CapError(where, f"{text!r} is outside 1970–2100")
    return value


def _references(text: str, where: str) -> tuple[Reference, ...]:
    out = []
    for i, item in enumerate(text.split(), 1):
        parts = item.split(",")
        if len(parts) != 3:
            raise CapError(f"{where}[{i}]", f"{item!r} is not 'sender,identifier,sent'")
        out.append(Reference(parts[0], parts[1], parse_time(parts[2], f"{where}[{i}]")))
    return tuple(out)


class _Reader:
    """The CAP children of one element, read with the element's path for errors."""

    def __init__(self, element: Element, where: str) -> None:
        self.element, self.where = element, where

    def all(self, name: str) -> list[Element]:
        return self.element.findall(f"{{{CAP_NS}}}{name}")

    def texts(self, name: str) -> list[str]:
        return [(e.text or "").strip() for e in self.all(name) if (e.text or "").strip()]

    def text(self, name: str, required: bool = False) -> str:
        found = self.all(name)
        if len(found) > 1:
            raise CapError(f"{self.where}/{name}", f"given {len(found)} times; at most once")
        value = (found[0].text or "").strip() if found else ""
        if required and not value:
            raise CapError(f"{self.where}/{name}", "required, missing or empty")
        return value

    def identifier(self, name: str) -> str:
        value = self.text(name, required=True)
        if _BAD_ID.search(value):
            raise CapError(f"{self.where}/{name}", f"{value!r} holds a space, comma, '<' or '&'")
        return value

    def coded(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name, required=True)
        if value not in allowed:
            raise CapError(f"{self.where}/{name}", f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def coded_all(self, name: str, allowed: tuple[str, ...], required: bool = False) -> list[str]:
        values = self.texts(name)
        if required and not values:
            raise CapError(f"{self.where}/{name}", "required, missing or empty")
        for value in values:
            if value not in allowed:
                raise CapError(f"{self.where}/{name}", f"{value!r} is not one of {', '.join(allowed)}")
        return values

    def time(self, name: str, required: bool = False) -> datetime | None:
        value = self.text(name, required=required)
        return parse_time(value, f"{self.where}/{name}") if value else None

    def number(self, name: str) -> float | None:
        value = self.text(name)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            raise CapError(f"{self.where}/{name}", f"{value!r} is not a number") from None
        if not math.isfinite(number):
            raise CapError(f"{self.where}/{name}", f"{value!r} is not a number")
        return number

    def pairs(self, name: str) -> Iterable[tuple[str, str]]:
        for i, e in enumerate(self.all(name), 1):
            key = (e.findtext(f"{{{CAP_NS}}}valueName") or "").strip()
            value = (e.findtext(f"{{{CAP_NS}}}value") or "").strip()
            if not key:
                raise CapError(f"{self.where}/{name}[{i}]/valueName", "required, missing or empty")
            yield key, value


@dataclass(frozen=True)
class Feed:
    """What a feed holds: the CAP messages it embeds, the addresses of those it links to, and
    the entries that could not be read (``where: why``) — one bad entry never hides the rest."""

    alerts: tuple[CapAlert, ...]
    links: tuple[str, ...]
    problems: tuple[str, ...]


def read_document(data: bytes | str) -> Feed:
    """A CAP message, or an Atom or RSS feed of them (whichever the document is)."""
    root = _parse_xml(data, "document")
    ns, name = _local(root.tag)
    if name == "alert":
        return Feed((alert_from_element(root),), (), ())
    if (ns, name) == (ATOM_NS, "feed"):
        return _atom(root)
    if name == "rss":
        return _rss(root)
    raise CapError("document", f"<{name}> is neither a CAP <alert> nor an Atom or RSS feed")


def _atom(root: Element) -> Feed:
    alerts, links, problems = [], [], []
    for i, entry in enumerate(root.findall(f"{{{ATOM_NS}}}entry"), 1):
        where = f"feed/entry[{i}]"
        embedded = [e for e in entry.iter() if _local(e.tag) == (CAP_NS, "alert")]
        if embedded:
            try:
                alerts.append(alert_from_element(embedded[0], f"{where}/alert"))
            except CapError as exc:
                problems.append(str(exc))
            continue
        hrefs = [link.get("href", "") for link in entry.findall(f"{{{ATOM_NS}}}link")
                 if link.get("href") and (link.get("type") in (CAP_MEDIA_TYPE, "text/xml", "application/xml")
                                          or link.get("rel", "alternate") in ("alternate", "related"))]
        if hrefs:
            links.append(hrefs[0])
        else:
            problems.append(f"{where}: no embedded CAP alert and no link to one")
    return Feed(tuple(alerts), tuple(links), tuple(problems))


def _rss(root: Element) -> Feed:
    links, problems = [], []
    for i, item in enumerate(root.iter("item"), 1):
        href = (item.findtext("link") or "").strip()
        if href:
            links.append(href)
        else:
            problems.append(f"rss/item[{i}]: no link")
    return Feed((), tuple(links), tuple(problems))


# --------------------------------------------------------------------------- writing helpers


def cap_time(value: datetime, tz: Any = None) -> str:
    """A CAP dateTime: ``2026-10-27T14:00:00+07:00`` (naive values are UTC; shown in ``tz``)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if tz is not None:
        value = value.astimezone(tz)
    return value.replace(microsecond=0).isoformat()
