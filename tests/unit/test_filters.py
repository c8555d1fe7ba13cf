"""Declarative filters (ioc.kpi.filters): parse / serialise round trips, messages naming the key
and the value, URL building, and each family's declaration."""

from __future__ import annotations

from datetime import date

import pytest

from ioc.kpi.admin import ADMIN_FILTERS, AdminFilter
from ioc.kpi.environment import ENVIRONMENT_FILTERS
from ioc.kpi.feedback import CATEGORY, FEEDBACK_CHANNEL, FEEDBACK_FILTERS, FeedbackFilter
from ioc.kpi.filters import (
    PERIOD,
    UNIT,
    BadFilterValue,
    Filter,
    Problem,
    Selection,
    StoreCodes,
    parse_cli,
    parse_params,
)
from ioc.kpi.periods import FilterError, Period
from ioc.kpi.traffic import TRAFFIC_FILTERS, VEHICLE_CLASS, VIOLATION_TYPE, TrafficFilter

TODAY = date(2026, 11, 27)
MARCH = Period(date(2026, 3, 1), date(2026, 4, 1))
FAMILIES = {"feedback": FEEDBACK_FILTERS, "traffic": TRAFFIC_FILTERS, "admin": ADMIN_FILTERS,
            "environment": ENVIRONMENT_FILTERS}


@pytest.mark.parametrize(("flt", "value"), [
    (UNIT, "19753"), (FEEDBACK_CHANNEL, "hue_s"), (VIOLATION_TYPE, "red_light"), (VEHICLE_CLASS, "car"),
    (PERIOD, MARCH), (Filter("station", "env_station", kind="multi"), ("A1", "B-2")),
])
def test_parse_serialise_round_trip(flt: Filter, value: object) -> None:
    assert flt.parse(flt.serialise(value)) == value


@pytest.mark.parametrize(("flt", "raw", "message"), [
    (UNIT, "<b>", "unit: '<b>' is not a code"),
    (FEEDBACK_CHANNEL, "fax", "channel: 'fax' is not one of hue_s, "),
    (VIOLATION_TYPE, "parking", "type: 'parking' is not one of "),
    (PERIOD, ("2026-13-01", "2026-02-01"), "from: '2026-13-01' is not a date from 2000 to 2100 (expected YYYY-MM-DD)"),
    (PERIOD, "2026-03-01/2026-02-28", "to: '2026-02-28' is before from"),
])
def test_bad_values_name_the_key_and_the_value(flt: Filter, raw: object, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        flt.parse(raw)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, BadFilterValue) and caught.value.key in flt.url_keys + ("to",)


def test_empty_values_are_none_and_known_codes_are_checked() -> None:
    assert UNIT.parse("  ") is None and UNIT.parse(None) is None
    assert UNIT.parse(["474", "479"]) == "479"  # a repeated parameter: the last
    with pytest.raises(BadFilterValue, match="unit: '999' is not a known value"):
        UNIT.parse("999", known={"474"})


def test_codes_from_the_store_are_read_again_before_a_value_is_refused() -> None:
    """A cached vocabulary may lag a file imported a moment ago: a code it lacks is looked up in
    the store (the fresh read) before it is refused; a code in the cache costs no read."""
    store = ["lighting"]
    reads: list[int] = []

    def fresh() -> tuple[str, ...]:
        reads.append(1)
        return tuple(store)

    codes = StoreCodes(("lighting",), fresh)
    assert CATEGORY.parse("lighting", codes) == "lighting" and not reads
    store.append("live_probe")  # imported after the cache was filled
    assert CATEGORY.parse("live_probe", codes) == "live_probe" and len(reads) == 1
    with pytest.raises(BadFilterValue, match="category: 'zzz' is not a known value"):
        CATEGORY.parse("zzz", codes)
    sel, problems = parse_params(FEEDBACK_FILTERS, {"category": "live_probe"}, TODAY, {"category": codes})
    assert sel.category == "live_probe" and problems == []
    assert list(codes) == ["lighting"] and len(codes) == 1  # the options list what the cache holds


