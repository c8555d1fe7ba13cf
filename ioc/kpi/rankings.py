"""Units ranked for a period, best and worst, with their change against the previous period
(issue #16): the one shape the scorecard and the brief show, built from the rankings the pages
compute.

- **TTHC one-stop units** by on-time rate: :func:`ioc.kpi.admin_views.unit_ranking` (the admin
  page's ranking, its rules for who is ranked and its coverage of the previous period).
- **Units handling citizens' reports** by on-time rate (then fewer late, then more processed),
  those with at least :data:`MIN_PROCESSED` reports processed in the period; the change against
  the previous period of equal length (its elapsed part for a running period), only when the
  stored history covers it (:mod:`ioc.kpi.compare`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from ioc.kpi.filters import Selection

#: units shown at each end of a ranking
RANKED = 5
#: reports a handling unit must have processed in the period to be ranked
MIN_PROCESSED = 20
COLUMNS = ["code", "name", "value", "change", "volume", "rank"]


@dataclass(frozen=True)
class Ranking:
    """Units ranked by ``measure`` (a rate, higher better) for the period: ``frame`` has
    ``code, name, value, change, volume, rank`` (rank 1 best; ``change`` a ratio difference, NaN
    without a covered previous period), only the ranked units, best first; ``covered`` whether the
    previous period is covered by the stored history; ``min_volume`` the volume a unit needs."""

    family: str
    unit_kind: str  # "tthc_unit" | "handling_unit"
    measure: str
    frame: pd.DataFrame
    covered: bool
    min_volume: int

    def best(self, n: int = RANKED) -> pd.DataFrame:
        return self.frame.head(n)

    def worst(self, n: int = RANKED) -> pd.DataFrame:
        """The last ``n`` ranked (none that is already among the best), worst first."""
        rest = self.frame.iloc[min(n, len(self.frame)):]
        return rest.tail(n).iloc[::-1]


def tthc_ranking(frame: pd.DataFrame) -> Ranking | None:
    """The ranked units of :func:`ioc.kpi.admin_views.unit_ranking`'s ``frame`` (None: no frame)."""
    from ioc.kpi.admin_views import MIN_RESOLVED_TO_RANK

    if frame is None or frame.empty:
        return None
    ranked = frame[frame["rank"].notna()]
    out = pd.DataFrame({"code": ranked["code"].astype(str), "name": ranked["name"].astype(str),
                        "value": ranked["on_time_rate"].astype("float64"), "change": ranked["change"].astype("float64"),
                        "volume": ranked["resolved"].astype("int64"), "rank": ranked["rank"].astype("int64")})
    return Ranking("admin", "tthc_unit", "on_time_rate", out.reset_index(drop=True), bool(frame["prev_covered"].all()),
                   MIN_RESOLVED_TO_RANK)


def handling_unit_ranking(engine: Engine, flt: Selection, today: date) -> Ranking:
    """The units handling citizens' reports over ``flt`` (a feedback selection; ``today`` local)."""
    from ioc.kpi.compare import covered, elapsed_part
    from ioc.kpi.feedback import feedback_breakdown, first_received

    period = flt.period
    current = feedback_breakdown(engine, flt, "handling_unit")
    current = current[(current["processed"] >= MIN_PROCESSED) & (current["key"].astype(str) != "")]
    before = elapsed_part(period, period.previous(), today)
    is_covered = covered(first_received(engine), before)
    earlier = feedback_breakdown(engine, flt.shifted(before), "handling_unit").set_index("key")["on_time_rate"] \
        if is_covered else pd.Series(dtype="float64")
    frame = pd.DataFrame({"code": current["key"].astype(str), "name": current["key"].astype(str),
                          "value": current["on_time_rate"].astype("float64"),
                          "late": current["processed"] - current["on_time"],
                          "volume": current["processed"].astype("int64")})
    frame = frame.sort_values(["value", "late", "volume", "code"], ascending=[False, True, False, True], kind="stable")
    frame["change"] = frame["value"] - earlier.reindex(frame["code"]).to_numpy(dtype="float64")
    frame["rank"] = np.arange(1, len(frame) + 1)
    return Ranking("feedback", "handling_unit", "on_time_rate", frame[COLUMNS].reset_index(drop=True), is_covered,
                   MIN_PROCESSED)
