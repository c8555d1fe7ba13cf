"""The filter callbacks' plain logic (callbacks.filter_state), called directly: controls → selection
and URL, presets ⇄ dates ⇄ reset, nav links, the CSV text and file names."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from callbacks.filter_state import (
    KEEP,
    period_sync,
    selection_from_controls,
    url_search,
)
from ioc.kpi.admin import ADMIN_FILTERS
from ioc.kpi.feedback import FEEDBACK_FILTERS
from ioc.kpi.traffic import TRAFFIC_FILTERS
from layouts.controls import FilterBar
from layouts.exports import csv_text, export_filename

TODAY = date(2026, 11, 27)


def test_controls_give_the_selection_and_the_url() -> None:
    sel = selection_from_controls(FEEDBACK_FILTERS, TODAY, "2026-01-01", "2026-01-31", "19753", None, "web")
    assert (sel.start, sel.end, sel.last_day) == (date(2026, 1, 1), date(2026, 2, 1), date(2026, 1, 31))
    assert (sel.unit, sel.category, sel.channel) == ("19753", None, "web")
    # the URL's ``to`` is the picker's last day (included), not the day after
    assert url_search(FEEDBACK_FILTERS, TODAY, "vi", "2024-01-01", "2024-12-31", "474", None, None) == (
        "?from=2024-01-01&to=2024-12-31&unit=474&lang=vi")
    assert url_search(TRAFFIC_FILTERS, TODAY, "en", "2026-01-01T00:00:00", "2026-01-31", None, "red_light", None,
                      "camera") == "?from=2026-01-01&to=2026-01-31&type=red_light&channel=camera&lang=en"
    assert url_search(ADMIN_FILTERS, TODAY, "vi", "2026-01-01", "2026-06-30", "district", "474") == (
        "?from=2026-01-01&to=2026-06-30&level=district&unit=474&lang=vi")
    # one day picked: from == to, that day
    one = selection_from_controls(FEEDBACK_FILTERS, TODAY, "2026-11-02", "2026-11-02", None, None, None)
    assert (one.start, one.end) == (date(2026, 11, 2), date(2026, 11, 3))
    assert one.search() == "?from=2026-11-02&to=2026-11-02"


def test_bad_or_missing_controls_fall_back() -> None:
    sel = selection_from_controls(FEEDBACK_FILTERS, TODAY, None, "2026-01-31", "<b>", None, "fax")
    assert (sel.start, sel.end) == (date(2025, 11, 28), date(2026, 11, 28))  # the last 365 days
    assert (sel.unit, sel.channel) == (None, None)
    sel = selection_from_controls(ADMIN_FILTERS, TODAY, "2026-03-01", "not a date", "ward", None)
    assert sel.period.end == date(2026, 11, 28) and sel.level is None


def test_period_presets_dates_and_reset() -> None:
    # a preset sets the dates, the other filters stay
    assert period_sync("preset", "30", None, None, TODAY, 3) == (KEEP, "2026-10-29", "2026-11-27", KEEP, KEEP, KEEP)
    assert period_sync("preset", "custom", "2026-01-01", "2026-01-02", TODAY, 2) == (KEEP,) * 5
    # edited dates select the matching preset, or custom
    assert period_sync("dates", "custom", "2026-11-01", "2026-11-27", TODAY, 1) == ("month", KEEP, KEEP, KEEP)
    assert period_sync("dates", "30", "2026-11-02", "2026-11-27", TODAY, 1) == ("custom", KEEP, KEEP, KEEP)
    assert period_sync("dates", "month", "2026-11-01", "2026-11-27", TODAY, 1) == (KEEP,) * 4
    assert period_sync("dates", "30", None, "2026-11-27", TODAY, 1) == (KEEP,) * 4
    # reset: the last 365 days and every filter cleared
    assert period_sync("reset", "7", "2026-11-21", "2026-11-27", TODAY, 4) == (
        "365", "2025-11-28", "2026-11-27", None, None, None, None)


def test_a_live_notice_rolls_a_rolling_preset_over_midnight_only() -> None:
    assert period_sync("version", "7", "2026-11-21", "2026-11-27", TODAY, 1) == (KEEP,) * 4  # same day
    assert period_sync("version", "7", "2026-11-20", "2026-11-26", TODAY, 1) == (
        KEEP, "2026-11-21", "2026-11-27", KEEP)  # the day rolled over
    assert period_sync("version", "custom", "2026-11-20", "2026-11-26", TODAY, 1) == (KEEP,) * 4


def test_export_rows_and_file_name() -> None:
    """The CSV text and file name the export URLs and the overview's button give."""
    frame = pd.DataFrame({"Mã": ["474", "=cmd()"], "n": [3, 4]})
    # the period [1 Jan, 1 Feb): the file is named by its first and last day, as the picker shows them
    assert export_filename("phan-anh_theo-dia-ban", date(2026, 1, 1), date(2026, 2, 1)) == (
        "phan-anh_theo-dia-ban_2026-01-01_2026-01-31.csv")
    assert export_filename("vi-pham_gio-thu", date(2026, 12, 2), date(2026, 12, 3)) == (
        "vi-pham_gio-thu_2026-12-02_2026-12-02.csv")  # one day
    text = csv_text(frame)
    assert text.startswith("\ufeff")
    assert text.lstrip("\ufeff").splitlines() == ["Mã,n", "474,3", "'=cmd(),4"]  # formulas neutralised


