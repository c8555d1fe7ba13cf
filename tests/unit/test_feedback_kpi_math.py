"""Feedback KPIs (ioc.kpi.feedback) against numbers worked out by hand.

Thirteen hand-made reports go through the real path (validate_report → records_frame →
ingest into a SQLite store → rollups → feedback_kpis). Times are written in local time
(+07:00); the store keeps UTC. ``NOW`` for the overdue count is 2026-04-20 00:00 UTC.

    id   received (local)     unit  cat          channel  handling unit  status       resolved (local)   hours due (local)         rating
    R1   Mon 03-02 08:00      19753 lighting     hue_s    Điện lực       resolved     03-02 10:00            2 03-11 08:00  on time  satisfied
    R2   Tue 03-03 09:00      19753 lighting     hotline  Điện lực       resolved     03-03 14:00            5 03-12 09:00  on time  acceptable
    R3   Wed 03-04 10:00      19753 trees        hue_s    Cây xanh       resolved     03-05 10:00           24 03-13 10:00  on time  dissatisfied
    R4   Thu 03-05 08:00      19918 trees        web      Cây xanh       resolved     03-06 08:00           24 03-06 08:00  on time (== due)  –
    R5   Mon 03-09 08:00      19918 environment  hue_s    URENCO         resolved     03-12 08:00           72 03-11 08:00  LATE     satisfied
    R6   Tue 03-10 08:00      20107 environment  hotline  URENCO         rejected     03-10 09:00            1 03-19 08:00  on time  –
    R7   Mon 03-16 08:00      19753 lighting     hue_s    Điện lực       resolved     03-26 08:00          240 03-25 08:00  LATE     dissatisfied
    R8   Tue 03-17 08:00      20107 trees        web      Cây xanh       in_progress  –                     –  03-26 08:00  overdue at NOW
    R9   Wed 03-18 08:00      19753 environment  hue_s    URENCO         assigned     –                     –  04-30 08:00  not yet due
    R10  Tue 03-31 23:30      19918 lighting     hotline  (none)         received     –                     –  04-09 23:30  overdue at NOW
    R11  Wed 04-01 00:10      19753 lighting     hue_s    Điện lực       resolved     04-01 12:10           12 04-10 00:10  on time  satisfied
    R12  Fri 02-27 10:00      19753 trees        hue_s    Cây xanh       resolved     03-02 10:00           72 03-09 10:00  on time  dissatisfied
    R13  Fri 03-20 08:00      19753 lighting     web      UBND Phú Hội   resolved     03-20 14:00            6 (missing → 03-31 08:00) on time  acceptable

R10 is received 2026-03-31 16:30 UTC = 23:30 local: it belongs to 31 March. R11 is received
2026-03-31 17:10 UTC = 00:10 local on 1 April: it belongs to April although its UTC date is
31 March. R12 takes 72 h: 2026 is not a leap year (27 Feb → 28 Feb → 1 Mar → 2 Mar). R13 has no deadline: Fri 03-20 08:00 + 7 working days = Mon 23 (1) … Fri 27 (5),
Mon 30 (6), Tue 31 (7) → 03-31 08:00 local.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from ioc.domain.calendar import WorkCalendar
from ioc.domain.feedback import CATEGORIES, validate_report
from ioc.domain.histogram import (
    HIST_BASE_HOURS,
    HIST_BINS,
    HIST_MAX_RELATIVE_ERROR,
    HIST_RATIO,
    hist_bin,
    hist_bin_value,
    hist_percentile,
)
from ioc.kpi.feedback import (
    FeedbackFilter,
    feedback_breakdown,
    feedback_kpis,
    feedback_kpis_raw,
    feedback_series,
)
from ioc.kpi.periods import Period
from ioc.store.db import init_db, make_engine
from ioc.store.feedback import REPORT_COLUMNS, ingest, records_frame

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 4, 20, 0, 0)  # naive UTC
HIST_REL = HIST_MAX_RELATIVE_ERROR + 1e-12  # float slack at the exact bin edges

ELEC, TREES, URENCO, WARD = "Điện lực Huế", "Công ty Cây xanh Huế", "URENCO Huế", "UBND phường Phú Hội"

# external_id, received, unit, category, channel, handling unit, status, resolved, due, rating
HAND_REPORTS = [
    ("R1", "2026-03-02T08:00", "19753", "lighting", "hue_s", ELEC, "resolved", "2026-03-02T10:00", "2026-03-11T08:00", "satisfied"),
    ("R2", "2026-03-03T09:00", "19753", "lighting", "hotline", ELEC, "resolved", "2026-03-03T14:00", "2026-03-12T09:00", "acceptable"),
    ("R3", "2026-03-04T10:00", "19753", "trees", "hue_s", TREES, "resolved", "2026-03-05T10:00", "2026-03-13T10:00", "dissatisfied"),
    ("R4", "2026-03-05T08:00", "19918", "trees", "web", TREES, "resolved", "2026-03-06T08:00", "2026-03-06T08:00", None),
    ("R5", "2026-03-09T08:00", "19918", "environment", "hue_s", URENCO, "resolved", "2026-03-12T08:00", "2026-03-11T08:00", "satisfied"),
    ("R6", "2026-03-10T08:00", "20107", "environment", "hotline", URENCO, "rejected", "2026-03-10T09:00", "2026-03-19T08:00", None),
    ("R7", "2026-03-16T08:00", "19753", "lighting", "hue_s", ELEC, "resolved", "2026-03-26T08:00", "2026-03-25T08:00", "dissatisfied"),
    ("R8", "2026-03-17T08:00", "20107", "trees", "web", TREES, "in_progress", None, "2026-03-26T08:00", None),
    ("R9", "2026-03-18T08:00", "19753", "environment", "hue_s", URENCO, "assigned", None, "2026-04-30T08:00", None),
    ("R10", "2026-03-31T23:30", "19918", "lighting", "hotline", "", "received", None, "2026-04-09T23:30", None),
    ("R11", "2026-04-01T00:10", "19753", "lighting", "hue_s", ELEC, "resolved", "2026-04-01T12:10", "2026-04-10T00:10", "satisfied"),
    ("R12", "2026-02-27T10:00", "19753", "trees", "hue_s", TREES, "resolved", "2026-03-02T10:00", "2026-03-09T10:00", "dissatisfied"),
    ("R13", "2026-03-20T08:00", "19753", "lighting", "web", WARD, "resolved", "2026-03-20T14:00", None, "acceptable"),
]

MARCH = Period(date(2026, 3, 1), date(2026, 4, 1))
APRIL = Period(date(2026, 4, 1), date(2026, 5, 1))


def local(text: str | None) -> str | None:
    return None if text is None else f"{text}:00+07:00"


def hand_frame() -> pd.DataFrame:
    records = [
        validate_report(
            {
                "external_id": eid,
                "received_at": local(received),
                "unit_code": unit,
                "category_code": cat,
                "channel": channel,
                "handling_unit": handler,
                "status": status,
                "resolved_at": local(resolved),
                "due_at": local(due),
                "rating": rating,
                "description": f"report {eid}",
            }
        )
        for eid, received, unit, cat, channel, handler, status, resolved, due, rating in HAND_REPORTS
    ]
    frame = records_frame(records)
    assert list(frame.columns) == list(REPORT_COLUMNS)
    return frame


@pytest.fixture(scope="module")
def hand_engine(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('kpi') / 'hand.db'}")
    init_db(engine)
    result = ingest(engine, "hand", hand_frame(), TZ, WorkCalendar.vietnam())
    assert (result.inserted, result.updated, result.unchanged) == (13, 0, 0)
    yield engine
    engine.dispose()


def kpis(engine, period: Period, **filters):
    return feedback_kpis(engine, FeedbackFilter(period, **filters), TZ, NOW)


def assert_hist_value(actual: float | None, exact: float) -> None:
    """A histogram percentile: within the bin error of the exact value, and its bin's middle."""
    assert actual is not None
    assert actual == pytest.approx(exact, rel=HIST_REL)
    assert actual == hist_bin_value(int(hist_bin(np.array([exact]))[0]))


