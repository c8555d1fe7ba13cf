"""Comparisons against the stored history (issue 16): the families' first stored day, and the
TTHC ranking's previous period compared only when the history covers it entirely."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine

from ioc.kpi.admin import AdminFilter, history_start
from ioc.kpi.admin_views import unit_ranking
from ioc.kpi.periods import Period
from tests.integration.test_admin_store import NOW, PHU_XUAN, _resolved_on, dossier, put

FEB = AdminFilter(Period(date(2026, 2, 1), date(2026, 3, 1)))  # previous period: 3–31 January 2026


def _late(external_id: str, day: str) -> dict:
    """Received at 09:00 local on ``day``, due 3 days later, resolved a week later: late."""
    d = date.fromisoformat(day)
    return dossier(external_id, received_at=f"{day}T09:00:00+07:00", status="resolved",
                   due_at=f"{date.fromordinal(d.toordinal() + 3)}T09:00:00+07:00",
                   resolved_at=f"{date.fromordinal(d.toordinal() + 7)}T09:00:00+07:00")


def test_history_start_is_the_first_local_day_stored(engine: Engine, tz) -> None:  # noqa: ANN001
    assert history_start(engine) is None
    put(engine, tz, _resolved_on("2026-02-10", PHU_XUAN, "A"), _late("B", "2026-01-30"))
    assert history_start(engine) == date(2026, 1, 30)


def test_ranking_has_no_change_when_the_previous_period_starts_before_the_history(engine: Engine, tz) -> None:  # noqa: ANN001
    # Feb: 2 on time at Phú Xuân (100 %); the history starts on 30 Jan with one late dossier (0 %),
    # so 3–29 Jan hold nothing: the −/+100 points of a comparison would be a fiction
    put(engine, tz, _resolved_on("2026-02-10", PHU_XUAN, "A"), _resolved_on("2026-02-11", PHU_XUAN, "B"),
        _late("OLD", "2026-01-30"))
    ranked = unit_ranking(engine, FEB, tz, NOW).set_index("code")
    assert ranked.loc[PHU_XUAN, "on_time_rate"] == 1.0
    assert not ranked["prev_covered"].any()
    assert pd.isna(ranked.loc[PHU_XUAN, "change"]) and pd.isna(ranked.loc[PHU_XUAN, "on_time_rate_prev"])
    assert pd.isna(ranked.loc[PHU_XUAN, "received_prev"])


def test_ranking_compares_once_the_history_covers_the_previous_period(engine: Engine, tz) -> None:  # noqa: ANN001
    put(engine, tz, _resolved_on("2026-02-10", PHU_XUAN, "A"), _resolved_on("2026-02-11", PHU_XUAN, "B"),
        _late("OLD", "2026-01-30"), _resolved_on("2026-01-03", "20056", "FIRST"))  # history from 3 Jan
    ranked = unit_ranking(engine, FEB, tz, NOW).set_index("code")
    assert ranked["prev_covered"].all()
    # Phú Xuân: 2 of 2 resolved on time in Feb against 0 of 1 in the 29 days before (3–31 Jan)
    assert ranked.loc[PHU_XUAN, "on_time_rate_prev"] == 0.0
    assert ranked.loc[PHU_XUAN, "change"] == 1.0
    assert ranked.loc[PHU_XUAN, "received_prev"] == 1


def test_a_running_period_is_ranked_against_as_many_days_of_the_previous_one(engine: Engine, tz) -> None:  # noqa: ANN001
    from datetime import datetime

    # March 2026 on 3 March (12:00 local): its first 3 days against 29–31 January, not the 31 days
    # before 1 March (29 Jan – 28 Feb), whose 10 February dossier (on time) is left out
    put(engine, tz, _resolved_on("2026-03-01", PHU_XUAN, "NOW"), _late("JAN", "2026-01-30"),
        _resolved_on("2026-02-10", PHU_XUAN, "FEB"), _resolved_on("2026-01-02", "20056", "FIRST"))
    march = AdminFilter(Period(date(2026, 3, 1), date(2026, 4, 1)))
    ranked = unit_ranking(engine, march, tz, datetime(2026, 3, 3, 5)).set_index("code")
    assert ranked.loc[PHU_XUAN, "received_prev"] == 1
    assert ranked.loc[PHU_XUAN, "on_time_rate_prev"] == 0.0 and ranked.loc[PHU_XUAN, "change"] == 1.0
