"""The words and signs of a KPI's comparisons with earlier periods (no Dash, no store).

``▲ 2,1 điểm so với kỳ trước`` for a rate (points), ``▼ 3 % so với cùng kỳ năm trước`` for a
count or an amount (relative change), ``không có số liệu so sánh`` when the earlier period is not
covered by the data. The arrow follows the sign of the change, the tone (green / red / grey)
the KPI's direction (:mod:`ioc.kpi.compare`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ioc.i18n import fmt_date, fmt_number, t
from ioc.kpi.compare import Baselines, Change, Kind, Status, TileComparison
from ioc.kpi.periods import Period

ARROWS = {1: "▲", -1: "▼", 0: "▬"}


@dataclass(frozen=True)
class CompareLine:
    """One line under a tile's value: ``which`` (``previous`` | ``year``), the arrow (empty when
    there is no number), the text, its tone (``good`` | ``bad`` | ``neutral`` | ``none``), a
    hover title, and the change as a number for tests (points or percent; None without one)."""

    which: str
    arrow: str
    text: str
    tone: str
    title: str
    value: float | None


def _decimals(change: Change, size: float) -> int:
    return 1 if change.kind == Kind.RATE or size < 10 else 0


def shown_flat(change: Change) -> bool:
    """Whether the change rounds to zero as shown (``0,0 điểm``, ``0,0 %``): drawn flat and grey,
    not as a red or green arrow over a zero."""
    if change.status != Status.CHANGE or change.value is None:
        return False
    size = abs(change.value) * 100
    return round(size, _decimals(change, size)) == 0


def amount_text(change: Change, lang: str) -> str:
    """The size of a change: ``2,1 điểm`` (rate), ``3,0 %`` / ``12 %`` (count, amount), ``từ 0``."""
    if change.status == Status.FROM_ZERO:
        return t("cmp_from_zero", lang)
    size = abs(change.value or 0.0) * 100
    number = fmt_number(size, lang, _decimals(change, size))
    return t("cmp_points" if change.kind == Kind.RATE else "cmp_percent", lang, n=number)


def _span(period: Period) -> tuple[str, str]:
    return period.start, period.end - timedelta(days=1)


def compare_line(which: str, change: Change, earlier: Period, history_start: date | None, lang: str) -> CompareLine:
    """The line of one change against ``earlier`` (``which``: ``previous`` or ``year``)."""
    vs = t("cmp_vs_previous" if which == "previous" else "cmp_vs_year", lang)
    start, last = (fmt_date(d, lang) for d in _span(earlier))
    if change.status in (Status.CHANGE, Status.FROM_ZERO):
        amount = amount_text(change, lang)
        value = None if change.value is None else round(change.value * 100, 2)
        flat = shown_flat(change)
        return CompareLine(which, ARROWS[0 if flat else change.sign], f"{amount} {vs}",
                           "neutral" if flat else change.tone,
                           t("cmp_period_title", lang, start=start, end=last, value=amount), value)
    if change.status == Status.NOT_COVERED:
        title = t("cmp_no_history_title", lang) if history_start is None else t(
            "cmp_not_covered_title", lang, start=start, end=last, since=fmt_date(history_start, lang))
    else:
        title = t("cmp_missing_title", lang)
    return CompareLine(which, "", f"{t('cmp_no_comparison', lang)} ({vs})", "none", title, None)


def compare_lines(comparison: TileComparison | None, bases: Baselines, history_start: date | None,
                  lang: str) -> list[CompareLine]:
    """A tile's lines: the previous period's and the year before's; one line saying the value is
    a count at *now* for a snapshot KPI; nothing without a comparison."""
    if comparison is None:
        return []
    if comparison.previous.status == Status.NOT_COMPARABLE:
        return [CompareLine("snapshot", "", t("cmp_snapshot", lang), "none", "", None)]
    return [compare_line("previous", comparison.previous, bases.previous, history_start, lang),
            compare_line("year", comparison.year, bases.year_before, history_start, lang)]


#: the lines a family's card on the Overview keeps (:func:`card_lines`)
CARD_LINES = ("year", "rank")


def card_lines(lines: list[CompareLine] | None) -> list[CompareLine]:
    """A tile's lines as the Overview's family cards show them: the change against the same
    period a year before ("so với cùng kỳ năm trước", the comparison of Vietnamese reports) and a
    rank's against its previous edition. The previous period is left out: a card's period is the
    last 12 months, whose previous period *is* the year before, so it would say the same twice;
    so is the line of a count at *now*, which the card's own text already says."""
    return [line for line in lines or () if line.which in CARD_LINES]


def provisional_note(bases: Baselines, lang: str) -> tuple[str, str] | None:
    """(text, title) of the note under a running period's comparisons, else None."""
    if not bases.provisional:
        return None
    days = (bases.previous.end - bases.previous.start).days
    return t("cmp_provisional", lang), t("cmp_provisional_title", lang, n=days)