# --------------------------------------------------------------------------- whole KPI sets


def test_march_all_kpis(hand_engine):
    k = kpis(hand_engine, MARCH)
    # received in March (local): R1–R10, R13 = 11 (R12 is February, R11 is April)
    assert k.received == 11
    # processed: R1 R2 R3 R4 R5 R6 R7 R13 = 8 (R8 R9 R10 still open)
    assert k.processed == 8
    assert k.processed_rate == pytest.approx(8 / 11)
    # on time: R1 R2 R3 R4 (resolved == due) R6 R13 = 6 of 8 (R5, R7 late)
    assert k.on_time_rate == pytest.approx(6 / 8)
    # overdue at NOW: R8 (due 03-26), R10 (due 04-09); R9 is due 04-30 > NOW
    assert k.overdue == 2
    # rated: R1 s, R2 a, R3 d, R5 s, R7 d, R13 a = 6; satisfied + acceptable = 4
    assert k.satisfaction_rate == pytest.approx(4 / 6)
    assert k.rated_share == pytest.approx(6 / 8)
    # hours sorted: 1 2 5 6 24 24 72 240 (n = 8): median rank ⌈4⌉ = 4 → 6 h; p90 rank ⌈7.2⌉ = 8 → 240 h
    assert_hist_value(k.median_resolution_hours, 6.0)
    assert_hist_value(k.p90_resolution_hours, 240.0)
    # the sums behind them: 2+5+24+24+72+1+240+6 = 374 h
    assert k.details["res_hours_sum"] == pytest.approx(374.0)
    assert (k.details["resolved"], k.details["rejected"], k.details["on_time"]) == (7, 1, 6)
    assert (k.details["satisfied"], k.details["acceptable"], k.details["dissatisfied"]) == (2, 2, 2)


