"""The city's operational stage (cấp độ vận hành): one level for the whole city (pure: no I/O).

Five levels, as in the stages of Rio de Janeiro's operations centre (COR):

====  =============  ============  =======  ==================================================
level name (vi)      name (en)     colour   meaning
====  =============  ============  =======  ==================================================
1     Bình thường    Normal        green    nothing beyond routine
2     Huy động       Mobilisation  yellow   a problem the duty teams handle (a warning, a
                                            broken or late data feed)
3     Chú ý          Attention     orange   a serious problem in one field (a high alert)
4     Báo động       Alert         red      a critical problem, or serious problems in two
                                            or more fields at once
5     Khủng hoảng    Crisis        purple   an emergency, or critical problems in two or
                                            more fields at once
====  =============  ============  =======  ==================================================

How the level is computed from the active alerts (every family's, see
:mod:`ioc.domain.alert_rules` for their severities):

1. Each active alert proposes the level equal to its severity rank: info → 1, warning → 2,
   high → 3, critical → 4, emergency → 5.
2. Data-feed problems (``source_failed``, ``source_stale``) propose at most 2: a broken feed
   mobilises the technical team, it is not a city crisis. They take no part in rule 3.
3. Breadth escalates: high-or-worse alerts in two or more different families (field
   feedback, traffic, environment, …) make the stage at least 4; critical-or-worse alerts in
   two or more families make it 5.
4. The stage is the highest level proposed, and 1 without any alert. Acknowledged alerts still
   count: acknowledging says someone is on it, not that it is over. Ended alerts do not count.

The *reasons* are the alerts that set the level: those proposing it, and, when rule 3 set it,
the alerts that made the breadth (highest proposed level first, then newest).

Colours are far apart in hue and lightness, and the level number and name must always be shown
with the colour (:meth:`Stage.label`): operators with colour-blindness read the number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ioc.domain.alert_rules import SOURCE_KINDS


class AlertLike(Protocol):
    family: str
    kind: str
    rank: int
    started_at: datetime


@dataclass(frozen=True)
class StageLevel:
    level: int
    code: str
    name_vi: str
    name_en: str
    colour: str  # background, hex
    text_colour: str  # readable on ``colour`` (contrast ≥ 4.5:1)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi


STAGE_LEVELS: tuple[StageLevel, ...] = (
    StageLevel(1, "normal", "Bình thường", "Normal", "#1B7F3B", "#FFFFFF"),
    StageLevel(2, "mobilisation", "Huy động", "Mobilisation", "#FFD60A", "#000000"),
    StageLevel(3, "attention", "Chú ý", "Attention", "#F57C00", "#000000"),
    StageLevel(4, "alert", "Báo động", "Alert", "#C62828", "#FFFFFF"),
    StageLevel(5, "crisis", "Khủng hoảng", "Crisis", "#6A1B9A", "#FFFFFF"),
)
SOURCE_CAP = 2
BREADTH_FAMILIES = 2
HIGH, CRITICAL = 3, 4


@dataclass(frozen=True)
class Stage:
    level: int
    code: str
    colour: str
    reasons: tuple[Any, ...]  # the alerts that set the level
    name_vi: str
    name_en: str
    text_colour: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi

    def label(self, lang: str) -> str:
        """``Cấp 3 · Chú ý`` / ``Stage 3 · Attention``: what goes with the colour, always."""
        return f"{'Stage' if lang == 'en' else 'Cấp'} {self.level} · {self.name(lang)}"


def stage_level(level: int) -> StageLevel:
    if not 1 <= level <= len(STAGE_LEVELS):
        raise ValueError(f"stage level must be 1..{len(STAGE_LEVELS)}, not {level}")
    return STAGE_LEVELS[level - 1]


def proposed_level(alert: AlertLike) -> int:
    """Rules 1 and 2: the level one alert proposes on its own."""
    rank = max(1, min(5, int(alert.rank)))
    return min(rank, SOURCE_CAP) if alert.kind in SOURCE_KINDS else rank


def _breadth(alerts: list[AlertLike], min_rank: int) -> list[AlertLike]:
    """The field alerts of rank ≥ ``min_rank`` if they span ≥ 2 families, else none."""
    hits = [a for a in alerts if a.kind not in SOURCE_KINDS and a.rank >= min_rank]
    return hits if len({a.family for a in hits}) >= BREADTH_FAMILIES else []


def city_stage(alerts: Iterable[AlertLike]) -> Stage:
    """The stage set by the active ``alerts`` (objects with family, kind, rank, started_at)."""
    active = [a for a in alerts if getattr(a, "ended_at", None) is None]
    level, reasons = 1, []
    if active:
        level = max(proposed_level(a) for a in active)
        crit, high = _breadth(active, CRITICAL), _breadth(active, HIGH)
        breadth_level, breadth = (5, crit) if crit else (4, high) if high else (0, [])
        level = max(level, breadth_level)
        chosen = [a for a in active if proposed_level(a) == level]
        if breadth_level == level:
            chosen += [a for a in breadth if all(a is not b for b in chosen)]
        newest_first = sorted(chosen, key=lambda a: a.started_at, reverse=True)
        reasons = sorted(newest_first, key=lambda a: -proposed_level(a))  # stable: newest first within a level
    spec = stage_level(level)
    return Stage(spec.level, spec.code, spec.colour, tuple(reasons), spec.name_vi, spec.name_en, spec.text_colour)
