"""Reading CAP 1.2 (ioc.cap): messages shaped as Việt Nam's and other agencies' warnings are read
whole (polygons, circles, geocodes, several languages, references), expired ones are known as
such, and a message that breaks the standard is refused with where and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ioc.cap import CapError, parse_circle, parse_polygon, parse_time, read_alert, read_document

VN = timezone(timedelta(hours=7))

# A typhoon warning as the national hydro-meteorological centre would send it (shape of the
# NCHMF / WMO register's messages): two languages, a polygon over the coast of Huế and a circle
# around the storm's centre.
STORM = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>vn.nchmf.2026.TC.0012</identifier>
  <sender>nchmf.gov.vn</sender>
  <sent>2026-10-27T14:00:00+07:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Bão số 12</event>
    <responseType>Prepare</responseType>
    <responseType>Evacuate</responseType>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <eventCode><valueName>WMO_TC</valueName><value>TY</value></eventCode>
    <effective>2026-10-27T14:00:00+07:00</effective>
    <onset>2026-10-28T02:00:00+07:00</onset>
    <expires>2026-10-29T14:00:00+07:00</expires>
    <senderName>Trung tâm Dự báo khí tượng thủy văn quốc gia</senderName>
    <headline>Tin bão khẩn cấp: Bão số 12 hướng vào Huế – Quảng Trị</headline>
    <description>Hồi 13 giờ, vị trí tâm bão ở khoảng 16,9°N; 109,8°E. Gió mạnh cấp 12 &amp; giật cấp 15.</description>
    <instruction>Di dời dân khỏi vùng trũng; tàu thuyền vào nơi tránh trú.</instruction>
    <web>https://nchmf.gov.vn/</web>
    <parameter><valueName>WIND_BEAUFORT</valueName><value>12</value></parameter>
    <area>
      <areaDesc>Ven biển Thành phố Huế</areaDesc>
      <polygon>16.80,107.20 16.80,108.20 16.20,108.20 16.20,107.20 16.80,107.20</polygon>
      <geocode><valueName>VN_ADMIN_CODE</valueName><value>46</value></geocode>
    </area>
    <area>
      <areaDesc>Vùng gió mạnh quanh tâm bão</areaDesc>
      <circle>16.9,109.8 150</circle>
    </area>
  </info>
  <info>
    <language>en-US</language>
    <category>Met</category>
    <event>Typhoon No. 12</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <expires>2026-10-29T14:00:00+07:00</expires>
    <headline>Typhoon No. 12 heading for Huế – Quảng Trị</headline>
    <area><areaDesc>Coast of Huế</areaDesc></area>
  </info>
</alert>"""


def _replace(old: str, new: str, document: str = STORM) -> str:
    assert old in document, old
    return document.replace(old, new, 1)


def test_a_storm_warning_is_read_whole() -> None:
    alert = read_alert(STORM)
    assert (alert.identifier, alert.sender, alert.status, alert.msg_type, alert.scope) == (
        "vn.nchmf.2026.TC.0012", "nchmf.gov.vn", "Actual", "Alert", "Public")
    assert alert.sent == datetime(2026, 10, 27, 7, 0, tzinfo=UTC)
    vi, en = alert.infos
    assert (vi.language, vi.categories, vi.event, vi.urgency, vi.severity, vi.certainty) == (
        "vi-VN", ("Met",), "Bão số 12", "Expected", "Severe", "Likely")
    assert vi.response_types == ("Prepare", "Evacuate") and vi.event_codes == (("WMO_TC", "TY"),)
    assert vi.onset == datetime(2026, 10, 28, 2, 0, tzinfo=VN) and vi.expires == datetime(2026, 10, 29, 14, tzinfo=VN)
    assert "cấp 12 & giật" in vi.description and vi.parameter("WIND_BEAUFORT") == "12"
    coast, storm = vi.areas
    assert coast.desc == "Ven biển Thành phố Huế" and coast.geocodes == (("VN_ADMIN_CODE", "46"),)
    assert coast.polygons == (((16.8, 107.2), (16.8, 108.2), (16.2, 108.2), (16.2, 107.2), (16.8, 107.2)),)
    assert storm.circles[0].lat == 16.9 and storm.circles[0].lon == 109.8 and storm.circles[0].radius_km == 150
    assert alert.info("en") is en and alert.info("vi") is vi and alert.info("fr") is vi
    assert alert.expires() == datetime(2026, 10, 29, 14, tzinfo=VN)


