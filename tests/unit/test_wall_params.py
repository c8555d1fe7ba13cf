"""The wall's kiosk parameters (``rotate``, ``every``, ``kiosk``): what is used, what falls back
and the note that names a refused one; the strip kept for banners and the "unknown" stage
(pure: the layout is built, not served)."""

from __future__ import annotations

import pytest

from ioc.config import load_settings
from layouts import ids
from layouts.wall import layout, parse_kiosk_flag, parse_playlist_param, parse_rotation
from tests.component_tree import texts, walk

PAGES = ("wall", "overview", "traffic", "environment")


def test_a_good_playlist_and_interval_are_used_as_written() -> None:
    assert parse_rotation({"rotate": " Wall, TRAFFIC ,", "every": "45"}, PAGES) == ("wall,traffic", 45, [])
    assert parse_rotation({"every": "5"}, PAGES) == (None, 5, [])
    assert parse_rotation({"every": "3600"}, PAGES) == (None, 3600, [])
    assert parse_rotation({"every": ["3", "20"]}, PAGES) == (None, 20, [])  # repeated: the last, as ioc.js reads it
    assert parse_rotation({"rotate": "", "every": " "}, PAGES) == (None, None, [])  # empty: absent
    assert parse_playlist_param("wall,,Nowhere, traffic", PAGES) == (["wall", "nowhere", "traffic"], ["nowhere"])


def test_an_unknown_page_drops_the_whole_playlist_and_names_the_unknown_ones() -> None:
    rotate, every, problems = parse_rotation({"rotate": "nonsense"}, PAGES)
    assert (rotate, every) == (None, None)
    assert [(p.param, p.value, p.reason) for p in problems] == [("rotate", "nonsense", "reason_pages")]
    assert problems[0].message("en") == "Ignored rotate=nonsense: no page is called nonsense. Using: the fixed multi-panel wall."
    assert problems[0].message("vi") == ("Bỏ qua tham số rotate=nonsense: không có trang nào tên nonsense. "
                                         "Đang dùng: màn hình nhiều ô cố định.")
    # two good names out of four are not half used; the fallback is the deployment's playlist when it has one
    rotate, _, problems = parse_rotation({"rotate": "wall,nowhere,traffic,weather"}, PAGES, ("wall", "environment"))
    assert rotate is None
    assert problems[0].message("en") == ("Ignored rotate=wall,nowhere,traffic,weather: no page is called nowhere, "
                                         "weather. Using: the configured playlist (wall, environment).")
    assert problems[0].message("vi").endswith("Đang dùng: danh sách luân phiên đã cấu hình (wall, environment).")


def test_a_playlist_of_one_page_is_no_rotation() -> None:
    rotate, _, problems = parse_rotation({"rotate": "traffic,"}, PAGES)
    assert rotate is None
    assert problems[0].message("en") == ("Ignored rotate=traffic,: a rotation needs at least two pages. "
                                         "Using: the fixed multi-panel wall.")


@pytest.mark.parametrize("every", ["4", "0", "3601", "99999", "-5", "+20", "1_0", "20.5", "2e1", "٢٠", "abc", "20s"])
def test_an_interval_that_is_not_whole_seconds_from_5_to_3600_falls_back(every: str) -> None:
    rotate, seconds, problems = parse_rotation({"rotate": "wall,traffic", "every": every}, PAGES, default_every_s=45)
    assert (rotate, seconds) == ("wall,traffic", None)  # the playlist still rotates, at the default interval
    assert [(p.param, p.value) for p in problems] == [("every", every)]
    assert problems[0].message("en") == f"Ignored every={every}: expected whole seconds from 5 to 3600. Using: 45 seconds."


def test_the_interval_note_in_vietnamese_gives_the_deployment_default() -> None:
    problems = parse_rotation({"every": "2"}, PAGES, default_every_s=30)[2]
    assert problems[0].message("vi") == "Bỏ qua tham số every=2: cần số giây nguyên từ 5 đến 3600. Đang dùng: 30 giây."


def test_a_long_value_is_shortened_in_the_note() -> None:
    junk = "x" * 100
    message = parse_rotation({"rotate": junk}, PAGES)[2][0].message("en")
    assert message == f"Ignored rotate={'x' * 39}…: no page is called {'x' * 39}…. Using: the fixed multi-panel wall."


def test_the_kiosk_flag() -> None:
    assert [parse_kiosk_flag({"kiosk": v}) for v in ("1", "TRUE", "0", "false", " ")] == [None] * 5
    assert parse_kiosk_flag({}) is None
    problem = parse_kiosk_flag({"kiosk": "yes"})
    assert problem is not None and (problem.param, problem.value) == ("kiosk", "yes")
    assert problem.message("en") == "Ignored kiosk=yes: expected 1 or 0. Using: kiosk mode, the wall's default."
    assert problem.message("vi") == ("Bỏ qua tham số kiosk=yes: cần 1 hoặc 0. "
                                     "Đang dùng: chế độ kiosk, mặc định của màn hình điều hành.")


def _by_class(tree: object, name: str) -> list:
    return [c for c in walk(tree) if name in (getattr(c, "className", None) or "").split()]


def test_the_wall_always_keeps_its_notice_strip_above_the_header() -> None:
    settings = load_settings({"IOC_WALL_PLAYLIST": "wall,traffic", "IOC_WALL_ROTATE_SECONDS": "45"})
    quiet = layout(settings, False, ("feedback", "traffic"), PAGES)
    noisy = layout(settings, False, ("feedback", "traffic"), PAGES, lang="en", kiosk="maybe", rotate="nonsense", every="2")
    for page in (quiet, noisy):  # the same rows in the same order, with or without a note
        rows = [c for c in page.children if type(c).__name__ != "Store" and type(c).__name__ != "Interval"]
        assert [r.className for r in rows] == ["wall-notice", "wall-head", "wall-grid", "wall-foot"]
    assert _by_class(quiet, "wall-notice")[0].children.className == "banner-hidden"
    note = _by_class(noisy, "wall-notice")[0].children
    assert (note.id, note.className) == (ids.PAGE_ERRORS, "wall-note")
    assert [line.children for line in note.children] == [
        "Ignored kiosk=maybe: expected 1 or 0. Using: kiosk mode, the wall's default.",
        "Ignored rotate=nonsense: no page is called nonsense. Using: the configured playlist (wall, traffic).",
        "Ignored every=2: expected whole seconds from 5 to 3600. Using: 45 seconds.",
    ]
    assert (noisy.to_plotly_json()["props"]["data-rotate-url"], noisy.to_plotly_json()["props"]["data-every-url"]) == ("", "")


@pytest.mark.parametrize(("lang", "expected"), [
    ("vi", "? CẤP ? Không xác định Không nhận được số liệu từ máy chủ: chưa biết cấp độ hiện tại"),
    ("en", "? STAGE ? Unknown No answer from the server: the current stage is not known"),
])
def test_the_unknown_stage_sits_beside_the_live_one(lang: str, expected: str) -> None:
    page = layout(load_settings({}), False, ("feedback",), PAGES, lang=lang)
    slot, = _by_class(page, "wall-stage-slot")
    live, unknown = slot.children
    assert live.id == ids.WALL_STAGE
    assert unknown.className == "wall-stage stage-unknown"
    assert texts(unknown) == expected
