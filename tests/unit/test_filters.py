"""Declarative filters (ioc.kpi.filters): parse / serialise round trips, messages naming the key
and the value, URL building, and each family's declaration."""

from __future__ import annotations

from datetime import date

import pytest

from ioc.kpi.admin import ADMIN_FILTERS, AdminFilter
from ioc.kpi.environment import ENVIRONMENT_FILTERS
from ioc.kpi.feedback import CATEGORY, FEEDBACK_CHANNEL, FEEDBACK_FILTERS, FeedbackFilter
from ioc.kpi.filters import PERIOD, UNIT, BadFilterValue, Filter, Selection, parse_cli, parse_params
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
    (PERIOD, "2026-03-01/2026-02-01", "to: '2026-02-01' must be after from"),
])
def test_bad_values_name_the_key_and_the_value(flt: Filter, raw: object, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        flt.parse(raw)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, BadFilterValue) and caught.value.key in flt.url_keys + ("to",)


def test_empty_values_are_none_and_known_codes_are_checked() -> None:
    assert UNIT.parse("  ") is None and UNIT.parse(None) is None
    assert UNIT.parse(["474", "479"]) == "479"  # a repeated parameter: the last
    with pytest.raises(BadFilterValue, match="unit: '999' is not one of"):
        UNIT.parse("999", known={"474"})


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
    assert problems[0].message("en") == ("Parameter 'type' is not valid: 'parking' (not a known value). "
                                         "Using the default: all.")
    sel, problems = parse_params(ADMIN_FILTERS, {"unit": "999"}, TODAY, known={"unit": {"474"}})
    assert sel.unit is None and [(p.param, p.reason) for p in problems] == [("unit", "reason_choice")]


def test_old_district_links_still_work() -> None:
    """``?district=`` (links saved before the unit filter) is read as ``unit``; the URL written
    back says ``unit``; a ``unit`` given too wins; a bad old value is reported under its new key."""
    sel, problems = parse_params(FEEDBACK_FILTERS, {"from": "2024-01-01", "to": "2025-01-01", "district": "474"}, TODAY)
    assert problems == [] and sel.unit == "474" and sel.dims() == {"district_code": "474"}
    assert sel.search() == "?from=2024-01-01&to=2025-01-01&unit=474"
    assert parse_params(FEEDBACK_FILTERS, {"district": "474", "unit": "19753"}, TODAY)[0].unit == "19753"
    sel, problems = parse_params(FEEDBACK_FILTERS, {"district": "<b>"}, TODAY)
    assert sel.unit is None and [(p.param, p.reason) for p in problems] == [("unit", "reason_code")]


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
    assert Selection.of(FEEDBACK_FILTERS, MARCH).search("vi") == "?from=2026-03-01&to=2026-04-01&lang=vi"


def _qs(search: str) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return parse_qs(search.lstrip("?"))
