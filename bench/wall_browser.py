"""The operations wall in a real browser over an accelerated hour: does the page's JS heap grow?

    .venv/bin/python bench/wall_browser.py [--minutes 5] [--rotate]
    .venv/bin/python bench/wall.py --browser [--minutes 5] [--rotate]      (the same)

The deployment of bench/wall.py with one gunicorn worker and the clock sped up 12x: screens poll
every 250 ms instead of 3 s (``IOC_LIVE_POLL_MS=250``), and the sources move 12x faster than
their default cadence: feedback reports every 5/12 s (the bench's own ingest, as in wall.py),
the traffic, administrative-services and environment simulators every 10/12, 30/12 and 300/12 s
(run by the bench through ``ioc.collect.run_source``; nothing else runs them). The accelerated
clock is counted in polls (one poll = 3 s of a normal screen), so "an hour" is 1,200 polls; the
run lasts at least ``--minutes`` real minutes and until 12x that many accelerated minutes have
passed (5 → about 6 real minutes, since each poll also waits for its answer). What does *not*
speed up: the wall's one-minute tick, the 1 s clock and the CSS ticker animation (real time).

Chromium (Debian's, ``/usr/bin/chromium``) opens ``/wall`` at 1920x1080 (``--rotate``:
``/wall?rotate=wall,feedback,traffic&every=10``). After a 30 s warm-up and then every 30 s the
bench forces a garbage collection (CDP ``HeapProfiler.collectGarbage``) and reads the used JS heap
(``Runtime.getHeapUsage``) and the DOM node and event-listener counts (``Performance.getMetrics``).
Prints the series and the growth (end − start) / start. Target: ≤ 10 %.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from wall import Deployment, Ingester, add_deployment_args, pct, run_guarded, seed_plan

SPEEDUP = 12  # 3000 ms / 250 ms
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-precise-memory-info",
               "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
               "--disable-backgrounding-occluded-windows"]
# Default cadences (each family's simulator_every_s in families/) and live rates, sped up; traffic keeps the
# fixed 4 a minute that was its default before the city's pace (issue 17), so the figures stay comparable.
SIMULATORS = [
    {"name": "traffic-simulator", "type": "simulator", "family": "traffic", "every_seconds": 10,
     "violations_per_minute": 4 * SPEEDUP},
    {"name": "admin-simulator", "type": "simulator", "family": "admin", "every_seconds": 30,
     "dossiers_per_year": 1_000_000 * SPEEDUP},
    {"name": "environment-simulator", "type": "simulator", "family": "environment", "every_seconds": 300},
]


class PageWatch:
    """Requests, failed answers and console errors of the page (events arrive while Playwright waits)."""

    def __init__(self) -> None:
        self.polls = self.callbacks = self.panel_feedback = 0
        self.failed: list[str] = []
        self.console: list[str] = []

    def on_request(self, request: Any) -> None:
        if request.url.endswith("/api/live"):
            self.polls += 1
        elif "/_dash-update-component" in request.url:
            self.callbacks += 1
            if "wall-tiles-feedback" in (request.post_data or ""):
                self.panel_feedback += 1

    def on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url[-60:]}")

    def on_console(self, msg: Any) -> None:
        # Map tiles come from OpenStreetMap and cannot load offline (as in tests/browser/harness.py).
        where = (msg.location or {}).get("url", "")
        if msg.type == "error" and "tile.openstreetmap.org" not in where + msg.text:
            self.console.append(f"{msg.text[:160]} ({where[:80]})")


def sample(page: Any, cdp: Any) -> dict[str, float]:
    cdp.send("HeapProfiler.collectGarbage")
    heap = cdp.send("Runtime.getHeapUsage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    live = page.evaluate("() => ({failures: window.iocLive ? window.iocLive.failures : -1})")
    return {"heap": heap["usedSize"], "total": heap["totalSize"], "nodes": metrics.get("Nodes", 0),
            "listeners": metrics.get("JSEventListeners", 0), "documents": metrics.get("Documents", 0),
            "failures": live["failures"]}


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (accelerated minutes, value), per accelerated hour."""
    n = len(points)
    if n < 2:
        return float("nan")
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var * 60 if var else float("nan")