def test_a_period_runs_from_its_first_to_its_last_day_both_included() -> None:
    """``from`` / ``to`` are the days shown; inside, the period is [from, to + 1 day)."""
    assert PERIOD.parse("2026-12-02/2026-12-02") == Period(date(2026, 12, 2), date(2026, 12, 3))  # one day
    assert PERIOD.serialise(MARCH) == "2026-03-01/2026-03-31"
    assert PERIOD.url_pairs(MARCH) == [("from", "2026-03-01"), ("to", "2026-03-31")]
    sel, problems = parse_params(FEEDBACK_FILTERS, {"from": "2026-12-02", "to": "2026-12-02"}, date(2026, 12, 3))
    assert problems == [] and sel.period == Period(date(2026, 12, 2), date(2026, 12, 3))
    assert (sel.last_day, sel.search()) == (date(2026, 12, 2), "?from=2026-12-02&to=2026-12-02")
    # only one end given: the other is the default period's (the last 365 days, today included)
    assert parse_params(FEEDBACK_FILTERS, {"to": "2026-06-30"}, TODAY)[0].period == Period(
        date(2025, 11, 28), date(2026, 7, 1))
    assert parse_params(FEEDBACK_FILTERS, {"from": "2026-11-27"}, TODAY)[0].period == Period(TODAY, date(2026, 11, 28))
    # to before from: the default period, 'to' named
    sel, problems = parse_params(FEEDBACK_FILTERS, {"from": "2026-12-02", "to": "2026-12-01"}, date(2026, 12, 3))
    assert sel.period == Period(date(2025, 12, 4), date(2026, 12, 4))
    assert [(p.param, p.value, p.reason) for p in problems] == [("to", "2026-12-01", "reason_order")]
    assert problems[0].message("vi") == ("Bỏ qua tham số to=2026-12-01: trước ngày bắt đầu (from). "
                                         "Đang dùng: 12 tháng qua.")


def test_every_family_declares_its_period_first_and_unique_names() -> None:
    for family, filters in FAMILIES.items():
        assert filters[0] is PERIOD, family
        names = [f.name for f in filters]
        assert len(set(names)) == len(names), family
        assert all(f.column for f in filters[1:]), family  # every KPI filter is a SQL dimension


def test_selection_dims_attributes_and_repr() -> None:
    sel = FeedbackFilter(MARCH, unit="19753", channel="web")
    # a current commune (5 digits) constrains commune_code, a district-level unit (3) district_code
    assert sel.dims() == {"commune_code": "19753", "channel": "web"}
    assert FeedbackFilter(MARCH, unit="474").dims() == {"district_code": "474"}
    assert (sel.unit, sel.category, sel.channel) == ("19753", None, "web")
    assert repr(sel) == ("Selection(period=Period(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 4, 1)), "
                         "values=(('unit', '19753'), ('channel', 'web')))")  # the cache key: no functions in it
    assert TrafficFilter(MARCH, vehicle_class="car").dims() == {"vehicle_class": "car"}
    assert AdminFilter(MARCH, "commune", "474.01").dims() == {"level": "commune", "unit_code": "474.01"}
    assert sel.shifted(MARCH.previous()).period == MARCH.previous() and sel.shifted(MARCH).values == sel.values
    with pytest.raises(AttributeError):
        _ = sel.level
    with pytest.raises(TypeError, match="unknown filter 'level'"):
        FeedbackFilter(MARCH, level="district")
    with pytest.raises(FilterError, match="channel: 'fax' is not one of"):
        FeedbackFilter(MARCH, channel="fax")


def test_url_round_trip_for_every_family() -> None:
    cases = {
        "feedback": {"from": "2026-01-01", "to": "2026-11-27", "unit": "19753", "category": "lighting",
                     "channel": "hue_s"},
        "traffic": {"from": "2024-01-01", "to": "2024-02-01", "unit": "474", "type": "red_light",
                    "vehicle": "car", "channel": "camera"},
        "admin": {"from": "2026-01-01", "to": "2026-07-01", "level": "district", "unit": "474"},
    }
    for family, params in cases.items():
        sel, problems = parse_params(FAMILIES[family], params, TODAY)
        assert problems == [], family
        assert sel.search() == "?" + "&".join(f"{k}={v}" for k, v in params.items()), family
        assert parse_params(FAMILIES[family], {k: v[-1] for k, v in _qs(sel.search("en")).items()}, TODAY)[0] == sel


def test_url_problems_fall_back_and_are_reported() -> None:
    sel, problems = parse_params(TRAFFIC_FILTERS, {"type": "parking", "vehicle": "<x>", "unit": "479"}, TODAY)
    assert (sel.violation_type, sel.vehicle_class, sel.unit) == (None, None, "479")
    assert [(p.param, p.value, p.reason) for p in problems] == [("type", "parking", "reason_choice"),
                                                                 ("vehicle", "<x>", "reason_code")]
    assert problems[0].message("en") == "Ignored type=parking: no such violation. Using: all."
    assert problems[0].message("vi") == "Bỏ qua tham số type=parking: không có hành vi vi phạm này. Đang dùng: tất cả."
    assert problems[1].message("en") == "Ignored vehicle=<x>: not a valid code. Using: all."
    sel, problems = parse_params(ADMIN_FILTERS, {"unit": "999"}, TODAY, known={"unit": {"474"}})
    assert sel.unit is None and [(p.param, p.reason) for p in problems] == [("unit", "reason_choice")]


