"""Administrative procedures (TTHC): dossier vocabulary, deadlines with a supplement-pause
clock, reporting buckets and the Decision 766/QĐ-TTg score. Pure functions, no I/O; all
datetimes are naive local times (Asia/Ho_Chi_Minh), as in :mod:`ioc.domain.calendar`.

Working time: the **whole 24 h local day** (00:00–24:00) of every working day of the
:class:`WorkCalendar` counts, weekends and holidays count nothing; one working day is
``timedelta(days=1)``. This is the model of :meth:`WorkCalendar.add_working_days` (received on a
working day at 10:00, 1 working day → due 10:00 the next working day, 24 h of working time later).

Pauses: while a dossier waits for the citizen's supplement the clock stops. A pause is
``(start, end)``; ``end=None`` is still open and closed at the instant measured (``until`` /
``now``). Pauses may be unordered or overlapping: they are clipped and merged, so overlapping
time is not subtracted twice. ``end < start`` raises ``ValueError``.

Lateness: the *budget* is the working time from ``received_at`` to the nominal ``due_at``. A
dossier is late / overdue once working time elapsed with the clock running exceeds the budget;
elapsed == budget (exactly at the deadline) is on time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from ioc.domain.calendar import WorkCalendar

Pause = tuple[datetime, datetime | None]
Bucket = Literal["early", "on_time", "late", "within_deadline", "overdue"]
WORKING_DAY = timedelta(days=1)


# -- vocabulary --------------------------------------------------------------------------------
_LABELS_VI = {
    "new": "Mới tiếp nhận", "in_progress": "Đang xử lý", "supplement_requested": "Yêu cầu bổ sung",
    "resolved": "Đã xử lý xong", "returned": "Đã trả kết quả", "refused": "Từ chối",
    "stopped": "Dừng xử lý", "withdrawn": "Rút hồ sơ",
    "in_person": "Trực tiếp", "online": "Trực tuyến", "post": "Bưu chính",
    "full_process": "Toàn trình", "partial": "Một phần", "none": "Không",
    "province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã",
}  # fmt: skip


class _Labelled(StrEnum):
    @property
    def label_vi(self) -> str:
        """Vietnamese on-screen label."""
        return _LABELS_VI[self.value]


class DossierStatus(_Labelled):
    """Dossier (hồ sơ) status."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    RESOLVED = "resolved"
    RETURNED = "returned"
    REFUSED = "refused"
    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"


#: Still being handled: bucketed "within_deadline" / "overdue".
OPEN_STATUSES = frozenset({DossierStatus.NEW, DossierStatus.IN_PROGRESS, DossierStatus.SUPPLEMENT_REQUESTED})
#: Resolved (result returned or not): bucketed "early" / "on_time" / "late".
RESOLVED_STATUSES = frozenset({DossierStatus.RESOLVED, DossierStatus.RETURNED})
#: Other exits: no timeliness bucket, excluded from both numerator and denominator of the
#: on-time KPI (they are not "resolved").
EXCLUDED_STATUSES = frozenset({DossierStatus.REFUSED, DossierStatus.STOPPED, DossierStatus.WITHDRAWN})


class Channel(_Labelled):
    """How the dossier was filed."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    POST = "post"


class OnlineMode(_Labelled):
    """Online service level of a procedure: full-process (ex level 4), partial (ex level 3)."""

    FULL_PROCESS = "full_process"
    PARTIAL = "partial"
    NONE = "none"


class Level(_Labelled):
    """Administrative level of the one-stop unit."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


# -- working time ------------------------------------------------------------------------------
def _midnight_after(t: datetime) -> datetime:
    return datetime.combine(t.date() + timedelta(days=1), datetime.min.time())


def working_time_between(start: datetime, end: datetime, cal: WorkCalendar) -> timedelta:
    """Working time (24 h per working day) in ``[start, end)``; zero if ``end <= start``."""
    if end <= start:
        return timedelta(0)
    if start.date() == end.date():
        return end - start if cal.is_working_day(start.date()) else timedelta(0)
    first = _midnight_after(start)
    total = first - start if cal.is_working_day(start.date()) else timedelta(0)
    total += WORKING_DAY * cal.working_days_between(first.date(), end.date())
    if cal.is_working_day(end.date()):
        total += end - datetime.combine(end.date(), datetime.min.time())
    return total


