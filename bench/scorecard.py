"""The leaders' scorecard's read time (``ioc.scorecard.collect_scorecard``: every family's KPI
set, both earlier periods, the 12-period trends, the rankings and the indices) on a store with a
year of every simulator, for the last whole month, the running quarter and the running year.

    python bench/scorecard.py [--store var/bench-scorecard.sqlite] [--repeat 3]

A new store first gets its simulated year (``python -m ioc simulate --days 365``, every
configured simulator; a few minutes, once: the store is kept for the next run). The page caches
the result per period for 2 minutes (``ctx.query``), so this is what its first reader waits for
on the server. Prints, per period, the median and best of ``--repeat`` reads and the families
drawn with a trend.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from common import ROOT, timed

sys.path.insert(0, str(ROOT))
from ioc.config import load_settings  # noqa: E402
from ioc.context import build_context  # noqa: E402
from ioc.kpi.periods import to_local  # noqa: E402
from ioc.scorecard import ScorePeriod, collect_scorecard  # noqa: E402
from ioc.store.db import utcnow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=str(ROOT / "var" / "bench-scorecard.sqlite"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = f"sqlite:///{os.path.abspath(args.store)}"
    env = {**os.environ, "IOC_DATABASE_URL": url}
    if not os.path.exists(args.store):
        print(f"building {args.store}: a simulated year of every simulator (once)", flush=True)
        subprocess.run([sys.executable, "-m", "ioc", "simulate", "--days", "365"], cwd=ROOT, env=env, check=True)
    ctx = build_context(load_settings({"IOC_DATABASE_URL": url}))
    today = to_local(utcnow(), ctx.tz).date()
    print(f"{'period':<10} {'median s':>9} {'best s':>7}  families with a trend")
    for grain, step in (("month", -1), ("quarter", 0), ("year", 0)):
        when = ScorePeriod.containing(today, grain).shifted(step)
        card = collect_scorecard(ctx.engine, ctx.settings, when, simulated=True, now=utcnow())
        median, best = timed(lambda w=when: collect_scorecard(ctx.engine, ctx.settings, w, simulated=True,
                                                             now=utcnow()), args.repeat)
        print(f"{when.key:<10} {median:>9.2f} {best:>7.2f}  {len(card.trends)}: {', '.join(sorted(card.trends))}")


if __name__ == "__main__":
    main()
