"""VN_AQI at scale: hourly index for 100 stations × 1 year, the store, and the environment page.

    python bench/environment.py [--stations 100] [--days 365] [--url sqlite:///var/bench-environment.sqlite]
                                [--repeat 3] [--no-page]

1. Simulates ``stations`` × ``days`` of hourly means (4 profiles, 2–6 parameters each) and
   times the vectorised hourly VN_AQI (:func:`ioc.domain.aqi_series.hourly_aqi_frame`: NowCast
   of 12 hours for PM2.5/PM10 with the 2-of-3 rule, current hour for gases) over all
   station-hours, plus the quality flags and the daily index. Target: ≤ 2 s for 876,000.
2. Loads the same data into the store once (kept between runs) and times the KPI set.
3. Starts ``python app.py`` on that store (no simulator, no scheduler) and times the
   environment page in headless Chromium: from navigation to tiles, map markers and every
   chart drawn, cold and then warm. Target: ≤ 2 s warm.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from statistics import median

import numpy as np
import pandas as pd
from common import ROOT, TZ, empty_store, timed
from sqlalchemy import func, select

from data_sources.environment_simulator import STATIONS, history, station_records
from ioc.domain.air_quality import EnvRecords, quality_flags
from ioc.domain.aqi_series import daily_aqi_frame, hourly_aqi_frame
from ioc.kpi.environment import EnvFilter, environment_kpis
from ioc.kpi.periods import Period
from ioc.store.db import init_db, make_engine
from ioc.store.environment import ingest
from ioc.store.schema_environment import env_aqi_hourly, env_observations

# The year ends now, so the page (which looks at the last 24 h … 30 d) shows it as live data.
NOW = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def bench_stations(n: int) -> tuple:
    """``n`` simulated stations: the four profiles again and again, spread over the province."""
    rng = np.random.default_rng(42)
    out = []
    for i in range(n):
        base = STATIONS[i % len(STATIONS)]
        out.append(replace(base, station_id=f"bench-{i:03d}", name=f"{base.name} #{i:03d}",
                           lat=round(float(rng.uniform(16.05, 16.70)), 4), lon=round(float(rng.uniform(107.1, 108.1)), 4)))
    return tuple(out)


def first_day(days: int) -> date:
    """The first local day of ``days`` days ending today (local)."""
    return NOW.replace(tzinfo=UTC).astimezone(TZ).date() - timedelta(days=days - 1)


def simulate(stations: tuple, days: int) -> pd.DataFrame:
    start = first_day(days)
    return history(7, start, start + timedelta(days=days), NOW, str(TZ), stations)


def time_index(obs: pd.DataFrame, days: int, repeat: int) -> None:
    frame = obs.sort_values(["station_id", "parameter", "hour"], kind="stable", ignore_index=True)
    day0 = first_day(days)
    start = np.datetime64(datetime(day0.year, day0.month, day0.day, tzinfo=TZ).astimezone(UTC).replace(tzinfo=None))
    end = start + np.timedelta64(days * 24, "h")
    t0 = time.perf_counter()
    flags = quality_flags(frame["station_id"].to_numpy(), frame["parameter"].to_numpy(), frame["hour"].to_numpy(),
                          frame["value_ugm3"].to_numpy())
    flag_s = time.perf_counter() - t0
    frame["flag"] = flags
    station_hours = frame["station_id"].nunique() * days * 24
    median, best = timed(lambda: hourly_aqi_frame(frame, start, end), repeat)
    hourly = hourly_aqi_frame(frame, start, end)
    t0 = time.perf_counter()
    daily = daily_aqi_frame(frame, hourly, TZ)
    daily_s = time.perf_counter() - t0
    print(f"observations: {len(frame):,} hourly means ({frame['station_id'].nunique()} stations × {days} days)")
    print(f"hourly VN_AQI over {station_hours:,} station-hours: median {median:.2f} s (best {best:.2f} s), "
          f"{len(hourly):,} hours with an AQI   [target ≤ 2 s for 876,000]")
    print(f"quality flags over {len(frame):,} values: {flag_s:.2f} s; daily VN_AQI ({len(daily):,} station-days): "
          f"{daily_s:.2f} s")


def build_store(url: str, stations: tuple, obs: pd.DataFrame, days: int) -> None:
    engine = make_engine(url)
    init_db(engine)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(env_observations)).scalar_one()
        last = conn.execute(select(func.max(env_observations.c.hour))).scalar()
    stale = last is None or pd.Timestamp(last) < pd.Timestamp(NOW) - pd.Timedelta(hours=6)
    if have < len(obs) * 0.95 or stale:  # the store's year must end now for the page to show it

        empty_store(engine)
        init_db(engine)
        t0 = time.perf_counter()
        ids = [s.station_id for s in stations]
        for i in range(0, len(ids), 10):
            part = obs[obs["station_id"].isin(ids[i:i + 10])]
            ingest(engine, "bench", EnvRecords(station_records(stations[i:i + 10]), part), TZ, now=NOW)
        print(f"store: ingested {len(obs):,} hourly means in {time.perf_counter() - t0:.1f} s "
              "(upsert, flags, hourly and daily VN_AQI, alerts)")
    with engine.connect() as conn:
        hours = conn.execute(select(func.count()).select_from(env_aqi_hourly)).scalar_one()
        have = conn.execute(select(func.count()).select_from(env_observations)).scalar_one()
    print(f"store: {have:,} observations, {hours:,} materialised hourly AQI rows ({url})")
    today = NOW.replace(tzinfo=UTC).astimezone(TZ).date()
    for label, period in ((f"{days} days", Period(first_day(days), today + timedelta(days=1))),
                          ("30 days", Period(today - timedelta(days=29), today + timedelta(days=1)))):
        median, best = timed(lambda period=period: environment_kpis(engine, EnvFilter(period), TZ, NOW), 5)
        print(f"KPI set, {label:<8}: median {median * 1000:6.1f} ms (best {best * 1000:6.1f})")
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_page(page: object, t0: float) -> float:
    """Wait until the top (tiles, markers, AQI list) is shown, then every chart; returns the first."""
    page.wait_for_function("() => document.querySelectorAll('#env-tiles .tile[data-value]').length === 6",
                           timeout=60_000)
    page.wait_for_selector("#env-map .aqi-marker", timeout=60_000)
    page.wait_for_selector("#env-now .env-now-item", timeout=60_000)
    top = time.perf_counter() - t0
    for key in ("series", "pollutants", "completeness"):
        page.wait_for_selector(f"#env-chart-{key} .main-svg .trace", state="attached", timeout=60_000)
    page.wait_for_selector("#env-chart-calendar .heatmaplayer .hm", state="attached", timeout=60_000)
    return top


def time_page(url: str, repeat: int) -> None:
    """The environment page on the bench store, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    work = tempfile.mkdtemp(prefix="bench-env-")
    sources = os.path.join(work, "sources.toml")
    with open(sources, "w", encoding="utf-8") as fh:  # one idle source: no simulator writes into the bench store
        fh.write('[[sources]]\nname = "idle"\ntype = "file"\nfamily = "environment"\n'
                 f'path = "{work}/none.csv"\nevery_seconds = 86400\n')
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({"IOC_DATABASE_URL": url, "IOC_PORT": str(port), "IOC_SOURCES": sources,
                "IOC_EMBEDDED_SCHEDULER": "0", "IOC_LIVE_POLL_MS": "600000"})
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.25)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            tab_times = []
            for _ in range(repeat + 1):  # a new tab each time: JS from the HTTP cache, page built from scratch
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                t0 = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/environment?range=30d")
                top = _wait_page(page, t0)
                tab_times.append((top, time.perf_counter() - t0))
                markers = page.locator("#env-map .aqi-marker").count()
                page.close()
            # an operator's path: from the Overview to the page through the navigation bar
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#ov-env-tiles .tile[data-value]", timeout=60_000)
            nav_times = []
            for _ in range(repeat + 1):
                t0 = time.perf_counter()
                page.click("#nav-environment")
                top = _wait_page(page, t0)
                nav_times.append((top, time.perf_counter() - t0))
                page.click("#nav-overview")
                page.wait_for_selector("#ov-env-tiles .tile[data-value]", timeout=60_000)
            browser.close()
        for label, times in (("new tab", tab_times), ("from the Overview", nav_times)):
            warm = times[1:]
            print(f"environment page ({label}), 30 days, {markers} stations: first {times[0][0]:.2f} s shown / "
                  f"{times[0][1]:.2f} s complete; warm median {median([t for t, _ in warm]):.2f} s shown (tiles, "
                  f"map, AQI list) / {median([c for _, c in warm]):.2f} s complete (every chart)   "
                  "[target ≤ 2 s warm]")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--url")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-page", action="store_true", help="skip the browser measurement")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{ROOT / 'var' / f'bench-environment-{args.stations}.sqlite'}"
    stations = bench_stations(args.stations)
    t0 = time.perf_counter()
    obs = simulate(stations, args.days)
    print(f"simulated {len(obs):,} hourly means in {time.perf_counter() - t0:.1f} s")
    time_index(obs, args.days, args.repeat)
    build_store(url, stations, obs, args.days)
    if not args.no_page:
        time_page(url, args.repeat)


if __name__ == "__main__":
    main()