# The same bulletin with the English info as complete as the Vietnamese one (NCHMF's English
# bulletins carry their own description and instruction).
STORM_EN_TEXTS = (
    "<description>At 13:00 the centre of the typhoon was near 16.9°N, 109.8°E. Winds force 12, "
    "gusts force 15.</description>\n"
    "    <instruction>Evacuate low-lying areas; vessels to take shelter.</instruction>\n"
    "    <web>https://nchmf.gov.vn/en/</web>")


def test_each_language_of_a_bulletin_keeps_its_own_description_and_instruction() -> None:
    alert = read_alert(_replace("<headline>Typhoon No. 12 heading for Huế – Quảng Trị</headline>",
                                "<headline>Typhoon No. 12 heading for Huế – Quảng Trị</headline>\n    "
                                + STORM_EN_TEXTS))
    vi, en = alert.info("vi"), alert.info("en")
    assert (vi.language, vi.description, vi.instruction) == (
        "vi-VN", "Hồi 13 giờ, vị trí tâm bão ở khoảng 16,9°N; 109,8°E. Gió mạnh cấp 12 & giật cấp 15.",
        "Di dời dân khỏi vùng trũng; tàu thuyền vào nơi tránh trú.")
    assert (en.language, en.description, en.instruction, en.web) == (
        "en-US", "At 13:00 the centre of the typhoon was near 16.9°N, 109.8°E. Winds force 12, gusts force 15.",
        "Evacuate low-lying areas; vessels to take shelter.", "https://nchmf.gov.vn/en/")
    # the bulletin as first written: its English info has no description or instruction
    plain = read_alert(STORM).info("en")
    assert (plain.description, plain.instruction) == ("", "")


def test_active_until_every_info_expired_and_only_actual_alerts_or_updates() -> None:
    alert = read_alert(STORM)
    assert alert.active(datetime(2026, 10, 29, 6, 59, tzinfo=UTC))
    assert not alert.active(datetime(2026, 10, 29, 7, 0, tzinfo=UTC))  # 14:00 in Huế: expired
    assert not read_alert(_replace("<status>Actual</status>", "<status>Exercise</status>")).active(
        datetime(2026, 10, 28, tzinfo=UTC))
    no_end = read_alert(STORM.replace("<expires>2026-10-29T14:00:00+07:00</expires>", ""))
    assert no_end.expires() is None and no_end.active(datetime(2030, 1, 1, tzinfo=UTC))


def test_an_update_and_a_cancel_name_the_message_they_follow() -> None:
    update = read_alert(_replace("<msgType>Alert</msgType>", "<msgType>Update</msgType>\n"
                                 "<references>nchmf.gov.vn,vn.nchmf.2026.TC.0011,2026-10-27T08:00:00+07:00 "
                                 "nchmf.gov.vn,vn.nchmf.2026.TC.0010,2026-10-26T20:00:00+07:00</references>")
                        .replace("<scope>Public</scope>\n", "").replace("</msgType>", "</msgType><scope>Public</scope>",
                                                                        1))
    assert [(r.identifier, r.sent.hour) for r in update.references] == [
        ("vn.nchmf.2026.TC.0011", 8), ("vn.nchmf.2026.TC.0010", 20)]
    with pytest.raises(CapError, match=r"^alert/references: required for msgType Cancel$"):
        read_alert(_replace("<msgType>Alert</msgType>", "<msgType>Cancel</msgType>"))