def test_values_not_in_the_vocabulary_are_named_with_the_filter_and_dropped() -> None:
    """``?category=zzz`` / ``?district=999``: well-formed codes the page does not know. Each is
    ignored (the filter shows all) and named in the page's language, as it was given."""
    known = {"category": ("lighting", "waste"), "unit": {"19753", "474"}}
    sel, problems = parse_params(FEEDBACK_FILTERS, {"category": "zzz", "district": "999", "channel": "fax"},
                                 TODAY, known)
    assert (sel.unit, sel.category, sel.channel) == (None, None, None)
    assert [(p.param, p.value) for p in problems] == [("district", "999"), ("category", "zzz"), ("channel", "fax")]
    assert [p.message("vi") for p in problems] == [
        "Bỏ qua tham số district=999: không có xã, phường này. Đang dùng: tất cả.",
        "Bỏ qua tham số category=zzz: không có lĩnh vực này. Đang dùng: tất cả.",
        "Bỏ qua tham số channel=fax: không có kênh tiếp nhận này. Đang dùng: tất cả.",
    ]
    assert [p.message("en") for p in problems] == [
        "Ignored district=999: no such commune / ward. Using: all.",
        "Ignored category=zzz: no such category. Using: all.",
        "Ignored channel=fax: no such channel. Using: all.",
    ]
    sel, problems = parse_params(FEEDBACK_FILTERS, {"category": "waste", "unit": "19753"}, TODAY, known)
    assert problems == [] and (sel.unit, sel.category) == ("19753", "waste")


def test_a_refused_value_is_shown_as_plain_short_text() -> None:
    """Markup stays characters (the banner renders text), control characters become blanks, and
    a long value is cut to 40 characters with "…"."""
    long = "<img src=x onerror=alert(1)>" + "z" * 200
    sel, problems = parse_params(FEEDBACK_FILTERS, {"category": long, "from": "2026-13-40\n\t<b>"}, TODAY)
    assert sel.category is None
    shown = [p.message("en") for p in problems]
    assert shown[0] == "Ignored from=2026-13-40 <b>: not a date YYYY-MM-DD from 2000 to 2100. Using: 2025-11-28."
    assert shown[1] == f"Ignored category={long[:39]}…: not a valid code. Using: all."
    assert Problem("x", "a\nb\x00c   d", "reason_code", "default_all").message("en") == (
        "Ignored x=a b c d: not a valid code. Using: all.")


def test_old_district_links_still_work() -> None:
    """``?district=`` (links saved before the unit filter) is read as ``unit``; the URL written
    back says ``unit``; a ``unit`` given too wins; a bad old value is reported as it was given."""
    sel, problems = parse_params(FEEDBACK_FILTERS, {"from": "2024-01-01", "to": "2024-12-31", "district": "474"}, TODAY)
    assert problems == [] and sel.unit == "474" and sel.dims() == {"district_code": "474"}
    assert sel.search() == "?from=2024-01-01&to=2024-12-31&unit=474"
    assert parse_params(FEEDBACK_FILTERS, {"district": "474", "unit": "19753"}, TODAY)[0].unit == "19753"
    sel, problems = parse_params(FEEDBACK_FILTERS, {"district": "<b>"}, TODAY)
    assert sel.unit is None and [(p.param, p.reason) for p in problems] == [("district", "reason_code")]


def test_cli_values_by_name_or_alias() -> None:
    assert parse_cli(TRAFFIC_FILTERS, {"district": "474", "category": "red_light", "channel": None}) == {
        "unit": "474", "violation_type": "red_light"}  # --district: the unit filter's older name
    assert parse_cli(FEEDBACK_FILTERS, {"unit": "19753"}) == {"unit": "19753"}
    with pytest.raises(FilterError, match="--channel: 'fax' is not one of camera, citizen"):
        parse_cli(TRAFFIC_FILTERS, {"channel": "fax"})
    with pytest.raises(FilterError, match=r"--level does not apply here \(filters: --unit, --category"):
        parse_cli(FEEDBACK_FILTERS, {"level": "district"})


def test_options_static_from_data_and_current_value_kept() -> None:
    opts = FEEDBACK_CHANNEL.options("en")
    assert opts[0] == {"label": "Hue-S app", "value": "hue_s"} and len(opts) == 5
    assert CATEGORY.options("vi", data=["lighting"], current="nope")[-1] == {"label": "nope", "value": "nope"}
    assert UNIT.options("vi", data=[("474", "TP Huế")]) == [{"label": "TP Huế", "value": "474"}]
    assert Selection.of(FEEDBACK_FILTERS, MARCH).search("vi") == "?from=2026-03-01&to=2026-03-31&lang=vi"


def _qs(search: str) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return parse_qs(search.lstrip("?"))