def test_march_by_commune_19753(hand_engine):
    k = kpis(hand_engine, MARCH, unit="19753")
    # R1 R2 R3 R7 R9 R13 = 6 received; processed R1 R2 R3 R7 R13 = 5
    assert (k.received, k.processed) == (6, 5)
    assert k.processed_rate == pytest.approx(5 / 6)
    assert k.on_time_rate == pytest.approx(4 / 5)  # R7 late
    assert k.overdue == 0  # R9 due 04-30
    assert k.satisfaction_rate == pytest.approx(3 / 5)  # s, a, d, d, a
    assert k.rated_share == pytest.approx(1.0)
    # hours 2 5 6 24 240: median rank ⌈2.5⌉ = 3 → 6; p90 rank ⌈4.5⌉ = 5 → 240
    assert_hist_value(k.median_resolution_hours, 6.0)
    assert_hist_value(k.p90_resolution_hours, 240.0)


def test_march_by_category_lighting(hand_engine):
    k = kpis(hand_engine, MARCH, category="lighting")
    # R1 R2 R7 R10 R13 = 5; processed R1 R2 R7 R13 = 4; on time R1 R2 R13 = 3
    assert (k.received, k.processed, k.overdue) == (5, 4, 1)  # R10 overdue
    assert k.on_time_rate == pytest.approx(3 / 4)
    assert k.satisfaction_rate == pytest.approx(3 / 4)  # s a d a
    assert k.rated_share == pytest.approx(1.0)
    # hours 2 5 6 240: median rank 2 → 5; p90 rank ⌈3.6⌉ = 4 → 240
    assert_hist_value(k.median_resolution_hours, 5.0)
    assert_hist_value(k.p90_resolution_hours, 240.0)


def test_march_by_channel_hue_s(hand_engine):
    k = kpis(hand_engine, MARCH, channel="hue_s")
    # R1 R3 R5 R7 R9 = 5; processed R1 R3 R5 R7 = 4; on time R1 R3 = 2
    assert (k.received, k.processed, k.overdue) == (5, 4, 0)
    assert k.on_time_rate == pytest.approx(0.5)
    assert k.satisfaction_rate == pytest.approx(0.5)  # s d s d
    # hours 2 24 72 240: median rank 2 → 24; p90 rank 4 → 240
    assert_hist_value(k.median_resolution_hours, 24.0)
    assert_hist_value(k.p90_resolution_hours, 240.0)


def test_march_combined_filters(hand_engine):
    k = kpis(hand_engine, MARCH, unit="19753", category="lighting", channel="hue_s")
    # R1 (2 h, on time, satisfied) and R7 (240 h, late, dissatisfied)
    assert (k.received, k.processed, k.overdue) == (2, 2, 0)
    assert k.on_time_rate == pytest.approx(0.5)
    assert k.satisfaction_rate == pytest.approx(0.5)
    # median rank 1 → 2 h; p90 rank ⌈1.8⌉ = 2 → 240 h
    assert_hist_value(k.median_resolution_hours, 2.0)
    assert_hist_value(k.p90_resolution_hours, 240.0)


def test_filter_trees_web_overdue_only(hand_engine):
    k = kpis(hand_engine, MARCH, category="trees", channel="web")
    # R4 (resolved at its deadline) and R8 (open, overdue)
    assert (k.received, k.processed, k.overdue) == (2, 1, 1)
    assert k.on_time_rate == 1.0
    assert k.satisfaction_rate is None  # R4 not rated
    assert k.rated_share == 0.0
    assert_hist_value(k.median_resolution_hours, 24.0)


def test_resolved_exactly_at_due_counts_on_time(hand_engine):
    # R4 alone: district 478, category trees
    k = kpis(hand_engine, MARCH, unit="19918", category="trees")
    assert (k.received, k.processed, k.details["on_time"]) == (1, 1, 1)
    assert k.on_time_rate == 1.0


