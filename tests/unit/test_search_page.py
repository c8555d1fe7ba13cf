"""The search page's layout and cards (layouts/search.py), built from records it is handed."""

from __future__ import annotations

from datetime import datetime

from ioc.config import load_settings
from ioc.kpi.search import Event, Found
from layouts import search
from tests.component_tree import ids, texts, walk


def when(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M")


def unit_name(code: str) -> str:
    return {"19753": "Phường Phú Xuân"}.get(code, code)


DOSSIER = Found("admin", "one-stop", "HS-1", "supplement_requested",
                {"procedure_code": "X.HT.02", "procedure_name": "Đăng ký kết hôn", "field": "ho_tich",
                 "level": "commune", "channel": "in_person", "unit_code": "19753",
                 "received_at": datetime(2026, 2, 11, 9), "due_at": datetime(2026, 2, 25, 9)},
                (Event(datetime(2026, 2, 11, 9), "received"), Event(datetime(2026, 2, 13, 12), "pause")))
VIOLATION = Found("traffic", "cam", "V-1", "paid", {"violation_type": "red_light", "vehicle_class": "car",
                                                     "channel": "camera", "fine_vnd": 4_000_000},
                  (Event(datetime(2026, 3, 1, 7, 30), "detected"),), plate="75A-123.**", description="", address="")


def test_the_page_has_the_box_filled_from_the_url_and_its_button() -> None:
    page = search.layout(load_settings({}), None, q="  V-1 ", lang="en")
    assert {search.SE_QUERY, search.SE_GO, search.SE_NOTE, search.SE_RESULTS, search.SE_FORM} <= ids(page)
    [box] = [c for c in walk(page) if getattr(c, "id", None) == search.SE_QUERY]
    assert box.value == "V-1"
    assert "Search records" in texts(page)


def test_an_over_long_query_in_the_url_reaches_the_callback_to_be_refused_there() -> None:
    page = search.layout(load_settings({}), None, q="x" * 5000)
    [box] = [c for c in walk(page) if getattr(c, "id", None) == search.SE_QUERY]
    assert len(box.value) == 201


def test_a_dossier_card_shows_its_facts_in_the_language_and_its_history() -> None:
    text = texts(search.record_card(DOSSIER, "vi", when, unit_name, hidden=False))
    for expected in ("Hồ sơ TTHC", "HS-1", "Yêu cầu bổ sung", "X.HT.02 · Đăng ký kết hôn", "Hộ tịch", "Cấp xã",
                     "Trực tiếp", "Phường Phú Xuân", "11/02/2026 09:00 Tiếp nhận",
                     "13/02/2026 12:00 Tạm dừng: yêu cầu bổ sung"):
        assert expected in text, expected


def test_a_violation_card_shows_the_plate_as_handed_and_hidden_data_says_so() -> None:
    text = texts(search.record_card(VIOLATION, "en", when, unit_name, hidden=False))
    assert "Plate" in text and "75A-123.**" in text and "4,000,000" in text and "Red light" in text
    hidden = Found("traffic", "cam", "V-1", "paid", {}, ())
    text = texts(search.record_card(hidden, "en", when, unit_name, hidden=True))
    assert "Plate" not in text and "Hidden (your role does not see personal data)" in text


def test_the_plates_heading_counts_all_and_shown() -> None:
    cards = search.result_cards([], [VIOLATION], 130, "75A-123.**", "en", when, unit_name, hidden=False)
    assert texts(cards[0]) == "Plate 75A-123.**: 130 violations (the newest 1 shown)"
    assert len(cards) == 2


def test_a_searched_id_goes_in_the_address_and_a_plate_never_does() -> None:
    from callbacks.search import query_url

    assert query_url(" hue_s/PA 1 ", "vi") == "?q=hue_s%2FPA+1&lang=vi"
    assert query_url("75A-123.45", "en") is None
    assert query_url("", "en") is None and query_url("x" * 500, "en") is None and query_url(None, "en") is None
