"""The warnings page's pure shaping (layouts/warnings_shaping.py) on hand-made rows and KPI sets."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from layouts import warnings as view
from layouts import warnings_shaping as shaping
from tests.component_tree import walk

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 10, 20, 3, 0)  # naive UTC: 10:00 in Huế
H = timedelta(hours=1)
POLYGON = {"type": "Feature", "properties": {"desc": "Sông Hương"},
           "geometry": {"type": "Polygon", "coordinates": [[[107.2, 16.8], [108.1, 16.8], [108.1, 16.2], [107.2, 16.8]]]}}
CIRCLE = {"type": "Feature", "properties": {"desc": "Ven biển", "radius_m": 12000.0},
          "geometry": {"type": "Point", "coordinates": [107.59, 16.46]}}


def row(ident: str, **extra: object) -> dict:
    base = {"id": len(ident), "sender": "kttv", "identifier": ident, "sent": NOW - 2 * H, "status": "Actual",
            "msg_type": "Alert", "event": "Lũ", "event_en": "Flood", "headline": "", "headline_en": "",
            "description": "Mực nước lên", "instruction": "Sơ tán", "severity": "Severe", "urgency": "Expected",
            "certainty": "Likely", "onset": NOW - 2 * H, "expires": NOW + 4 * H, "area_desc": "Huế",
            "areas": json.dumps({"type": "FeatureCollection", "features": [POLYGON]}), "in_city": True,
            "ended_at": None, "ended_by": None, "source": "kttv-hue"}
    return {**base, **extra}


def test_in_force_tile_names_the_highest_level_and_its_stage() -> None:
    kpis = {"in_force": 3, "in_force_by_level": {"warning": 2, "critical": 1}, "issued": 7,
            "issued_by_severity": {"Severe": 4, "Moderate": 3}, "cancelled": 2, "exercises": 1,
            "worst_in_force": {"event": "Bão", "event_en": "Typhoon", "severity": "Extreme", "level": "critical",
                               "area": "Ven biển", "expires": "2026-10-20T09:00:00Z"}}
    live, worst, issued, cancelled = shaping.tiles(kpis, HUE, "vi")
    assert (live.value, live.raw, live.state, live.colour) == ("3", 3, "bad", "#C62828")
    assert live.badge == "Cấp 4 · Báo động" and live.sub == "cấp 4: 1 · cấp 2: 2"
    assert (worst.value, worst.raw, worst.badge) == ("Bão", "Extreme", "Cực kỳ nguy hiểm")
    assert worst.sub == "Ven biển · đến 20/10/2026 16:00"  # 09:00 UTC is 16:00 in Huế
    assert (issued.value, issued.sub) == ("7", "4 nguy hiểm · 3 trung bình")
    assert (cancelled.value, cancelled.sub) == ("2", "Tin diễn tập, thử nghiệm trong kỳ: 1")
    en = shaping.tiles(kpis, HUE, "en")
    assert en[0].badge == "Stage 4 · Alert" and en[0].sub == "stage 4: 1 · stage 2: 2" and en[1].value == "Typhoon"


def test_no_warning_in_force_is_said_and_green() -> None:
    live, worst, issued, _ = shaping.tiles({"in_force": 0, "in_force_by_level": {}, "issued": 0, "cancelled": 0,
                                            "worst_in_force": None}, HUE, "en")
    assert (live.value, live.state, live.colour, live.sub, live.badge) == ("0", "good", "#1B7F3B",
                                                                           "No warning in force", "")
    assert (worst.raw, worst.state, worst.value) == (None, "none", "–")
    assert issued.sub == "No warning in the period"


def test_message_rows_in_local_time_with_what_ended_them() -> None:
    cancelled = row("a", ended_at=NOW - H, ended_by="a.cancel")
    updated = row("b", ended_at=NOW - H, ended_by="b.update", status="Exercise")
    cancel = row("a.cancel", msg_type="Cancel", sent=NOW - H)
    no_end = row("c", expires=None, sent=NOW - 30 * H, source="warnings-simulator")
    enders = shaping.enders_of([cancel, row("b.update", msg_type="Update")])
    rows = shaping.message_rows([cancel, cancelled, updated, no_end], HUE, "vi", NOW, {"warnings-simulator"}, enders)
    by = {r["identifier"]: r for r in rows}
    assert by["a"]["ended"] == "Đã hủy lúc 20/10/2026 09:00" and by["a"]["ended_kind"] == "cancel"
    assert by["b"]["ended"] == "Được cập nhật lúc 20/10/2026 09:00"
    assert (by["b"]["status_label"], by["b"]["exercise"]) == ("Diễn tập", True)
    assert (by["a.cancel"]["type_label"], by["a.cancel"]["in_force"]) == ("Hủy", False)
    assert by["a"]["sent"] == "20/10/2026 08:00" and by["a"]["sent_sort"] == "2026-10-20T01:00:00"
    # no expiry: in force 24 h after it was sent (30 h ago: no longer)
    assert by["c"]["expires"] == "Không ghi (hiệu lực 24 giờ)" and not by["c"]["in_force"]
    assert (by["c"]["simulated"], by["c"]["source_label"]) == (True, "MÔ PHỎNG")
    assert by["a"]["source_label"] == "kttv" and not by["a"]["simulated"]
    assert by["a"]["tooltip"] == "Mực nước lên\nSơ tán"
    assert shaping.message_rows([row("x", ended_by="gone", ended_at=NOW)], HUE, "en", NOW)[0]["ended"] == \
        "Ended at 20/10/2026 10:00"


def test_in_force_at_uses_expiry_the_default_and_the_end() -> None:
    assert shaping.in_force_at(row("a"), NOW)
    assert not shaping.in_force_at(row("a", expires=NOW), NOW)
    assert not shaping.in_force_at(row("a", ended_at=NOW - H), NOW)
    assert shaping.in_force_at(row("a", expires=None, sent=NOW - 23 * H), NOW)
    assert not shaping.in_force_at(row("a", msg_type="Cancel"), NOW)
    assert not shaping.in_force_at(row("a", sent=NOW + H), NOW)


def test_area_shapes_turn_geojson_into_polygons_and_circles_worst_last() -> None:
    storm = row("s", severity="Extreme", areas=json.dumps({"type": "FeatureCollection", "features": [CIRCLE]}))
    drill = row("d", severity="Minor", status="Test", source="sim")
    shapes = shaping.area_shapes([storm, row("f"), drill, row("bad", areas="{not json")], HUE, "vi", {"sim"})
    assert [(s["kind"], s["severity"]) for s in shapes] == [("polygon", "Minor"), ("polygon", "Severe"),
                                                            ("circle", "Extreme")]
    polygon = shapes[1]
    assert polygon["positions"][:2] == [[16.8, 107.2], [16.8, 108.1]] and polygon["area"] == "Sông Hương"
    assert (polygon["colour"], polygon["dashed"]) == ("#F57C00", False)
    circle = shapes[-1]
    assert (circle["center"], circle["radius"], circle["colour"]) == ([16.46, 107.59], 12000.0, "#C62828")
    assert circle["tooltip"] == "Lũ — Cực kỳ nguy hiểm"
    assert dict(circle["lines"])["Hết hiệu lực"] == "20/10/2026 14:00"
    test = dict(shapes[0]["lines"])
    assert shapes[0]["dashed"] and test["Tính chất"] == "Thử nghiệm" and test["Nguồn"] == "MÔ PHỎNG"
    layers = view.area_layers(shapes)
    assert [type(layer).__name__ for layer in layers] == ["Polygon", "Polygon", "Circle"]
    assert layers[0].dashArray == "8 6" and not hasattr(layers[1], "dashArray")
    assert layers[2].className == "wn-area wn-area-circle wn-sev-Extreme wn-area-id-1"


def test_in_force_items_name_the_alert_level_only_for_actual_city_warnings() -> None:
    items = shaping.in_force_items([row("a", severity="Extreme", urgency="Immediate", certainty="Observed"),
                                    row("b", status="Exercise"), row("c", in_city=False)], HUE, "en")
    assert [i["level"] for i in items] == ["Raises the city stage to: 5 · Crisis", "", ""]
    assert items[0]["until"] == "until 20/10/2026 14:00" and items[1]["status_label"] == "Exercise"


def test_version_key_is_the_one_the_browser_writes() -> None:
    assert view.version_key({"warnings": 4, "alerts": 9, "feedback": 1}) == "warnings:4,alerts:9"
    assert view.version_key({}) == "warnings:0,alerts:0"


ENGLISH = {"description_en": "Water rising", "instruction_en": "Evacuate"}


@pytest.mark.parametrize(("extra", "lang", "description", "instruction"), [
    (ENGLISH, "en", ("Water rising", "en"), ("Evacuate", "en")),
    (ENGLISH, "vi", ("Mực nước lên", "vi"), ("Sơ tán", "vi")),
    ({}, "en", ("Mực nước lên", "vi"), ("Sơ tán", "vi")),  # no English info: the Vietnamese text
    ({"description_en": "Water rising", "instruction_en": ""}, "en", ("Water rising", "en"), ("Sơ tán", "vi")),
    ({"description": "", "description_en": "Water rising"}, "vi", ("Water rising", "en"), ("Sơ tán", "vi")),
    ({"description": "", "instruction": ""}, "en", ("", "en"), ("", "en")),
])
def test_a_long_text_in_the_pages_language_else_in_the_other_and_which_it_is(
        extra: dict, lang: str, description: tuple, instruction: tuple) -> None:
    r = row("a", **extra)
    assert shaping.message_text(r, "description", lang) == description
    assert shaping.message_text(r, "instruction", lang) == instruction


def test_the_english_page_shows_the_english_texts_and_marks_a_vietnamese_one() -> None:
    both, vi_only = row("a", **ENGLISH), row("bb")
    rows = {r["identifier"]: r for r in shaping.message_rows([both, vi_only], HUE, "en", NOW)}
    a, b = rows["a"], rows["bb"]
    assert (a["description"], a["description_lang"], a["instruction"], a["instruction_lang"]) == (
        "Water rising", "en", "Evacuate", "en")
    assert a["tooltip"] == "Water rising\nEvacuate"
    assert (b["description"], b["description_lang"], b["instruction_lang"]) == ("Mực nước lên", "vi", "vi")
    english = view.detail(a, "en")
    texts = [c for c in walk(english) if getattr(c, "className", None) == "wn-detail-text"]
    assert [(p.lang, p.children) for p in texts] == [("en", ["Water rising"]), ("en", ["Evacuate"])]
    marked = [c for c in walk(view.detail(b, "en")) if getattr(c, "className", None) == "wn-detail-text"]
    assert [p.lang for p in marked] == ["vi", "vi"]
    mark, text = marked[0].children
    assert (mark.children, mark.lang, text) == (
        "In Vietnamese (the message has no English text):", "en", "Mực nước lên")
    # a language the browser sends back that is none of the page's: taken as the page's own
    forged = next(c for c in walk(view.detail({**a, "description_lang": "<b>"}, "en"))
                  if getattr(c, "className", None) == "wn-detail-text")
    assert forged.lang == "en" and forged.children == ["Water rising"]


def test_the_list_in_force_gives_the_instruction_in_the_pages_language_or_marks_it() -> None:
    items = shaping.in_force_items([row("a", **ENGLISH), row("bb")], HUE, "en")
    assert [(i["instruction"], i["instruction_lang"]) for i in items] == [("Evacuate", "en"), ("Sơ tán", "vi")]
    listed = [c for c in walk(view.in_force_list(items, "en")) if getattr(c, "className", None) == "wn-if-text"]
    assert [(p.lang, len(p.children)) for p in listed] == [("en", 1), ("vi", 2)]
    assert listed[1].children[0].children == "In Vietnamese (the message has no English text):"