def test_april_and_february(hand_engine):
    k = kpis(hand_engine, APRIL)
    assert (k.received, k.processed, k.overdue) == (1, 1, 0)  # R11 only
    assert (k.on_time_rate, k.satisfaction_rate, k.rated_share) == (1.0, 1.0, 1.0)
    assert_hist_value(k.median_resolution_hours, 12.0)
    k = kpis(hand_engine, Period(date(2026, 2, 1), date(2026, 3, 1)))
    assert (k.received, k.processed, k.satisfaction_rate) == (1, 1, 0.0)  # R12, dissatisfied
    assert_hist_value(k.p90_resolution_hours, 72.0)  # 27 Feb 10:00 → 2 Mar 10:00 = 3 days


def test_period_boundary_is_local_midnight(hand_engine):
    # R10: 2026-03-31 16:30 UTC = 23:30 local → 31 March
    k = kpis(hand_engine, Period(date(2026, 3, 31), date(2026, 4, 1)))
    assert (k.received, k.processed, k.overdue) == (1, 0, 1)
    assert k.processed_rate == 0.0
    assert (k.on_time_rate, k.satisfaction_rate, k.rated_share) == (None, None, None)
    assert (k.median_resolution_hours, k.p90_resolution_hours) == (None, None)
    # R11: 2026-03-31 17:10 UTC = 00:10 local on 1 April → 1 April, not 31 March
    k = kpis(hand_engine, Period(date(2026, 4, 1), date(2026, 4, 2)))
    assert (k.received, k.processed, k.overdue) == (1, 1, 0)
    assert_hist_value(k.median_resolution_hours, 12.0)
    raw = feedback_kpis_raw(hand_engine, FeedbackFilter(Period(date(2026, 3, 31), date(2026, 4, 1))), TZ, NOW)
    assert (raw.received, raw.overdue) == (1, 1)


def test_period_split_into_months_and_edge_days_matches_raw(hand_engine):
    period = Period(date(2026, 1, 15), date(2026, 4, 10))
    months, edges = period.split_months()
    assert months == (date(2026, 2, 1), date(2026, 4, 1))
    assert edges == [(date(2026, 1, 15), date(2026, 2, 1)), (date(2026, 4, 1), date(2026, 4, 10))]
    k = kpis(hand_engine, period)
    # all 13 reports; processed 8 + R11 + R12 = 10; on time 6 + R11 + R12 = 8
    assert (k.received, k.processed, k.overdue) == (13, 10, 2)
    assert k.on_time_rate == pytest.approx(8 / 10)
    # rated 6 + R11 (s) + R12 (d) = 8; good 4 + 1 = 5
    assert k.satisfaction_rate == pytest.approx(5 / 8)
    assert k.rated_share == pytest.approx(8 / 10)
    # hours 1 2 5 6 12 24 24 72 72 240: median rank ⌈5⌉ = 5 → 12; p90 rank ⌈9⌉ = 9 → 72
    assert_hist_value(k.median_resolution_hours, 12.0)
    assert_hist_value(k.p90_resolution_hours, 72.0)
    raw = feedback_kpis_raw(hand_engine, FeedbackFilter(period), TZ, NOW)
    assert_same_kpis(k, raw)
    assert (raw.median_resolution_hours, raw.p90_resolution_hours) == (12.0, 72.0)  # exact nearest rank


def test_whole_months_only_and_one_partial_month(hand_engine):
    # Two whole months, no edge days: Feb + March = R12 + 11.
    assert kpis(hand_engine, Period(date(2026, 2, 1), date(2026, 4, 1))).received == 12
    # Inside one month (day buckets only): 5–18 March = R4 R5 R6 R7 R8 R9.
    k = kpis(hand_engine, Period(date(2026, 3, 5), date(2026, 3, 19)))
    assert (k.received, k.processed, k.overdue) == (6, 4, 1)
    assert_same_kpis(k, feedback_kpis_raw(hand_engine, FeedbackFilter(Period(date(2026, 3, 5), date(2026, 3, 19))), TZ, NOW))


@pytest.mark.parametrize(
    ("period", "filters"),
    [
        (Period(date(2025, 1, 1), date(2025, 2, 1)), {}),
        (MARCH, {"unit": "20179"}),
        (MARCH, {"category": "water"}),
        (APRIL, {"channel": "web"}),
    ],
    ids=["no-data", "unit-without-reports", "category-without-reports", "channel-without-reports"],
)
def test_empty_periods_give_zero_counts_and_none_rates(hand_engine, period, filters):
    flt = FeedbackFilter(period, **filters)
    for k in (feedback_kpis(hand_engine, flt, TZ, NOW), feedback_kpis_raw(hand_engine, flt, TZ, NOW)):
        assert (k.received, k.processed, k.overdue) == (0, 0, 0)
        assert k.processed_rate is None
        assert k.on_time_rate is None
        assert k.satisfaction_rate is None
        assert k.rated_share is None
        assert k.median_resolution_hours is None
        assert k.p90_resolution_hours is None