@pytest.mark.parametrize(("old", "new", "error"), [
    ("<identifier>vn.nchmf.2026.TC.0012</identifier>", "", r"^alert/identifier: required, missing or empty$"),
    ("<identifier>vn.nchmf.2026.TC.0012</identifier>", "<identifier>TC 12</identifier>",
     r"^alert/identifier: 'TC 12' holds a space"),
    ("<status>Actual</status>", "<status>Real</status>", r"^alert/status: 'Real' is not one of Actual, Exercise"),
    ("<scope>Public</scope>", "<scope>Restricted</scope>", r"^alert/restriction: required when scope is Restricted$"),
    ("<sent>2026-10-27T14:00:00+07:00</sent>", "<sent>2026-10-27T14:00:00</sent>",
     r"^alert/sent: '2026-10-27T14:00:00' has no offset from UTC"),
    ("<sent>2026-10-27T14:00:00+07:00</sent>", "<sent>27/10/2026 14:00</sent>",
     r"^alert/sent: '27/10/2026 14:00' is not a date and time"),
    ("<sent>2026-10-27T14:00:00+07:00</sent>", "<sent>0001-01-01T00:00:00+07:00</sent>",
     r"^alert/sent: .* is outside 1970–2100$"),
    ("<certainty>Likely</certainty>", "<certainty>Very Likely</certainty>",
     r"^alert/info\[1\]/certainty: 'Very Likely' is not one of"),
    ("<event>Bão số 12</event>", "", r"^alert/info\[1\]/event: required, missing or empty$"),
    ("<category>Met</category>", "<category>Weather</category>", r"^alert/info\[1\]/category: 'Weather' is not"),
    ("16.80,107.20 16.80,108.20 16.20,108.20 16.20,107.20 16.80,107.20", "16.80,107.20 16.80,108.20 16.20,108.20 16.20,107.20",
     r"^alert/info\[1\]/area\[1\]/polygon\[1\]: not closed"),
    ("16.80,107.20 16.80,108.20 16.20,108.20 16.20,107.20 16.80,107.20", "16.80,107.20 16.80,108.20 16.80,107.20",
     r"^alert/info\[1\]/area\[1\]/polygon\[1\]: 3 points"),
    ("16.80,107.20 16.80,108.20 16.20,108.20 16.20,107.20 16.80,107.20", "107.20,16.80 97.0,108.2 16.2,108.2 107.20,16.80",
     r"^alert/info\[1\]/area\[1\]/polygon\[1\]: '107.20,16.80' is outside latitude"),
    ("<circle>16.9,109.8 150</circle>", "<circle>16.9,109.8</circle>",
     r"^alert/info\[1\]/area\[2\]/circle\[1\]: '16.9,109.8' is not 'latitude,longitude radius'"),
    ("<circle>16.9,109.8 150</circle>", "<circle>16.9,109.8 -5</circle>",
     r"^alert/info\[1\]/area\[2\]/circle\[1\]: radius '-5' is not a distance"),
    ("<areaDesc>Vùng gió mạnh quanh tâm bão</areaDesc>", "", r"^alert/info\[1\]/area\[2\]/areaDesc: required"),
    ('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">', '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1">',
     r"^alert: namespace 'urn:oasis:names:tc:emergency:cap:1.1' is not CAP 1.2's"),
    ("<status>Actual</status>", "<status>Actual</status><status>Test</status>",
     r"^alert/status: given 2 times; at most once$"),
])
def test_a_message_that_breaks_the_standard_is_refused_with_where_and_why(old: str, new: str, error: str) -> None:
    with pytest.raises(CapError, match=error):
        read_alert(_replace(old, new))


