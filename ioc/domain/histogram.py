"""Log-scale histogram of durations in hours (resolution times, processing times).

Bin 0 is [0, 0.25 h); bin k ≥ 1 is [0.25·1.1^(k−1), 0.25·1.1^k) h; the last bin is open-ended.
A percentile is reported as the geometric middle of its bin, so its relative error is at most
√1.1 − 1 ≈ 4.9 % (for values ≥ 0.25 h; below, at most 0.125 h). Stored rollups keep one count
column per bin, so these constants are part of the schema.

Pure code: no I/O.
"""

from __future__ import annotations

import math

import numpy as np

HIST_BASE_HOURS = 0.25
HIST_RATIO = 1.1
HIST_BINS = 112
HIST_MAX_RELATIVE_ERROR = math.sqrt(HIST_RATIO) - 1


def hist_bin(hours: np.ndarray) -> np.ndarray:
    """Histogram bin index for durations in hours (vectorised)."""
    hours = np.asarray(hours, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.floor(np.log(np.maximum(hours, 1e-12) / HIST_BASE_HOURS) / math.log(HIST_RATIO)) + 1
    k = np.where(hours < HIST_BASE_HOURS, 0, k)
    return np.clip(k, 0, HIST_BINS - 1).astype("int64")


def hist_bin_value(k: int) -> float:
    """Representative value (hours) of bin ``k``: the geometric middle of its edges."""
    if k <= 0:
        return HIST_BASE_HOURS / 2
    lo = HIST_BASE_HOURS * HIST_RATIO ** (k - 1)
    return lo * math.sqrt(HIST_RATIO)


def hist_percentile(counts: np.ndarray | list[int], q: float) -> float | None:
    """The ``q``-quantile (0 < q < 1) of a duration histogram, in hours.

    Uses the nearest-rank definition: the smallest bin whose cumulative count reaches
    ``ceil(q·n)``.
    """
    counts = np.asarray(counts, dtype="int64")
    total = int(counts.sum())
    if total <= 0:
        return None
    rank = max(1, math.ceil(q * total))
    k = int(np.searchsorted(np.cumsum(counts), rank))
    return hist_bin_value(k)