def test_overdue_depends_on_now(hand_engine):
    # R8 due 2026-03-26 08:00 local = 01:00 UTC. One microsecond before: not overdue; at the
    # deadline itself: not overdue (strictly earlier); one microsecond after: overdue.
    flt = FeedbackFilter(MARCH, category="trees", channel="web")
    due = datetime(2026, 3, 26, 1, 0)
    assert feedback_kpis(hand_engine, flt, TZ, due).overdue == 0
    assert feedback_kpis(hand_engine, flt, TZ, due + timedelta(microseconds=1)).overdue == 1
    # At NOW both R8 and R10 are overdue; at 2026-05-01 R9 joins them (due 04-30 08:00 local).
    assert kpis(hand_engine, MARCH).overdue == 2
    assert feedback_kpis(hand_engine, FeedbackFilter(MARCH), TZ, datetime(2026, 5, 1)).overdue == 3


def test_as_dict_has_the_kpi_names(hand_engine):
    d = kpis(hand_engine, APRIL).as_dict()
    assert set(d) == {
        "received", "processed", "processed_rate", "on_time_rate", "overdue",
        "median_resolution_hours", "p90_resolution_hours", "satisfaction_rate", "rated_share",
    }
    assert d["received"] == 1


# --------------------------------------------------------------------------- breakdowns


def by_key(frame: pd.DataFrame, *columns: str) -> dict:
    return {row["key"]: tuple(row[c] for c in columns) for _, row in frame.iterrows()}


def test_breakdown_by_commune(hand_engine):
    frame = feedback_breakdown(hand_engine, FeedbackFilter(MARCH), "commune")
    # 2026 is after 1 July 2025: no district-level unit, every report in one '' row
    assert by_key(feedback_breakdown(hand_engine, FeedbackFilter(MARCH), "district"), "received") == {"": (11,)}
    # 19753: R1 R2 R3 R7 R9 R13 (6, processed 5, on time 4); 19918: R4 R5 R10 (3, 2, 1);
    # 20107: R6 R8 (2, 1, 1). Largest first.
    assert frame["key"].tolist() == ["19753", "19918", "20107"]
    assert by_key(frame, "received", "processed", "on_time", "rated") == {
        "19753": (6, 5, 4, 5), "19918": (3, 2, 1, 1), "20107": (2, 1, 1, 0),
    }
    rates = frame.set_index("key")
    assert rates.loc["19753", "on_time_rate"] == pytest.approx(0.8)
    assert rates.loc["19918", "on_time_rate"] == pytest.approx(0.5)
    assert rates.loc["19753", "satisfaction_rate"] == pytest.approx(0.6)
    assert rates.loc["19918", "satisfaction_rate"] == pytest.approx(1.0)  # R5 satisfied
    assert math.isnan(rates.loc["20107", "satisfaction_rate"])  # nobody rated
    # mean hours: 19753 (2+5+24+240+6)/5 = 55.4; 19918 (24+72)/2 = 48; 20107 1/1 = 1
    assert rates.loc["19753", "mean_resolution_hours"] == pytest.approx(55.4)
    assert rates.loc["19918", "mean_resolution_hours"] == pytest.approx(48.0)
    assert rates.loc["20107", "mean_resolution_hours"] == pytest.approx(1.0)
    assert rates.loc["19753", "processed_rate"] == pytest.approx(5 / 6)


def test_breakdown_by_category_channel_and_handling_unit(hand_engine):
    flt = FeedbackFilter(MARCH)
    cat = feedback_breakdown(hand_engine, flt, "category")
    # lighting R1 R2 R7 R10 R13; trees R3 R4 R8; environment R5 R6 R9
    assert cat["key"].iloc[0] == "lighting"
    assert by_key(cat, "received", "processed", "on_time") == {
        "lighting": (5, 4, 3), "trees": (3, 2, 2), "environment": (3, 2, 1),
    }
    ch = feedback_breakdown(hand_engine, flt, "channel")
    # hue_s R1 R3 R5 R7 R9; hotline R2 R6 R10; web R4 R8 R13
    assert ch["key"].iloc[0] == "hue_s"
    assert by_key(ch, "received", "processed", "rated") == {
        "hue_s": (5, 4, 4), "hotline": (3, 2, 1), "web": (3, 2, 1),
    }
    hu = feedback_breakdown(hand_engine, flt, "handling_unit")
    assert by_key(hu, "received", "processed") == {
        ELEC: (3, 3), TREES: (3, 2), URENCO: (3, 2), "": (1, 0), WARD: (1, 1),
    }