def test_hostile_or_broken_xml_is_refused_before_it_is_read() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>')
    with pytest.raises(CapError, match=r"^alert: refused: .*DTDs and entities are not accepted"):
        read_alert(bomb)
    external = ('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>')
    with pytest.raises(CapError, match=r"^alert: refused"):
        read_alert(external)
    with pytest.raises(CapError, match=r"^alert: not well-formed XML"):
        read_alert(STORM[:400])
    with pytest.raises(CapError, match=r"^alert: .* bytes, more than the"):
        read_alert(" " * (4 * 1024 * 1024 + 1))
    with pytest.raises(CapError, match=r"^alert: the root element is <feed>, not a CAP <alert>"):
        read_alert('<feed xmlns="http://www.w3.org/2005/Atom"/>')


def test_shapes_and_times_on_their_own() -> None:
    assert parse_polygon(" 1,2 3,4\n5,6  1,2 ") == ((1.0, 2.0), (3.0, 4.0), (5.0, 6.0), (1.0, 2.0))
    assert parse_circle("16.46,107.59 0").radius_km == 0
    assert parse_time("2026-10-27T07:00:00Z") == datetime(2026, 10, 27, 7, tzinfo=UTC)
    for bad in ("nan,1 1,1 1,2 nan,1", "1;2 3,4 5,6 1;2"):
        with pytest.raises(CapError):
            parse_polygon(bad)


ATOM = f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:test:feed</id><title>Cảnh báo</title><updated>2026-10-27T14:00:00+07:00</updated>
  <entry><id>urn:1</id><title>Bão</title><updated>2026-10-27T14:00:00+07:00</updated>
    <content type="application/cap+xml">{STORM.split("?>", 1)[1]}</content></entry>
  <entry><id>urn:2</id><title>Lũ</title><updated>2026-10-27T14:00:00+07:00</updated>
    <link rel="alternate" type="application/cap+xml" href="https://example.test/cap/flood-7.xml"/></entry>
  <entry><id>urn:3</id><title>Hỏng</title><updated>2026-10-27T14:00:00+07:00</updated>
    <content type="application/cap+xml">{_replace("<event>Bão số 12</event>", "").split("?>", 1)[1]}</content></entry>
  <entry><id>urn:4</id><title>Trống</title><updated>2026-10-27T14:00:00+07:00</updated></entry>
</feed>"""


def test_an_atom_feed_gives_its_embedded_messages_its_links_and_what_it_could_not_read() -> None:
    feed = read_document(ATOM)
    assert [a.identifier for a in feed.alerts] == ["vn.nchmf.2026.TC.0012"]
    assert feed.links == ("https://example.test/cap/flood-7.xml",)
    assert feed.problems == ("feed/entry[3]/alert/info[1]/event: required, missing or empty",
                             "feed/entry[4]: no embedded CAP alert and no link to one")


def test_an_rss_feed_gives_its_links_and_a_lone_message_is_a_feed_of_one() -> None:
    rss = ('<rss version="2.0"><channel><title>CAP</title>'
           '<item><title>Flood</title><link>https://example.test/cap/1.xml</link></item>'
           '<item><title>No link</title></item></channel></rss>')
    feed = read_document(rss)
    assert feed.alerts == () and feed.links == ("https://example.test/cap/1.xml",)
    assert feed.problems == ("rss/item[2]: no link",)
    assert [a.identifier for a in read_document(STORM).alerts] == ["vn.nchmf.2026.TC.0012"]
    with pytest.raises(CapError, match=r"^document: <html> is neither a CAP <alert> nor an Atom or RSS feed$"):
        read_document("<html><body>Not found</body></html>")


def test_the_cap_sender_id_is_checked_at_start() -> None:
    from ioc.config import ConfigError, load_settings

    assert load_settings({}).cap_sender == "ioc.hue"
    assert load_settings({"IOC_CAP_SENDER": "ioc.hue.gov.vn"}).cap_sender == "ioc.hue.gov.vn"
    for bad in ("ioc hue", "ioc,hue", "a<b", "a&b"):
        with pytest.raises(ConfigError, match=r"^IOC_CAP_SENDER=.*: a CAP sender id has no spaces"):
            load_settings({"IOC_CAP_SENDER": bad})