def test_filter_bar_ids_follow_the_declaration() -> None:
    bar = FilterBar("traffic", TRAFFIC_FILTERS, "tr")
    assert bar.control_ids == ("tr-unit", "tr-type", "tr-vehicle", "tr-channel")
    assert FilterBar("feedback", FEEDBACK_FILTERS, "fb").control_ids == ("fb-unit", "fb-category", "fb-channel")
    assert (bar.id("preset"), bar.id("dates"), bar.id("url")) == ("tr-preset", "tr-dates", "tr-url")


def test_nav_entry_in_the_page_language_and_active_on_its_own_page_only() -> None:
    from callbacks.shell import nav_entry
    from ioc.family import Page

    traffic = Page("traffic", "/traffic", lambda ctx, lang_pref=None: None, "traffic_nav")
    overview = Page("overview", "/", lambda ctx, lang_pref=None: None, "nav_overview")
    alerts = Page("alerts", "/alerts", lambda ctx, lang_pref=None: None, "alerts_nav", nav_class="nav-alerts")
    assert nav_entry(traffic, "/traffic", "en") == ("Traffic violations", "/traffic?lang=en", "nav-link active")
    assert nav_entry(traffic, "/traffic-x", "vi")[2] == "nav-link"  # a longer path is another page
    assert nav_entry(overview, "/traffic", "vi") == ("Tổng quan", "/?lang=vi", "nav-link")  # "/" only on itself
    assert nav_entry(overview, None, "vi")[2] == "nav-link active"
    assert nav_entry(alerts, "/alerts", "vi")[2] == "nav-link nav-alerts active"


@pytest.mark.parametrize(("start", "last_day"), [("0001-01-01", "9999-12-31"), ("9999-12-31", "9999-12-31"),
                                                 ("0001-01-01", "0001-01-01"), ("garbage", None), (None, "2026-02-30")])
def test_extreme_or_bad_picker_dates_fall_back_to_the_default_period(start, last_day) -> None:  # noqa: ANN001
    """What a crafted callback request can send as the date picker's value: never an error."""
    from ioc.kpi.feedback import FEEDBACK_FILTERS
    from ioc.kpi.periods import default_period

    today = date(2026, 12, 2)
    chosen = selection_from_controls(FEEDBACK_FILTERS, today, start, last_day, None, None, None)
    assert chosen.period == default_period(today)


def test_bad_control_values_are_named_on_the_banner_and_good_ones_leave_it() -> None:
    """What a crafted callback request sends as the controls: the URL gets the selection used, the
    banner names each value that could not be used; good values leave the page's banner alone."""
    from callbacks.filter_state import KEEP, url_and_banner

    search, lines, class_name, role = url_and_banner(TRAFFIC_FILTERS, TODAY, "en", "2026-01-01", "9999-12-31",
                                                     None, "no-such-type", None, None)
    assert search == "?from=2026-01-01&to=2026-11-27&lang=en"  # the default last day (today), every type
    assert (class_name, role) == ("banner banner-warn", "alert")
    assert [line.children for line in lines] == [
        "Ignored to=9999-12-31: not a date YYYY-MM-DD from 2000 to 2100. Using: 2026-11-27.",
        "Ignored type=no-such-type: no such violation. Using: all.",
    ]
    assert url_and_banner(TRAFFIC_FILTERS, TODAY, "en", "2026-01-01", "2026-01-31", None, "red_light", None, None)[
        1:] == (KEEP, KEEP, KEEP)
