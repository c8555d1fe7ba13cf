"""The admin KPI definitions and the QĐ 766 inputs, with numbers worked out by hand.

ioc/kpi/admin.py turns summed rollup measures into the KPI set (``kpis_from_sums``) and the
766 inputs (``inputs_766``); the same rates per row come from ``with_rates``. No store here.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ioc.kpi.admin import KPI_NAMES, AdminFilter, inputs_766, kpis_from_sums, with_rates
from ioc.kpi.periods import FilterError, Period
from ioc.store.schema_admin import ADMIN_MEASURES

# 200 received = 150 resolved (90 early, 45 on time, 15 late) + 30 open + 20 other exits
# (10 refused, 8 withdrawn, 2 stopped).
SUMS = {
    "received": 200, "resolved": 150, "returned": 140, "early": 90, "on_time": 45, "late": 15,
    "in_progress": 30, "supplement_open": 4, "had_supplement": 19, "refused": 10, "stopped": 2, "withdrawn": 8,
    "online": 120, "post": 6, "in_person": 74, "full_process_online": 50, "fee_required": 80, "paid_online": 40,
    "digitised": 130, "rated": 100, "satisfied": 70, "acceptable": 20, "dissatisfied": 10,
    "elapsed_hours_sum": 150 * 36.0,
}  # fmt: skip
OVERDUE = 6


def test_kpi_set_by_hand() -> None:
    k = kpis_from_sums(SUMS, OVERDUE, procedures_online=30, procedures_total=40)
    assert (k.received, k.resolved, k.early, k.on_time, k.late, k.in_progress, k.overdue) == (
        200, 150, 90, 45, 15, 30, 6)
    assert k.on_time_rate == pytest.approx(135 / 150)          # (90 + 45) ÷ 150 = 0.9
    assert k.online_rate == pytest.approx(0.6)                 # 120 ÷ 200
    assert k.full_process_online_rate == pytest.approx(0.25)   # 50 ÷ 200
    assert k.online_payment_rate == pytest.approx(0.5)         # 40 ÷ 80 with a fee
    assert k.digitised_rate == pytest.approx(0.65)             # 130 ÷ 200
    assert k.satisfaction_rate == pytest.approx(0.9)           # (70 + 20) ÷ 100 rated
    assert list(k.as_dict()) == [*KPI_NAMES, "score_766"]


def test_766_from_the_kpis_by_hand() -> None:
    inputs = inputs_766(SUMS, OVERDUE, 30, 40)
    assert inputs.published_pct is None                        # not in the dossier data
    assert inputs.on_time_pct == pytest.approx(90.0)
    assert inputs.digitised_pct == pytest.approx(65.0)
    assert inputs.procedures_online_pct == pytest.approx(75.0)  # 30 of 40 procedures
    assert inputs.dossiers_online_pct == pytest.approx(60.0)
    assert inputs.online_payment_pct == pytest.approx(50.0)
    # handled = 150 resolved + 30 open = 180; overdue % = (15 late + 6 overdue) ÷ 180;
    # complained % = 10 "not satisfied" ÷ 180
    assert inputs.overdue_pct == pytest.approx(100 * 21 / 180)
    assert inputs.complained_pct == pytest.approx(100 * 10 / 180)

    score = kpis_from_sums(SUMS, OVERDUE, 30, 40).score
    points = {g.code: (g.measured, g.points) for g in score.groups}
    # progress 20 × 90/100 = 18; digitisation 22 × 65/80 = 17.875;
    # online 6 × 75/80 + 6 (60 ≥ 50) + 10 × 50/80 = 5.625 + 6 + 6.25 = 17.875;
    # satisfaction 100 − 31/180·100 = 82.78 → 18 × 82.78/90 = 16.5556
    assert points["transparency"] == (False, 0.0)
    assert points["progress"] == (True, pytest.approx(18.0))
    assert points["digitisation"] == (True, pytest.approx(17.875))
    assert points["online"] == (True, pytest.approx(17.875))
    assert points["satisfaction"] == (True, pytest.approx(18 * (100 - 3100 / 180) / 90))
    assert score.measured_max_points == 82
    assert score.total_points == pytest.approx(18 + 17.875 + 17.875 + 18 * (100 - 3100 / 180) / 90)
    json_score = kpis_from_sums(SUMS, OVERDUE, 30, 40).as_dict()["score_766"]
    assert [g["measured"] for g in json_score["groups"]] == [False, True, True, True, True]
    assert json_score["max_points"] == 100


def test_empty_scope_has_no_rates_and_no_measured_group() -> None:
    k = kpis_from_sums({}, 0)
    assert k.received == 0 and k.on_time_rate is None and k.online_rate is None and k.satisfaction_rate is None
    assert [g.measured for g in k.score.groups] == [False] * 5
    assert k.score.total_points == 0


def test_unrated_scope_leaves_satisfaction_unmeasured_and_no_fee_leaves_online_unmeasured() -> None:
    sums = {**SUMS, "rated": 0, "satisfied": 0, "acceptable": 0, "dissatisfied": 0, "fee_required": 0,
            "paid_online": 0}
    groups = {g.code: g for g in kpis_from_sums(sums, OVERDUE, 30, 40).score.groups}
    assert not groups["satisfaction"].measured
    assert not groups["online"].measured  # online payment cannot be measured without fees
    assert groups["progress"].measured and groups["digitisation"].measured


def test_only_resolved_dossiers_count_in_the_on_time_rate() -> None:
    # 1 early + 1 late of 2 resolved; 5 withdrawn and 3 refused change nothing; 4 open overdue
    # count in "overdue", not in the on-time rate.
    sums = {"received": 15, "resolved": 2, "early": 1, "late": 1, "withdrawn": 5, "refused": 3, "in_progress": 5}
    k = kpis_from_sums(sums, 4)
    assert k.on_time_rate == pytest.approx(0.5)
    assert k.overdue == 4


def test_rates_per_row_use_the_same_definitions() -> None:
    rows = pd.DataFrame([{**dict.fromkeys(ADMIN_MEASURES, 0), **SUMS, "key": "a"},
                         {**dict.fromkeys(ADMIN_MEASURES, 0), "received": 3, "key": "b"}])
    out = with_rates(rows).set_index("key")
    k = kpis_from_sums(SUMS, OVERDUE)
    for col in ("on_time_rate", "online_rate", "full_process_online_rate", "online_payment_rate", "digitised_rate",
                "satisfaction_rate"):
        assert out.loc["a", col] == pytest.approx(getattr(k, col))
    # 3 received, nothing else: shares of received are 0, rates over an empty denominator missing
    b = out.loc["b"]
    assert (b["online_rate"], b["full_process_online_rate"], b["digitised_rate"]) == (0.0, 0.0, 0.0)
    assert b[["on_time_rate", "online_payment_rate", "satisfaction_rate"]].isna().all()
    assert out.loc["a", "mean_elapsed_days"] == pytest.approx(1.5)  # 36 working hours each


def test_filter_checks_the_level() -> None:
    period = Period(date(2026, 1, 1), date(2026, 2, 1))
    assert AdminFilter(period, level="commune").dims() == {"level": "commune"}
    assert AdminFilter(period, unit="474").dims() == {"unit_code": "474"}  # a district centre of its time
    # a current commune: its commune-level dossiers of every period, mapped (commune_code)
    assert AdminFilter(period, unit="19753").dims() == {"commune_code": "19753"}
    assert AdminFilter(period, unit="46.TTPVHCC", level="province").dims() == {"level": "province",
                                                                                "unit_code": "46.TTPVHCC"}
    with pytest.raises(FilterError, match="level: 'ward' is not one of province, district, commune"):
        AdminFilter(period, level="ward")
