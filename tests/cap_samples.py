"""CAP 1.2 messages and feeds for tests: :func:`cap_message` writes one with the parts a test
names (the rest plausible), :func:`atom_feed` wraps messages and links in an Atom feed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

VN = timezone(timedelta(hours=7))
#: a polygon over the city (lat,lon pairs, closed) and one over Hà Nội
HUE_POLYGON = "16.80,107.20 16.80,108.10 16.20,108.10 16.20,107.20 16.80,107.20"
HANOI_POLYGON = "21.20,105.60 21.20,106.00 20.90,106.00 20.90,105.60 21.20,105.60"


def cap_time(value: datetime) -> str:
    return value.astimezone(VN).replace(microsecond=0).isoformat()


def cap_message(identifier: str, sent: datetime, *, sender: str = "kttv.hue.gov.vn", msg_type: str = "Alert",
                status: str = "Actual", severity: str = "Severe", urgency: str = "Expected",
                certainty: str = "Likely", expires: datetime | None = None, polygon: str | None = HUE_POLYGON,
                circle: str | None = None, geocode: str | None = None, references: str = "",
                event: str = "Lũ trên sông Hương", event_en: str = "Flood on the Hương river",
                area: str = "Sông Hương tại Kim Long", description: str = "Mực nước vượt báo động",
                description_en: str = "Water above alarm level", instruction: str = "",
                instruction_en: str = "", english: bool = True) -> str:
    """One CAP 1.2 message (vi and, unless not ``english``, en infos) as XML text; an empty
    instruction is left out."""
    shapes = "".join([f"<polygon>{polygon}</polygon>" if polygon else "",
                      f"<circle>{circle}</circle>" if circle else "",
                      f"<geocode><valueName>VN_ADMIN_CODE</valueName><value>{geocode}</value></geocode>"
                      if geocode else ""])
    ends = f"<expires>{cap_time(expires)}</expires>" if expires else ""
    refs = f"<references>{references}</references>" if references else ""

    def info(lang: str, name: str, desc: str, instr: str) -> str:
        instruction_xml = f"<instruction>{escape(instr)}</instruction>" if instr else ""
        return (f"<info><language>{lang}</language><category>Met</category><event>{escape(name)}</event>"
                f"<urgency>{urgency}</urgency><severity>{severity}</severity><certainty>{certainty}</certainty>"
                f"<onset>{cap_time(sent)}</onset>{ends}<headline>{escape(name)}</headline>"
                f"<description>{escape(desc)}</description>{instruction_xml}"
                f"<area><areaDesc>{escape(area)}</areaDesc>{shapes}</area></info>")

    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
            f"<identifier>{identifier}</identifier><sender>{sender}</sender><sent>{cap_time(sent)}</sent>"
            f"<status>{status}</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}"
            f"{info('vi-VN', event, description, instruction)}"
            f"{info('en-US', event_en, description_en, instruction_en) if english else ''}"
            "</alert>")


def reference(identifier: str, sent: datetime, sender: str = "kttv.hue.gov.vn") -> str:
    return f"{sender},{identifier},{cap_time(sent)}"


def atom_feed(messages: list[str] = (), links: list[str] = (), broken: list[str] = ()) -> str:
    """An Atom feed embedding ``messages``, linking to ``links``, and with ``broken`` entries
    (each embedding the given text as if it were a CAP alert)."""
    entries = [f"<entry><id>e{i}</id><content type=\"application/cap+xml\">{m.split('?>', 1)[-1]}</content></entry>"
               for i, m in enumerate(messages)]
    entries += [f'<entry><id>l{i}</id><link rel="alternate" type="application/cap+xml" href="{escape(href)}"/></entry>'
                for i, href in enumerate(links)]
    entries += [f"<entry><id>b{i}</id><content type=\"application/cap+xml\">{b}</content></entry>"
                for i, b in enumerate(broken)]
    return ('<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            "<id>urn:test:feed</id><title>CAP</title><updated>2026-11-01T00:00:00Z</updated>"
            + "".join(entries) + "</feed>")
