"""A spec-declared system's page on a store of a million events: time from navigation to a
settled page in headless Chromium (target ≤ 2 s).

    python bench/systems.py                 # builds var/bench-systems.sqlite (1M lights events)
    python bench/systems_page.py [--url sqlite:///var/bench-systems.sqlite] [--repeat 5]

It starts ``python app.py`` on that store (the lights spec from tests/data/systems through
``IOC_SYSTEMS``; no scheduler, no simulator: the store is read as it is) and opens
``/lights?from=2025-01-01&to=2026-01-01`` (the year the bench store holds). It prints the seconds
from navigation to the moment every tile has its value, the by-unit table and the latest events
have rows, the charts are drawn and Dash has no callback pending:

- the first visit after the app started (cold caches in the server and the browser);
- warm full loads: from the Overview, ``page.goto`` the page (a typed URL or a bookmark: the
  browser loads and runs every script again);
- warm in-app navigations: from the Overview, the page's URL pushed the way a link inside the
  app does it (``dcc.Link``): no reload, what an operator gets from the header's menu.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT

CHROMIUM = "/usr/bin/chromium"
SETTLED = """() => {
  const tiles = [...document.querySelectorAll('#sys-lights-tiles .tile')];
  if (!tiles.length || tiles.some(t => t.classList.contains('tile-loading'))) return false;
  if (document.querySelector('._dash-loading, .dash-spinner')) return false;
  const grids = [...document.querySelectorAll('.ag-center-cols-container')];
  if (grids.length < 2 || grids.some(g => !g.querySelector('.ag-row'))) return false;
  const charts = [...document.querySelectorAll('.js-plotly-plot')];
  return charts.length > 0 && charts.every(c => c.querySelector('.main-svg'));
}"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def overview(page, base: str) -> None:  # noqa: ANN001 - a Playwright page
    """Go to the Overview and wait until it has settled (no request for half a second)."""
    page.goto(f"{base}/?lang=vi")
    page.wait_for_function("() => document.querySelector('.tile[data-value]') !== null", timeout=60_000)
    page.wait_for_load_state("networkidle")


def visit(page, path: str, base: str, reload: bool) -> float:  # noqa: ANN001 - a Playwright page
    """Seconds from navigating to ``path`` (from the settled Overview) to the page settled."""
    if page.url != f"{base}/?lang=vi":
        overview(page, base)
    start = time.perf_counter()
    if reload:
        page.goto(path)
    else:  # what dcc.Link does on a click: push the URL, tell Dash's router
        page.evaluate("(p) => { window.history.pushState({}, '', p);"
                      " window.dispatchEvent(new CustomEvent('_dashprivate_pushstate')); }", path.removeprefix(base))
    page.wait_for_function(SETTLED, timeout=60_000, polling=50)
    seconds = time.perf_counter() - start
    overview(page, base)  # away again, with the server warm
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"sqlite:///{ROOT / 'var' / 'bench-systems.sqlite'}")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.url.startswith("sqlite:///") and not Path(args.url.removeprefix("sqlite:///")).is_file():
        sys.exit(f"{args.url}: no store; run python bench/systems.py first")
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="bench-systems-page-"))
    sources = work / "sources.toml"  # one source that never runs (no scheduler): the store stays as built
    sources.write_text('[[sources]]\nname = "lights-file"\ntype = "file"\nfamily = "lights"\n'
                       f'path = "{work / "none.csv"}"\nevery_seconds = 86400\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({"IOC_DATABASE_URL": args.url, "IOC_SYSTEMS": str(ROOT / "tests" / "data" / "systems"),
                "IOC_SOURCES": str(sources), "IOC_EMBEDDED_SCHEDULER": "0", "IOC_PORT": str(port),
                "IOC_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"})
    log = (work / "app.log").open("w")
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or app.poll() is not None:
                    sys.exit(f"app.py did not start; see {work / 'app.log'}")
                time.sleep(0.3)
        from playwright.sync_api import sync_playwright

        path = f"{base}/lights?from=2025-01-01&to=2026-01-01&lang=vi"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
            page = context.new_page()
            first = visit(page, path, base, reload=True)
            loads, links = [], []
            for _ in range(args.repeat):  # alternated, so a slow spell of the machine weighs on both
                loads.append(visit(page, path, base, reload=True))
                links.append(visit(page, path, base, reload=False))
            browser.close()
        print(f"page /lights (1 year of a {args.url.rsplit('/', 1)[-1]} store), 1920x1080, settled after navigation:")
        print(f"  first visit (cold caches): {first:.2f} s")
        for name, times in (("warm, full load", loads), ("warm, in-app navigation", links)):
            print(f"  {name}: median {statistics.median(times):.2f} s, worst {max(times):.2f} s over {len(times)} "
                  "visits (target ≤ 2 s)")
    finally:
        app.terminate()
        app.wait(timeout=20)
        log.close()


if __name__ == "__main__":
    main()
