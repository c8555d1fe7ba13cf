"""The comparisons under a family's KPI tiles: the same KPI set over the earlier periods that
the family's history covers (:mod:`ioc.kpi.compare`), turned into lines for the tiles.

The earlier KPI sets come from the same functions as the tiles (rollups: a few tens of ms each)
and are cached per data version like the tiles' own; a period the history does not cover is
not computed at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from callbacks.common import local_today
from ioc.context import Context
from ioc.kpi.compare import baselines, compare_sets
from ioc.kpi.filters import Selection
from layouts.compare_shaping import CompareLine, card_lines, compare_lines, provisional_note


@dataclass(frozen=True)
class TileCompare:
    """Per tile key, its lines; and the note of a running period (text, title) or None."""

    lines: dict[str, list[CompareLine]]
    provisional: tuple[str, str] | None

    def of(self, key: str) -> list[CompareLine] | None:
        return self.lines.get(key)

    def note_of(self, _key: str) -> tuple[str, str] | None:
        """The running period's note (every tile of a family is compared by the same periods)."""
        return self.provisional


class Compared(Protocol):
    """A page's comparisons (:class:`TileCompare`, or a spec system's)."""

    def of(self, key: str) -> list[CompareLine] | None: ...

    def note_of(self, key: str) -> tuple[str, str] | None: ...


def card_compare(cmp: Compared | None, key: str) -> tuple[list[CompareLine] | None, tuple[str, str] | None]:
    """Tile ``key``'s (lines, provisional note) on a family's Overview card
    (:func:`layouts.compare_shaping.card_lines`); ``(None, None)`` without comparisons (the wall)."""
    if cmp is None:
        return None, None
    return card_lines(cmp.of(key)), cmp.note_of(key)


def history_start(ctx: Context, family: str, first_day: Callable[[], date | None]) -> date | None:
    """The family's first stored local day (cached per data version)."""
    return ctx.query(family, "history_start", None, first_day, 300)


def tile_compare(ctx: Context, family: str, query: Selection, lang: str, current: dict[str, Any],
                 values_for: Callable[[Selection], dict[str, Any]], first_day: Callable[[], date | None],
                 cache_name: str = "kpis") -> TileCompare:
    """Both comparisons of each KPI in ``current`` (tile key → raw value). ``values_for(selection)``
    gives the same dict for another period (cached under ``cache_name`` and the KPIs asked: the
    Overview's card asks fewer than the page); ``first_day()`` the family's first stored local day."""
    start = history_start(ctx, family, first_day)
    bases = baselines(query.period, local_today(ctx), start)

    def earlier(is_covered: bool, period: Any) -> dict[str, Any] | None:
        if not is_covered:
            return None
        shifted = query.shifted(period)
        return ctx.query(family, f"cmp:{cache_name}", (shifted, tuple(current)), lambda: values_for(shifted), 60)

    previous = earlier(bases.previous_covered, bases.previous)
    year = earlier(bases.year_covered, bases.year_before)
    changes = compare_sets(family, list(current), current, previous, year, bases)
    lines = {key: compare_lines(change, bases, start, lang) for key, change in changes.items()}
    return TileCompare(lines, provisional_note(bases, lang))