def test_breakdown_respects_filters_and_rejects_unknown(hand_engine):
    frame = feedback_breakdown(hand_engine, FeedbackFilter(MARCH, unit="19753"), "category")
    # 19753 in March: lighting R1 R2 R7 R13; trees R3; environment R9
    assert frame["key"].iloc[0] == "lighting"  # trees and environment tie at 1
    assert by_key(frame, "received") == {"lighting": (4,), "trees": (1,), "environment": (1,)}
    assert feedback_breakdown(hand_engine, FeedbackFilter(Period(date(2025, 1, 1), date(2025, 2, 1))), "commune").empty
    with pytest.raises(ValueError, match="breakdown"):
        feedback_breakdown(hand_engine, FeedbackFilter(MARCH), "ward")


# --------------------------------------------------------------------------- series


def series_dict(frame: pd.DataFrame, *columns: str) -> dict:
    return {row["bucket"].date(): tuple(int(row[c]) for c in columns) for _, row in frame.iterrows()}


def test_series_by_day(hand_engine):
    frame = feedback_series(hand_engine, FeedbackFilter(MARCH), "day")
    # one report on each of these local days; R10 on the 31st (23:30 local)
    assert series_dict(frame, "received", "processed") == {
        date(2026, 3, 2): (1, 1), date(2026, 3, 3): (1, 1), date(2026, 3, 4): (1, 1), date(2026, 3, 5): (1, 1),
        date(2026, 3, 9): (1, 1), date(2026, 3, 10): (1, 1), date(2026, 3, 16): (1, 1), date(2026, 3, 17): (1, 0),
        date(2026, 3, 18): (1, 0), date(2026, 3, 20): (1, 1), date(2026, 3, 31): (1, 0),
    }


def test_series_by_week_starts_monday(hand_engine):
    # 2026-02-25 … 2026-04-05: R12 (Fri 27 Feb) → week of Mon 23 Feb; R1–R4 → Mon 2 Mar;
    # R5 R6 → Mon 9 Mar; R7 R8 R9 R13 → Mon 16 Mar; R10 (Tue 31) + R11 (Wed 1 Apr) → Mon 30 Mar.
    frame = feedback_series(hand_engine, FeedbackFilter(Period(date(2026, 2, 25), date(2026, 4, 5))), "week")
    assert series_dict(frame, "received", "processed", "on_time") == {
        date(2026, 2, 23): (1, 1, 1),
        date(2026, 3, 2): (4, 4, 4),
        date(2026, 3, 9): (2, 2, 1),
        date(2026, 3, 16): (4, 2, 1),
        date(2026, 3, 30): (2, 1, 1),
    }
    assert all(d.weekday() == 0 for d in series_dict(frame))
    wk = frame.set_index(frame["bucket"].dt.date)
    assert wk.loc[date(2026, 3, 16), "processed_rate"] == pytest.approx(2 / 4)
    assert wk.loc[date(2026, 3, 9), "on_time_rate"] == pytest.approx(1 / 2)


def test_series_by_month(hand_engine):
    frame = feedback_series(hand_engine, FeedbackFilter(Period(date(2026, 1, 15), date(2026, 4, 10))), "month")
    assert series_dict(frame, "received", "processed", "rated") == {
        date(2026, 2, 1): (1, 1, 1),
        date(2026, 3, 1): (11, 8, 6),
        date(2026, 4, 1): (1, 1, 1),
    }
    m = frame.set_index(frame["bucket"].dt.date)
    assert m.loc[date(2026, 3, 1), "satisfaction_rate"] == pytest.approx(4 / 6)


def test_series_filters_and_bad_freq(hand_engine):
    frame = feedback_series(hand_engine, FeedbackFilter(MARCH, unit="20107"), "day")
    assert series_dict(frame, "received", "processed") == {date(2026, 3, 10): (1, 1), date(2026, 3, 17): (1, 0)}
    assert feedback_series(hand_engine, FeedbackFilter(Period(date(2025, 1, 1), date(2025, 2, 1))), "week").empty
    with pytest.raises(ValueError, match="freq"):
        feedback_series(hand_engine, FeedbackFilter(MARCH), "quarter")


# --------------------------------------------------------------------------- rollups vs raw, randomised