def browser_case(args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    poll_ms = 3000 // SPEEDUP
    ingest_every = 5.0 / SPEEDUP
    dep = Deployment(1, poll_ms, db=args.db, redis_url=args.redis, keep_logs=args.keep_logs)
    dep.sources = [{"name": "bench-wall-feed", "type": "file", "family": "feedback", "every_seconds": 5,
                    "path": str(dep.work / "never-read.csv")}, *SIMULATORS]
    path = "/wall?rotate=wall,feedback,traffic&every=10" if args.rotate else "/wall"
    ingester = None
    try:
        print(f"deployment: PostgreSQL {dep.db}, Redis {dep.redis_url}, gunicorn (1 worker) on {dep.base}, "
              f"IOC_LIVE_POLL_MS={poll_ms}, {args.reports} feedback reports every {ingest_every:.3f} s")
        dep.start(seed_plan(args))
        ingester = Ingester(dep.env(), ingest_every, args.reports, "bench-wall-feed",
                            simulators=[{"name": s["name"], "every_seconds": s["every_seconds"]} for s in SIMULATORS],
                            speedup=SPEEDUP)
        ingester.start()
        ingester.wait_first_commit()
        watch = PageWatch()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.on("request", watch.on_request)
                page.on("response", watch.on_response)
                page.on("console", watch.on_console)
                page.on("pageerror", lambda exc: watch.console.append(f"pageerror: {exc}"))
                cdp = page.context.new_cdp_session(page)
                cdp.send("Performance.enable")
                t0 = time.monotonic()
                page.goto(dep.base + path)
                page.wait_for_selector("#wall-tiles-feedback .tile", timeout=60_000)
                series = []
                target = args.minutes * 60
                print(f"{path}: warm-up 30 s, then a sample every 30 s for {args.minutes:g} min "
                      f"(x{SPEEDUP}: {args.minutes * SPEEDUP:g} accelerated min)")
                print(f"  {'real s':>6} {'accel min':>9} {'heap MB':>8} {'nodes':>6} {'listeners':>9} {'polls':>6} "
                      f"{'callbacks':>9}")
                next_at = t0 + 30
                while True:
                    page.wait_for_timeout(max(0, (next_at - time.monotonic()) * 1000))
                    s = sample(page, cdp)
                    s["t"], s["polls"] = time.monotonic() - t0, watch.polls
                    series.append(s)
                    # The accelerated clock runs on polls: one poll = 3 s of a normal screen.
                    s["accel"] = (s["polls"] - series[0]["polls"]) * 3 / 60
                    print(f"  {s['t']:6.0f} {s['accel']:9.1f} {s['heap'] / 1e6:8.2f} {s['nodes']:6.0f} "
                          f"{s['listeners']:9.0f} {watch.polls:6d} {watch.callbacks:9d}", flush=True)
                    if s["t"] - series[0]["t"] >= target - 1 and s["accel"] >= args.minutes * SPEEDUP:
                        break
                    next_at += 30
                    ingester.drain()
            finally:
                browser.close()
        ingester.stop()
        first, last = series[0], series[-1]
        heap_growth = (last["heap"] - first["heap"]) / first["heap"] * 100
        trend = slope_per_hour([(s["accel"], s["heap"]) for s in series]) / first["heap"] * 100
        floor_first = min(s["heap"] for s in series[:3])
        floor_last = min(s["heap"] for s in series[-3:])
        versions = sorted(ingester.commits)
        updates = [r for r in ingester.runs if r[2] is not None]
        print(f"accelerated hour: {last['t'] - first['t']:.0f} real s and {last['polls'] - first['polls']} polls "
              f"between first and last sample = {last['accel']:.0f} accelerated min (1 poll = 3 s); "
              f"{watch.callbacks} callbacks ({watch.panel_feedback} feedback panel renders); feedback versions "
              f"{len(versions)} (ingest p50 {pct([x for _, x in ingester.ingest_s], 0.5) * 1000:.0f} ms), "
              f"simulator runs {len(ingester.runs)} of which {len(updates)} moved a version")
        print(f"JS heap used: start {first['heap'] / 1e6:.2f} MB, end {last['heap'] / 1e6:.2f} MB, "
              f"min {min(s['heap'] for s in series) / 1e6:.2f}, max {max(s['heap'] for s in series) / 1e6:.2f}; "
              f"growth {heap_growth:+.1f} % (target <= 10 %)")
        print(f"  less sensitive to what is on screen at the two instants: least-squares trend {trend:+.1f} % "
              f"per accelerated hour; lowest of the first 3 vs last 3 samples {floor_first / 1e6:.2f} -> "
              f"{floor_last / 1e6:.2f} MB ({(floor_last - floor_first) / floor_first * 100:+.1f} %)")
        print(f"DOM nodes: start {first['nodes']:.0f}, end {last['nodes']:.0f}; JS event listeners: start "
              f"{first['listeners']:.0f}, end {last['listeners']:.0f}; documents {first['documents']:.0f} -> "
              f"{last['documents']:.0f}")
        print(f"errors: failed answers {len(watch.failed)}" + (f" ({', '.join(sorted(set(watch.failed))[:5])})"
                                                             if watch.failed else "")
              + f", console errors {len(watch.console)}" + (f" ({watch.console[0]})" if watch.console else "")
              + f", live poll failures at the end {last['failures']:.0f}")
    finally:
        if ingester is not None:
            ingester.stop()
        dep.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5, help="real minutes measured (x12 accelerated)")
    parser.add_argument("--rotate", action="store_true", help="/wall?rotate=wall,feedback,traffic&every=10")
    parser.add_argument("--reports", type=int, default=1, help="feedback reports per batch")
    add_deployment_args(parser)
    args = parser.parse_args()

    run_guarded(browser_case, args)


if __name__ == "__main__":
    main()
