"""Administrative-procedure domain: deadlines, supplement pauses, buckets, 766 score.

Expected values are worked out by hand in the comments. Working time = the whole 24 h of every
working day (Mon–Fri minus holidays), so "1 working day" = 24 h of working time.

Calendar used (2026):
    Jan:  Thu 1 (holiday), Fri 2, Mon 5 … Thu 8, Fri 9, Sat 10, Sun 11, Mon 12, Tue 13
    Feb:  Wed 11, Thu 12, Fri 13, Sat 14, Sun 15, Mon 16 – Fri 20 Tết, Sat 21, Sun 22,
          Mon 23, Tue 24, Wed 25, Thu 26, Fri 27
    Mar:  Mon 2, Tue 3, Wed 4, Thu 5, Fri 6, Sat 7, Sun 8, Mon 9, Tue 10, Wed 11
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from ioc.domain.admin import (
    EXCLUDED_STATUSES,
    OPEN_STATUSES,
    RESOLVED_STATUSES,
    Channel,
    DossierStatus,
    GroupScore,
    Inputs766,
    Level,
    OnlineMode,
    Score766,
    add_working_time,
    dossier_bucket,
    due_at_for,
    effective_due,
    on_time_pct,
    score_766,
    timeliness_bucket,
    working_time_between,
    working_time_elapsed,
)
from ioc.domain.calendar import WorkCalendar

H = timedelta(hours=1)
M = timedelta(minutes=1)
D = timedelta(days=1)  # one working day of working time

TET_2026 = frozenset(date(2026, 2, d) for d in range(16, 21))
CAL = WorkCalendar(frozenset({date(2026, 1, 1)}) | TET_2026)


def dt(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute)


# -- vocabulary -----------------------------------------------------------------------------------
def test_labels() -> None:
    assert [s.value for s in DossierStatus] == [
        "new", "in_progress", "supplement_requested", "resolved", "returned",
        "refused", "stopped", "withdrawn",
    ]  # fmt: skip
    assert [s.label_vi for s in DossierStatus] == [
        "Mới tiếp nhận", "Đang xử lý", "Yêu cầu bổ sung", "Đã xử lý xong", "Đã trả kết quả",
        "Từ chối", "Dừng xử lý", "Rút hồ sơ",
    ]  # fmt: skip
    assert Channel.IN_PERSON.label_vi == "Trực tiếp"
    assert Channel.ONLINE.label_vi == "Trực tuyến"
    assert Channel.POST.label_vi == "Bưu chính"
    assert OnlineMode.FULL_PROCESS.label_vi == "Toàn trình"
    assert OnlineMode.PARTIAL.label_vi == "Một phần"
    assert OnlineMode("none") is OnlineMode.NONE
    assert [lv.value for lv in Level] == ["province", "district", "commune"]
    # Every status is in exactly one class.
    assert OPEN_STATUSES | RESOLVED_STATUSES | EXCLUDED_STATUSES == set(DossierStatus)
    assert len(OPEN_STATUSES) + len(RESOLVED_STATUSES) + len(EXCLUDED_STATUSES) == 8


# -- deadlines ------------------------------------------------------------------------------------
def test_due_across_weekend() -> None:
    # Thu 8 Jan 10:00 + 3 working days: Fri 9 (1), [Sat, Sun], Mon 12 (2), Tue 13 (3) → Tue 10:00
    assert due_at_for(dt(1, 8, 10), 3, CAL) == dt(1, 13, 10)


def test_due_across_new_year_holiday() -> None:
    # Wed 31 Dec 2025 15:00 + 1: Thu 1 Jan is a holiday → Fri 2 Jan 15:00
    assert due_at_for(datetime(2025, 12, 31, 15), 1, CAL) == dt(1, 2, 15)


def test_due_across_tet() -> None:
    # Thu 12 Feb 14:30 + 5: Fri 13 (1), [Sat 14 … Sun 22: weekend + Tết 16–20],
    # Mon 23 (2), Tue 24 (3), Wed 25 (4), Thu 26 (5) → Thu 26 Feb 14:30
    assert due_at_for(dt(2, 12, 14, 30), 5, CAL) == dt(2, 26, 14, 30)
    # The packaged Vietnamese calendar has the same Tết 2026.
    assert due_at_for(dt(2, 12, 14, 30), 5, WorkCalendar.vietnam()) == dt(2, 26, 14, 30)


def test_due_received_on_weekend_before_tet() -> None:
    # Sat 14 Feb 09:00: next working day is Mon 23 (after Tết) → clock starts Mon 23 00:00;
    # + 2 working days → Wed 25 00:00 (Mon 23 and Tue 24 are the two full days).
    assert due_at_for(dt(2, 14, 9), 2, CAL) == dt(2, 25)


def test_working_time_between() -> None:
    # Fri 13 Feb 16:00 → Mon 23 Feb 10:00: Fri 8 h + (weekend, Tết, weekend: 0) + Mon 10 h = 18 h
    assert working_time_between(dt(2, 13, 16), dt(2, 23, 10), CAL) == 18 * H
    # Same working day: 09:00 → 17:30 = 8.5 h; same holiday: 0; reversed: 0
    assert working_time_between(dt(2, 12, 9), dt(2, 12, 17, 30), CAL) == 8.5 * H
    assert working_time_between(dt(2, 17, 9), dt(2, 17, 17), CAL) == timedelta(0)
    assert working_time_between(dt(2, 12, 17), dt(2, 12, 9), CAL) == timedelta(0)
    # Thu 12 Feb 14:30 → its deadline Thu 26 14:30 is exactly 5 working days
    # Thu 9.5 h + Fri 24 + Mon/Tue/Wed 72 + Thu 14.5 h = 120 h
    assert working_time_between(dt(2, 12, 14, 30), dt(2, 26, 14, 30), CAL) == 5 * D


def test_add_working_time_skips_weekend_and_holidays() -> None:
    # Fri 13 Feb 20:00 + 4 h: Fri has 4 h left → consumed exactly at Sat 00:00; the clock does not
    # tick until Mon 23 00:00, which is the last instant with working time == 4 h.
    assert add_working_time(dt(2, 13, 20), 4 * H, CAL) == dt(2, 23)
    # + 5 h → Mon 23 01:00
    assert add_working_time(dt(2, 13, 20), 5 * H, CAL) == dt(2, 23, 1)
    # Starting in a holiday, + 0 → start of the next working time
    assert add_working_time(dt(2, 18, 12), timedelta(0), CAL) == dt(2, 23)


# -- supplement pauses ----------------------------------------------------------------------------
# Dossier A: received Wed 11 Feb 09:00, 5 working days:
#   Thu 12 (1), Fri 13 (2), Mon 23 (3), Tue 24 (4), Wed 25 (5) → due Wed 25 Feb 09:00.
#   Budget = 5 × 24 h = 120 h.
# Supplement requested Fri 13 12:00, supplied Tue 24 12:00 (spans a weekend and all of Tết):
#   paused working time = Fri 12 h + Mon 23 24 h + Tue 12 h = 48 h = 2 working days
#   (Sat 14 … Sun 22 count nothing).
A_RECEIVED = dt(2, 11, 9)
A_DUE = dt(2, 25, 9)
A_PAUSES = [(dt(2, 13, 12), dt(2, 24, 12))]


def test_pause_over_weekend_and_tet() -> None:
    assert due_at_for(A_RECEIVED, 5, CAL) == A_DUE
    # Running before the pause: Wed 15 h + Thu 24 h + Fri 12 h = 51 h.
    # Until Wed 25 09:00: nominal 120 h − paused 48 h = 72 h.
    assert working_time_elapsed(A_RECEIVED, A_DUE, A_PAUSES, CAL) == 72 * H
    # The deadline moves by 2 working days: Wed 25 09:00 → Thu 26 → Fri 27 09:00.
    # Check: 51 h + Tue 24 12 h + Wed 25 24 h + Thu 26 24 h + Fri 27 9 h = 120 h.
    assert effective_due(A_RECEIVED, A_DUE, A_PAUSES, CAL) == dt(2, 27, 9)
    assert working_time_elapsed(A_RECEIVED, dt(2, 27, 9), A_PAUSES, CAL) == 120 * H


def test_resolved_at_deadline_last_minute_is_on_time_and_one_minute_later_late() -> None:
    now = dt(3, 31)
    # Resolved Fri 27 09:00: elapsed 120 h == budget → on time.
    assert timeliness_bucket(A_RECEIVED, A_DUE, dt(2, 27, 9), A_PAUSES, now, CAL) == "on_time"
    # 08:59: 1 min left (< 1 working day) → on time.
    assert timeliness_bucket(A_RECEIVED, A_DUE, dt(2, 27, 8, 59), A_PAUSES, now, CAL) == "on_time"
    # 09:01: 120 h 1 min > 120 h → late.
    assert timeliness_bucket(A_RECEIVED, A_DUE, dt(2, 27, 9, 1), A_PAUSES, now, CAL) == "late"
    # Without the pause the same 09:01 on Fri 27 would be two days late, and Wed 25 09:01 late.
    assert timeliness_bucket(A_RECEIVED, A_DUE, dt(2, 25, 9, 1), [], now, CAL) == "late"


def test_early_means_at_least_one_working_day_before_the_effective_due() -> None:
    now = dt(3, 31)
    # Thu 26 09:00: elapsed 51 + 12 + 24 + 9 = 96 h; 120 − 96 = 24 h ≥ 24 h → early.
    assert timeliness_bucket(A_RECEIVED, A_DUE, dt(2, 26, 9), A_PAUSES, now, CAL) == "early"
    # Thu 26 09:01: 23 h 59 min left → on time.
    assert timeliness_bucket(A_RECEIVED, A_DUE, dt(2, 26, 9, 1), A_PAUSES, now, CAL) == "on_time"
    # A custom margin of 2 working days: Thu 26 09:00 (24 h left) is only on time …
    two = 2 * D
    assert timeliness_bucket(A_RECEIVED, A_DUE, dt(2, 26, 9), A_PAUSES, now, CAL, early_margin=two) == "on_time"
    # … while Wed 25 09:00 (elapsed 72 h, 48 h left) is early.
    assert timeliness_bucket(A_RECEIVED, A_DUE, dt(2, 25, 9), A_PAUSES, now, CAL, early_margin=two) == "early"


def test_early_margin_crosses_a_weekend() -> None:
    # Received Thu 5 Mar 10:00, 2 working days → Mon 9 Mar 10:00 (Fri 6, Mon 9). Budget 48 h.
    received, due = dt(3, 5, 10), dt(3, 9, 10)
    assert due_at_for(received, 2, CAL) == due
    # Resolved Fri 6 10:00: elapsed 24 h, 24 h left → early (the weekend does not count).
    assert timeliness_bucket(received, due, dt(3, 6, 10), [], dt(3, 31), CAL) == "early"
    # Resolved Sat 7 15:00: elapsed Thu 14 h + Fri 24 h = 38 h, 10 h left → on time.
    assert timeliness_bucket(received, due, dt(3, 7, 15), [], dt(3, 31), CAL) == "on_time"


# Dossier B: received Mon 2 Mar 08:00, 3 working days → Thu 5 Mar 08:00; budget 72 h.
B_RECEIVED = dt(3, 2, 8)
B_DUE = dt(3, 5, 8)


def test_overlapping_unordered_pauses_are_merged() -> None:
    assert due_at_for(B_RECEIVED, 3, CAL) == B_DUE
    # Given out of order: 12–16, 10–14, 11–13 (nested), 10–14 again (duplicate).
    # Union = Mon 10:00–16:00 = 6 h (not 4 + 4 + 2 + 4 = 14 h).
    pauses = [
        (dt(3, 2, 12), dt(3, 2, 16)),
        (dt(3, 2, 10), dt(3, 2, 14)),
        (dt(3, 2, 11), dt(3, 2, 13)),
        (dt(3, 2, 10), dt(3, 2, 14)),
    ]
    # Elapsed until Mon 18:00: 10 h − 6 h = 4 h.
    assert working_time_elapsed(B_RECEIVED, dt(3, 2, 18), pauses, CAL) == 4 * H
    # Deadline pushed back 6 h: Thu 5 Mar 14:00.
    assert effective_due(B_RECEIVED, B_DUE, pauses, CAL) == dt(3, 5, 14)
    # Thu 14:00 is on time, 14:01 late.
    now = dt(3, 31)
    assert timeliness_bucket(B_RECEIVED, B_DUE, dt(3, 5, 14), pauses, now, CAL) == "on_time"
    assert timeliness_bucket(B_RECEIVED, B_DUE, dt(3, 5, 14, 1), pauses, now, CAL) == "late"


def test_pause_partly_before_receipt_and_after_until_is_clipped() -> None:
    # Pause Sun 1 Mar 12:00 → Mon 2 Mar 10:00: only Mon 08:00–10:00 (2 h) is inside the window.
    # A pause Tue 3 Mar 12:00 → Wed 13:00 is measured up to until = Tue 18:00 → 6 h.
    pauses = [(dt(3, 1, 12), dt(3, 2, 10)), (dt(3, 3, 12), dt(3, 4, 13))]
    # Mon 08:00 → Tue 18:00 = 16 + 18 = 34 h; minus 2 h and 6 h = 26 h.
    assert working_time_elapsed(B_RECEIVED, dt(3, 3, 18), pauses, CAL) == 26 * H


def test_pause_ending_before_it_starts_is_an_error() -> None:
    with pytest.raises(ValueError):
        working_time_elapsed(B_RECEIVED, dt(3, 3), [(dt(3, 2, 12), dt(3, 2, 10))], CAL)


def test_open_pause_stops_the_clock_until_now() -> None:
    # Supplement requested Tue 3 Mar 08:00, not supplied yet. now = Mon 9 Mar 12:00.
    pauses = [(dt(3, 3, 8), None)]
    now = dt(3, 9, 12)
    # Elapsed = Mon 08:00 → Tue 08:00 = 24 h; the rest is paused.
    assert working_time_elapsed(B_RECEIVED, now, pauses, CAL) == 24 * H
    # 24 h ≤ 72 h → within deadline, although the nominal deadline (Thu 5 Mar) has passed.
    assert timeliness_bucket(B_RECEIVED, B_DUE, None, pauses, now, CAL) == "within_deadline"
    assert timeliness_bucket(B_RECEIVED, B_DUE, None, [], now, CAL) == "overdue"
    # Deadline unknown while the citizen has not supplied …
    assert effective_due(B_RECEIVED, B_DUE, pauses, CAL) is None
    # … or, if they supplied at now (Mon 9 12:00): 48 h left → Wed 11 Mar 12:00.
    assert effective_due(B_RECEIVED, B_DUE, pauses, CAL, now=now) == dt(3, 11, 12)


def test_open_pause_after_the_deadline_does_not_rescue_an_overdue_dossier() -> None:
    # Supplement requested Fri 6 Mar 08:00 (after Thu 5 08:00), still open at Mon 9 12:00.
    # Elapsed = Mon 2 08:00 → Fri 6 08:00 = 96 h > 72 h → overdue; the deadline stays Thu 08:00.
    pauses = [(dt(3, 6, 8), None)]
    assert working_time_elapsed(B_RECEIVED, dt(3, 9, 12), pauses, CAL) == 96 * H
    assert timeliness_bucket(B_RECEIVED, B_DUE, None, pauses, dt(3, 9, 12), CAL) == "overdue"
    assert effective_due(B_RECEIVED, B_DUE, pauses, CAL) == B_DUE


def test_overdue_vs_within_deadline_at_now() -> None:
    # No pauses: at Thu 5 08:00 elapsed == 72 h → within; one minute later → overdue.
    assert timeliness_bucket(B_RECEIVED, B_DUE, None, [], dt(3, 5, 8), CAL) == "within_deadline"
    assert timeliness_bucket(B_RECEIVED, B_DUE, None, [], dt(3, 5, 8, 1), CAL) == "overdue"
    # Resolved later than now: not resolved yet at now → judged as in progress.
    assert timeliness_bucket(B_RECEIVED, B_DUE, dt(3, 6), [], dt(3, 4), CAL) == "within_deadline"


def test_received_on_weekend_deadline_at_midnight() -> None:
    # Received Sat 7 Mar 10:00, 1 working day: clock starts Mon 9 00:00 → due Tue 10 00:00.
    received = dt(3, 7, 10)
    due = due_at_for(received, 1, CAL)
    assert due == dt(3, 10)
    now = dt(3, 31)
    # Mon 23:59: 23 h 59 min elapsed, 1 min left → on time; Tue 00:00 → on time; 00:01 → late.
    assert timeliness_bucket(received, due, dt(3, 9, 23, 59), [], now, CAL) == "on_time"
    assert timeliness_bucket(received, due, dt(3, 10), [], now, CAL) == "on_time"
    assert timeliness_bucket(received, due, dt(3, 10, 0, 1), [], now, CAL) == "late"
    # Resolved on the Sunday: 0 h elapsed, 24 h left → early.
    assert timeliness_bucket(received, due, dt(3, 8, 15), [], now, CAL) == "early"


# -- statuses and the on-time KPI -----------------------------------------------------------------
def test_refused_stopped_withdrawn_have_no_bucket() -> None:
    now = dt(3, 31)
    for status in ("refused", "stopped", "withdrawn"):
        # Even long after the deadline: not late, not overdue — excluded.
        assert dossier_bucket(status, B_RECEIVED, B_DUE, dt(3, 20), [], now, CAL) is None
        assert dossier_bucket(status, B_RECEIVED, B_DUE, None, [], now, CAL) is None


def test_dossier_bucket_by_status() -> None:
    now = dt(3, 31)
    # Resolved / returned use resolved_at: Wed 4 08:00 → 48 h elapsed, 24 h left → early.
    for status in (DossierStatus.RESOLVED, DossierStatus.RETURNED):
        assert dossier_bucket(status, B_RECEIVED, B_DUE, dt(3, 4, 8), [], now, CAL) == "early"
    # Open statuses are judged at now (resolved_at ignored): Mar 31 ≫ Thu 5 → overdue.
    assert dossier_bucket("in_progress", B_RECEIVED, B_DUE, dt(3, 4), [], now, CAL) == "overdue"
    assert dossier_bucket("new", B_RECEIVED, B_DUE, None, [], dt(3, 3), CAL) == "within_deadline"
    # Supplement requested Tue 3 08:00, still open → clock stopped at 24 h → within deadline.
    pauses = [(dt(3, 3, 8), None)]
    assert dossier_bucket("supplement_requested", B_RECEIVED, B_DUE, None, pauses, now, CAL) == "within_deadline"
    with pytest.raises(ValueError):
        dossier_bucket("resolved", B_RECEIVED, B_DUE, None, [], now, CAL)
    with pytest.raises(ValueError):
        dossier_bucket("lost", B_RECEIVED, B_DUE, None, [], now, CAL)


def test_on_time_pct_counts_resolved_only() -> None:
    # early 1 + on_time 2 = 3 good of 4 resolved (late 1); overdue, within and None ignored
    # → 3 / 4 = 75 %.
    buckets = ["early", "on_time", "on_time", "late", "overdue", "within_deadline", None, None]
    assert on_time_pct(buckets) == pytest.approx(75.0)
    assert on_time_pct(["overdue", None]) is None


# -- Decision 766 ---------------------------------------------------------------------------------
def _group(score: Score766, code: str) -> GroupScore:
    return next(g for g in score.groups if g.code == code)


def test_766_group_maxima() -> None:
    s = score_766(Inputs766())
    assert [(g.code, g.max_points) for g in s.groups] == [
        ("transparency", 18),
        ("progress", 20),
        ("digitisation", 22),
        ("online", 22),
        ("satisfaction", 18),
    ]
    assert s.max_points == 100
    # Nothing measured: 0 of 0.
    assert s.total_points == 0 and s.measured_max_points == 0
    assert not any(g.measured for g in s.groups)


def test_766_full_points_capped_at_thresholds() -> None:
    s = score_766(
        Inputs766(
            published_pct=100,
            on_time_pct=100,
            digitised_pct=85,  # ≥ 80 → 22 (not 22 × 85/80 = 23.375)
            procedures_online_pct=80,  # = 80 → 6
            dossiers_online_pct=60,  # ≥ 50 → 6
            online_payment_pct=95,  # ≥ 80 → 10
            overdue_pct=3,
            complained_pct=2,  # satisfaction 100 − 5 = 95 ≥ 90 → 18
        )
    )
    assert [g.points for g in s.groups] == pytest.approx([18, 20, 22, 22, 18])
    assert s.total_points == pytest.approx(100)
    assert s.measured_max_points == 100
    sat = _group(s, "satisfaction").indicators[0]
    assert (sat.value, sat.threshold, sat.points) == (95, 90, 18)


def test_766_linear_below_thresholds() -> None:
    s = score_766(
        Inputs766(
            published_pct=90,  # 18 × 90/100 = 16.2
            on_time_pct=97,  # 20 × 97/100 = 19.4
            digitised_pct=40,  # 22 × 40/80 = 11.0
            procedures_online_pct=60,  # 6 × 60/80 = 4.5
            dossiers_online_pct=25,  # 6 × 25/50 = 3.0
            online_payment_pct=20,  # 10 × 20/80 = 2.5   → online 4.5 + 3 + 2.5 = 10.0
            overdue_pct=12,
            complained_pct=3,  # satisfaction 100 − 15 = 85 → 18 × 85/90 = 17.0
        )
    )
    assert [g.points for g in s.groups] == pytest.approx([16.2, 19.4, 11.0, 10.0, 17.0])
    # 16.2 + 19.4 + 11 + 10 + 17 = 73.6
    assert s.total_points == pytest.approx(73.6)
    online = _group(s, "online")
    assert [(i.code, i.threshold, i.max_points) for i in online.indicators] == [
        ("procedures_online", 80, 6),
        ("dossiers_online", 50, 6),
        ("online_payment", 80, 10),
    ]
    assert [i.points for i in online.indicators] == pytest.approx([4.5, 3.0, 2.5])


def test_766_satisfaction_floored_at_zero() -> None:
    # 100 − (60 + 50) = −10 → 0 → 0 points
    s = score_766(Inputs766(overdue_pct=60, complained_pct=50))
    sat = _group(s, "satisfaction")
    assert sat.measured and sat.points == 0 and sat.indicators[0].value == 0


def test_766_unmeasured_groups() -> None:
    s = score_766(
        Inputs766(
            on_time_pct=95,  # 20 × 0.95 = 19
            digitised_pct=80,  # 22
            procedures_online_pct=90,  # online group incomplete → unmeasured
            overdue_pct=5,  # complained missing → satisfaction unmeasured
        )
    )
    measured = {g.code: g.measured for g in s.groups}
    assert measured == {
        "transparency": False,
        "progress": True,
        "digitisation": True,
        "online": False,
        "satisfaction": False,
    }
    online = _group(s, "online")
    assert online.points == 0
    assert online.indicators[0].value == 90 and online.indicators[0].points == 0
    # 19 + 22 = 41 of 20 + 22 = 42 measured (100 nominal)
    assert s.total_points == pytest.approx(41)
    assert s.measured_max_points == 42
    assert s.max_points == 100


def test_766_rejects_out_of_range_percentages() -> None:
    with pytest.raises(ValueError):
        score_766(Inputs766(on_time_pct=101))
    with pytest.raises(ValueError):
        score_766(Inputs766(overdue_pct=-1, complained_pct=0))
    with pytest.raises(ValueError):  # checked even when the group is unmeasured
        score_766(Inputs766(overdue_pct=150))


def test_score_is_frozen() -> None:
    s = score_766(Inputs766(on_time_pct=100))
    with pytest.raises(AttributeError):
        s.groups = []  # type: ignore[misc]