def add_working_time(start: datetime, amount: timedelta, cal: WorkCalendar) -> datetime:
    """The last instant ``t >= start`` with ``working_time_between(start, t) <= amount``.

    Consumes ``amount`` of working time from ``start``, then skips any non-working time that
    follows (the clock does not tick there), landing on the start of the next working time.
    """
    if amount < timedelta(0):
        raise ValueError("amount must be >= 0")
    pos = start
    while True:
        nxt = _midnight_after(pos)
        if cal.is_working_day(pos.date()):
            if amount < nxt - pos:
                return pos + amount
            amount -= nxt - pos
        pos = nxt


def _merge_pauses(pauses: Iterable[Pause], lo: datetime, hi: datetime | None) -> list[tuple[datetime, datetime | None]]:
    """Clip pauses to ``[lo, hi]`` and merge overlaps; sorted. ``hi=None``: no upper bound and
    open pauses stay open (end None)."""
    spans: list[tuple[datetime, datetime | None]] = []
    for start, end in pauses:
        if end is not None and end < start:
            raise ValueError(f"pause ends before it starts: {start} > {end}")
        if end is None and hi is not None:
            end = hi
        s = max(start, lo)
        e = end if hi is None or end is None else min(end, hi)
        if hi is not None and s >= hi:
            continue
        if e is not None and e <= s:
            continue
        spans.append((s, e))
    spans.sort(key=lambda p: p[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for s, e in spans:
        if merged and (merged[-1][1] is None or s <= merged[-1][1]):
            ps, pe = merged[-1]
            merged[-1] = (ps, None if pe is None or e is None else max(pe, e))
        else:
            merged.append((s, e))
    return merged


def working_time_elapsed(
    received_at: datetime, until: datetime, pauses: Iterable[Pause], cal: WorkCalendar
) -> timedelta:
    """Working time in ``[received_at, until)`` with the clock running (pauses removed).

    Open pauses (end None) stop the clock until ``until``. Returns a ``timedelta``; one working
    day is ``timedelta(days=1)``.
    """
    total = working_time_between(received_at, until, cal)
    for s, e in _merge_pauses(pauses, received_at, until):
        assert e is not None  # closed at ``until`` by _merge_pauses
        total -= working_time_between(s, e, cal)
    return total


def due_at_for(received_at: datetime, working_days: int, cal: WorkCalendar) -> datetime:
    """Nominal deadline (hạn xử lý) ``working_days`` working days after receipt.

    See :meth:`WorkCalendar.add_working_days` (received outside working time → the clock starts
    at 00:00 of the next working day).
    """
    return cal.add_working_days(received_at, working_days)


def effective_due(
    received_at: datetime,
    due_at: datetime,
    pauses: Iterable[Pause],
    cal: WorkCalendar,
    *,
    now: datetime | None = None,
) -> datetime | None:
    """Deadline pushed back by the working time spent in supplement pauses.

    The last instant ``t`` with ``working_time_elapsed(received_at, t, pauses) <=`` the budget
    (working time from ``received_at`` to ``due_at``). Without pauses this is ``due_at`` itself
    (or, if ``due_at`` lies in non-working time, the start of the next working time, which is
    equivalent). Open pauses are closed at ``now`` when given (the deadline *if the citizen
    supplied now*); with ``now=None`` an open pause that starts before the budget is used up
    leaves the deadline undetermined and ``None`` is returned.
    """
    if now is not None:
        pauses = [(s, max(now, s) if e is None else e) for s, e in pauses]
    remaining = working_time_between(received_at, due_at, cal)
    cursor = received_at
    for s, e in _merge_pauses(pauses, received_at, None):
        run = working_time_between(cursor, s, cal)
        if run > remaining:
            break
        remaining -= run
        if e is None:
            return None
        cursor = max(cursor, e)
    return add_working_time(cursor, remaining, cal)


def timeliness_bucket(
    received_at: datetime,
    due_at: datetime,
    resolved_at: datetime | None,
    pauses: Iterable[Pause],
    now: datetime,
    cal: WorkCalendar,
    early_margin: timedelta = WORKING_DAY,
) -> Bucket:
    """Reporting bucket of a dossier at ``now``.

    Resolved (``resolved_at`` not None and ``<= now``), comparing working time elapsed at
    ``resolved_at`` (pauses removed) with the budget ``received_at → due_at``:

    - ``"late"``: elapsed > budget (even one second after the effective deadline);
    - ``"early"``: elapsed <= budget − ``early_margin``, i.e. resolved at least
      ``early_margin`` of working time (default 1 working day = 24 h) before the effective
      deadline;
    - ``"on_time"``: otherwise (resolved exactly at the deadline is on time).

    Not resolved at ``now``: ``"overdue"`` if elapsed at ``now`` > budget, else
    ``"within_deadline"``. Refused / stopped / withdrawn dossiers have no bucket: see
    :func:`dossier_bucket`.
    """
    budget = working_time_between(received_at, due_at, cal)
    if resolved_at is not None and resolved_at <= now:
        elapsed = working_time_elapsed(received_at, resolved_at, pauses, cal)
        if elapsed > budget:
            return "late"
        return "early" if budget - elapsed >= early_margin else "on_time"
    elapsed = working_time_elapsed(received_at, now, pauses, cal)
    return "overdue" if elapsed > budget else "within_deadline"


def dossier_bucket(
    status: DossierStatus | str,
    received_at: datetime,
    due_at: datetime,
    resolved_at: datetime | None,
    pauses: Iterable[Pause],
    now: datetime,
    cal: WorkCalendar,
    early_margin: timedelta = WORKING_DAY,
) -> Bucket | None:
    """:func:`timeliness_bucket` driven by the dossier's status.

    Refused / stopped / withdrawn → ``None`` (excluded from the resolved count and from the
    on-time KPI). Open statuses are judged at ``now`` (``resolved_at`` ignored). Resolved /
    returned dossiers need ``resolved_at`` (``ValueError`` otherwise).
    """
    status = DossierStatus(status)
    if status in EXCLUDED_STATUSES:
        return None
    if status in OPEN_STATUSES:
        return timeliness_bucket(received_at, due_at, None, pauses, now, cal, early_margin)
    if resolved_at is None:
        raise ValueError(f"status {status} requires resolved_at")
    at = max(now, resolved_at)
    return timeliness_bucket(received_at, due_at, resolved_at, pauses, at, cal, early_margin)


def on_time_pct(buckets: Iterable[str | None]) -> float | None:
    """Common on-time KPI in percent (0–100): (early + on_time) ÷ resolved × 100.

    Only "early", "on_time", "late" count; open buckets and ``None`` (excluded statuses) are
    ignored. ``None`` if nothing was resolved.
    """
    counts = {"early": 0, "on_time": 0, "late": 0}
    for b in buckets:
        if b in counts:
            counts[b] += 1
    resolved = sum(counts.values())
    if resolved == 0:
        return None
    return 100.0 * (counts["early"] + counts["on_time"]) / resolved


# -- Decision 766/QĐ-TTg score -------------------------------------------------------------------
@dataclass(frozen=True)
class Inputs766:
    """Inputs of the 766 score, all in **percent (0–100)**; ``None`` = not measured.

    - ``published_pct``: dossiers whose progress is published / synchronised on the public
      service portal (transparency; not in the domain brief: full points at 100 %).
    - ``on_time_pct``: (early + on time) ÷ resolved (progress; full points at 100 %).
    - ``digitised_pct``: dossiers digitised (full at ≥ 80 %).
    - ``procedures_online_pct``: procedures offered online (full at ≥ 80 %).
    - ``dossiers_online_pct``: dossiers filed online (full at ≥ 50 %).
    - ``online_payment_pct``: fee-bearing procedures integrated with online payment (≥ 80 %).
    - ``overdue_pct`` and ``complained_pct``: satisfaction = 100 − (overdue + complained),
      floored at 0, full at ≥ 90 %.
    """

    published_pct: float | None = None
    on_time_pct: float | None = None
    digitised_pct: float | None = None
    procedures_online_pct: float | None = None
    dossiers_online_pct: float | None = None
    online_payment_pct: float | None = None
    overdue_pct: float | None = None
    complained_pct: float | None = None


@dataclass(frozen=True)
class IndicatorScore:
    """One indicator: ``value`` and ``threshold`` in percent, points out of ``max_points``."""

    code: str
    value: float | None
    threshold: float
    max_points: float
    points: float


@dataclass(frozen=True)
class GroupScore:
    """One of the five groups; unmeasured groups (any input missing) score 0 points."""

    code: str
    label_vi: str
    label_en: str
    max_points: float
    points: float
    measured: bool
    indicators: list[IndicatorScore]


@dataclass(frozen=True)
class Score766:
    """The 766 score: ``total_points`` out of ``measured_max_points`` (groups measured), out of
    a nominal ``max_points`` of 100."""

    groups: list[GroupScore]

    @property
    def total_points(self) -> float:
        return sum(g.points for g in self.groups if g.measured)

    @property
    def measured_max_points(self) -> float:
        return sum(g.max_points for g in self.groups if g.measured)

    @property
    def max_points(self) -> float:
        return sum(g.max_points for g in self.groups)


# (code, label_vi, label_en, [(indicator code, threshold %, max points)])
GROUPS_766: tuple[tuple[str, str, str, tuple[tuple[str, float, float], ...]], ...] = (
    ("transparency", "Công khai, minh bạch", "Transparency", (("published", 100.0, 18.0),)),
    ("progress", "Tiến độ, kết quả giải quyết", "Progress and results",
     (("on_time", 100.0, 20.0),)),
    ("digitisation", "Số hóa hồ sơ", "Digitisation of dossiers", (("digitised", 80.0, 22.0),)),
    ("online", "Dịch vụ công trực tuyến, thanh toán trực tuyến",
     "Online services and online payment",
     (("procedures_online", 80.0, 6.0), ("dossiers_online", 50.0, 6.0),
      ("online_payment", 80.0, 10.0))),
    ("satisfaction", "Mức độ hài lòng", "Satisfaction", (("satisfaction", 90.0, 18.0),)),
)  # fmt: skip


def indicator_points(value: float, threshold: float, max_points: float) -> float:
    """``max_points × min(value, threshold) / threshold``; value in percent (0–100)."""
    if not 0.0 <= value <= 100.0:
        raise ValueError(f"percentage out of range: {value}")
    return max_points * min(value, threshold) / threshold


def _indicator_values(inputs: Inputs766) -> dict[str, float | None]:
    for f in fields(inputs):
        v = getattr(inputs, f.name)
        if v is not None and not 0.0 <= v <= 100.0:
            raise ValueError(f"{f.name} out of range 0–100: {v}")
    satisfaction = None
    if inputs.overdue_pct is not None and inputs.complained_pct is not None:
        satisfaction = max(0.0, 100.0 - (inputs.overdue_pct + inputs.complained_pct))
    return {
        "published": inputs.published_pct,
        "on_time": inputs.on_time_pct,
        "digitised": inputs.digitised_pct,
        "procedures_online": inputs.procedures_online_pct,
        "dossiers_online": inputs.dossiers_online_pct,
        "online_payment": inputs.online_payment_pct,
        "satisfaction": satisfaction,
    }


def score_766(inputs: Inputs766) -> Score766:
    """Score per Decision 766/QĐ-TTg (2022): five groups, 100 points.

    Each indicator earns ``max × min(value, threshold) / threshold``. A group is measured only
    if all its indicator values are present; otherwise it is ``measured=False`` with 0 points
    (its indicators keep their values, with 0 points). Indicator split inside the online group
    (6 + 6 + 10, mirroring 766's online-services 12 / online-payment 10) is our choice.
    """
    values = _indicator_values(inputs)
    groups: list[GroupScore] = []
    for code, label_vi, label_en, spec in GROUPS_766:
        measured = all(values[ic] is not None for ic, _, _ in spec)
        indicators = []
        for ic, threshold, max_pts in spec:
            v = values[ic]
            pts = indicator_points(v, threshold, max_pts) if measured and v is not None else 0.0
            indicators.append(IndicatorScore(ic, v, threshold, max_pts, pts))
        max_points, points = sum(m for _, _, m in spec), sum(i.points for i in indicators)
        groups.append(GroupScore(code, label_vi, label_en, max_points, points, measured, indicators))
    return Score766(groups)