def assert_same_kpis(rolled, raw) -> None:
    """Counts and rates exactly equal; percentiles within the histogram's error."""
    for name in ("received", "processed", "overdue"):
        assert getattr(rolled, name) == getattr(raw, name), name
    for name in ("processed_rate", "on_time_rate", "satisfaction_rate", "rated_share"):
        a, b = getattr(rolled, name), getattr(raw, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert a == pytest.approx(b, rel=1e-12, abs=1e-15), name
    for name in ("median_resolution_hours", "p90_resolution_hours"):
        a, b = getattr(rolled, name), getattr(raw, name)
        assert (a is None) == (b is None), name
        if a is None:
            continue
        if b < HIST_BASE_HOURS:  # bin 0 [0, 0.25 h) is reported as its middle, 0.125 h
            assert a == HIST_BASE_HOURS / 2, name
        else:
            assert a == pytest.approx(b, rel=HIST_REL), name


# district codes (placed before 1 July 2025 only), commune codes (19753: Thuận Lộc, then Phú Xuân)
UNITS = ["474", "478", "479", "19753", "19918", "20107", "999", ""]
CATS = ["lighting", "trees", "environment", "water", "traffic_violation"]
CHANS = ["hue_s", "hotline", "web", "social"]
STATUS_P = {"received": 0.05, "verified": 0.04, "assigned": 0.04, "in_progress": 0.07, "resolved": 0.7,
            "rejected": 0.1}


def random_reports(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    received = np.datetime64("2025-06-01T00:00", "us") + rng.integers(
        0, 400 * 24 * 3600, size=n).astype("timedelta64[s]").astype("timedelta64[us]")
    status = rng.choice(list(STATUS_P), size=n, p=list(STATUS_P.values()))
    closed = np.isin(status, ["resolved", "rejected"])
    # resolution times 3 min … ≈ 120 days, log-uniform; a few land exactly on the deadline
    hours = np.exp(rng.uniform(np.log(0.05), np.log(2900), size=n))
    resolved = received + (hours * 3600e6).astype("int64").astype("timedelta64[us]")
    due_days = rng.integers(1, 20, size=n)
    due = received + (due_days * 86400).astype("timedelta64[s]").astype("timedelta64[us]")
    exact = rng.random(n) < 0.05
    resolved = np.where(exact, due, resolved)
    no_due = rng.random(n) < 0.3
    rating = rng.choice(np.array(["satisfied", "acceptable", "dissatisfied", None], dtype=object), size=n,
                        p=[0.5, 0.2, 0.1, 0.2])
    frame = pd.DataFrame({
        "external_id": [f"X{seed}-{i}" for i in range(n)],
        "category_code": rng.choice(CATS, size=n),
        "category_name": "",
        "description": "",
        "address": "",
        "unit_code": rng.choice(UNITS, size=n),
        "district_code": "",  # the store places them
        "commune_code": "",
        "lat": np.nan,
        "lon": np.nan,
        "channel": rng.choice(CHANS, size=n),
        "status": status,
        "handling_unit": rng.choice(["A", "B", ""], size=n),
        "received_at": received,
        "due_at": pd.Series(due).where(~no_due, pd.NaT),
        "resolved_at": pd.Series(resolved).where(closed, pd.NaT),
        "rating": pd.Series(rating, dtype=object).where(closed, None),
        "updated_at": received,
    })
    frame["category_name"] = [CATEGORIES[c][0] for c in frame["category_code"]]
    return frame[list(REPORT_COLUMNS)]


@pytest.fixture(scope="module")
def random_engine(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('kpi') / 'random.db'}")
    init_db(engine)
    frame = random_reports(3000, seed=20260401)
    result = ingest(engine, "random", frame, TZ, WorkCalendar.vietnam())
    assert result.inserted == 3000
    yield engine
    engine.dispose()


def random_filters(seed: int) -> list[FeedbackFilter]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(10):
        start = date(2025, 5, 20) + timedelta(days=int(rng.integers(0, 380)))
        length = int(rng.choice([1, 3, 17, 45, 90, 200, 420]))
        out.append(FeedbackFilter(
            Period(start, start + timedelta(days=length)),
            unit=rng.choice([None, None, "474", "482", "19753", "20107", "999", ""]),
            category=rng.choice([None, None, "lighting", "water"]),
            channel=rng.choice([None, None, None, "hue_s", "web"]),
        ))
    return out


@pytest.mark.parametrize("flt", random_filters(11), ids=lambda f: f"{f.period.start}+{(f.period.end - f.period.start).days}d")
def test_random_rollups_equal_raw(random_engine, flt):
    now = datetime(2026, 3, 15, 12, 0)
    rolled = feedback_kpis(random_engine, flt, TZ, now)
    raw = feedback_kpis_raw(random_engine, flt, TZ, now)
    assert_same_kpis(rolled, raw)


def test_random_whole_range_is_not_trivial(random_engine):
    # Guard: the random set really exercises every KPI (not all None / zero).
    flt = FeedbackFilter(Period(date(2025, 5, 1), date(2026, 8, 1)))
    k = feedback_kpis(random_engine, flt, TZ, datetime(2026, 3, 15))
    raw = feedback_kpis_raw(random_engine, flt, TZ, datetime(2026, 3, 15))
    assert k.received == 3000
    assert 0 < k.processed < 3000 and k.overdue > 0
    assert 0 < k.on_time_rate < 1 and 0 < k.satisfaction_rate < 1 and 0 < k.rated_share < 1
    assert_same_kpis(k, raw)


# --------------------------------------------------------------------------- histogram helpers


def test_hist_bin_edges():
    # bin 0 = [0, 0.25 h); bin 1 = [0.25, 0.275); bin 2 = [0.275, 0.3025); …
    assert hist_bin(np.array([0.0, 0.1, 0.2499, 0.25, 0.26, 0.2751, 0.31])).tolist() == [0, 0, 0, 1, 1, 2, 3]
    # negative durations (bad data) and zero go to bin 0; huge values to the open last bin
    assert hist_bin(np.array([-5.0, 1e6, 1e12])).tolist() == [0, HIST_BINS - 1, HIST_BINS - 1]
    # 24 h: ln(24 / 0.25) / ln 1.1 = ln 96 / ln 1.1 = 4.5643 / 0.09531 = 47.89 → floor 47 + 1 = 48
    assert int(hist_bin(np.array([24.0]))[0]) == 48
    # the last finite edge: 0.25·1.1^110 ≈ 8935.8 h; just above it is the last bin
    last_edge = HIST_BASE_HOURS * HIST_RATIO ** (HIST_BINS - 2)
    assert int(hist_bin(np.array([last_edge * 1.0001]))[0]) == HIST_BINS - 1
    assert int(hist_bin(np.array([last_edge * 0.9999]))[0]) == HIST_BINS - 2


def test_hist_bin_value_is_inside_its_bin_and_within_error():
    assert hist_bin_value(0) == 0.125
    assert hist_bin_value(-3) == 0.125
    # bin 1: [0.25, 0.275) → √(0.25·0.275) = 0.25·√1.1 ≈ 0.26220
    assert hist_bin_value(1) == pytest.approx(0.25 * math.sqrt(1.1))
    for k in range(HIST_BINS):
        assert int(hist_bin(np.array([hist_bin_value(k)]))[0]) == k
    values = np.exp(np.random.default_rng(3).uniform(np.log(0.25), np.log(8900), size=5000))
    reps = np.array([hist_bin_value(int(k)) for k in hist_bin(values)])
    assert np.max(np.abs(reps - values) / values) <= HIST_REL
    # √1.1 − 1 = 0.048809
    assert HIST_MAX_RELATIVE_ERROR == pytest.approx(0.048809, abs=1e-6)


def test_hist_percentile_nearest_rank():
    assert hist_percentile([], 0.5) is None
    assert hist_percentile(np.zeros(HIST_BINS, dtype=int), 0.5) is None
    counts = np.zeros(HIST_BINS, dtype=int)
    counts[[1, 3]] = [3, 1]  # three values in bin 1, one in bin 3 (n = 4)
    # q=0.5: rank ⌈2⌉ = 2 → bin 1; q=0.75: rank 3 → still bin 1 (cumulative 3 reaches it);
    # q=0.9: rank ⌈3.6⌉ = 4 → bin 3; tiny q: rank max(1, ⌈0.004⌉) = 1 → bin 1
    assert hist_percentile(counts, 0.5) == hist_bin_value(1)
    assert hist_percentile(counts, 0.75) == hist_bin_value(1)
    assert hist_percentile(counts, 0.9) == hist_bin_value(3)
    assert hist_percentile(counts, 0.001) == hist_bin_value(1)
    one = np.zeros(HIST_BINS, dtype=int)
    one[0] = 1
    assert hist_percentile(one, 0.5) == 0.125 and hist_percentile(one, 0.9) == 0.125
    last = np.zeros(HIST_BINS, dtype=int)
    last[-1] = 2
    assert hist_percentile(last, 0.9) == hist_bin_value(HIST_BINS - 1)
    # a plain list works too
    assert hist_percentile([0, 0, 5], 0.5) == hist_bin_value(2)
