"""How fresh a source is, from the time since its last success and its cadence (pure).

The one staleness rule: the store's source health, the CLI, the alerts and the screens (which
age their badges between polls with the same factors, sent to the browser) all use it.
"""

from __future__ import annotations

#: A source is "late" from this many cadences without a success and "stale" from that many.
FRESHNESS_FACTORS = {"late": 2, "stale": 5}


def freshness(lag_s: float | None, every_s: float) -> str:
    """'ok', 'late' (≥ 2× cadence), 'stale' (≥ 5× cadence), or 'never' (``lag_s`` None: no success yet)."""
    if lag_s is None:
        return "never"
    if lag_s >= FRESHNESS_FACTORS["stale"] * every_s:
        return "stale"
    if lag_s >= FRESHNESS_FACTORS["late"] * every_s:
        return "late"
    return "ok"
