"""The cost of the comparisons on the KPI tiles (issue 16): a page's tile work without and with
them, uncached (every run with an empty cache), on the store of ``IOC_DATABASE_URL``.

    IOC_DATABASE_URL=sqlite:///var/ioc.sqlite python -m ioc simulate --days 400 --family admin
    IOC_DATABASE_URL=sqlite:///var/ioc.sqlite python bench/compare_tiles.py [--repeat 10]

For the Feedback and Admin pages and the last ``--days`` days (default 365, the pages' default) prints the median
and best time of: the KPI set and its tiles (before), and the same plus both comparisons (after:
the previous period and the year before, each computed only when the history covers it).
"""

from __future__ import annotations

import argparse
import dataclasses
from datetime import timedelta

from common import timed

from callbacks import admin_data, feedback_data
from callbacks.common import local_today
from ioc.cache import LocalCache
from ioc.config import settings
from ioc.context import build_context
from ioc.kpi.admin import AdminFilter, admin_kpis
from ioc.kpi.feedback import FeedbackFilter, feedback_kpis
from ioc.kpi.periods import Period
from ioc.store.db import utcnow
from layouts.admin_shaping import admin_tiles
from layouts.components import tile
from layouts.feedback import TILE_KEYS
from layouts.shaping import feedback_tiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--days", type=int, default=365, help="the period: the last DAYS days, today included")
    args = parser.parse_args()
    base = build_context(settings())
    fresh = lambda: dataclasses.replace(base, cache=LocalCache())  # noqa: E731 - every run uncached
    today = local_today(base)
    period = Period(today - timedelta(days=args.days - 1), today + timedelta(days=1))

    def feedback(with_compare: bool) -> None:
        ctx, query = fresh(), FeedbackFilter(period)
        specs = feedback_tiles(feedback_kpis(ctx.engine, query, ctx.tz, utcnow()), ctx.settings, "vi", TILE_KEYS)
        cmp = feedback_data.tile_comparisons(ctx, query, "vi", specs) if with_compare else None
        [tile(s, "vi", cmp.of(s.key) if cmp else None) for s in specs]

    def admin(with_compare: bool) -> None:
        ctx, query = fresh(), AdminFilter(period)
        specs = admin_tiles(admin_kpis(ctx.engine, query, ctx.tz, utcnow()), 0, ctx.settings.target_on_time, "vi")
        cmp = admin_data.tile_comparisons(ctx, query, "vi", specs) if with_compare else None
        [tile(s, "vi", cmp.of(s.key) if cmp else None) for s in specs]

    print(f"period {period.start} – {period.end} (exclusive), {args.repeat} runs, uncached")
    for name, fn in (("feedback", feedback), ("admin", admin)):
        for with_compare in (False, True):
            median, best = timed(lambda fn=fn, on=with_compare: fn(on), args.repeat)
            label = "with comparisons" if with_compare else "tiles only"
            print(f"{name:9} {label:17} median {median * 1000:7.1f} ms   best {best * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
