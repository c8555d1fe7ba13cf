"""Every page's settle time in headless Chromium, on the embedded default with a year of
simulated history (issue #17: ≤ 1.5 s warm, ≤ 3 s on a first visit).

    python bench/pages.py [--store var/bench-pages.sqlite] [--repeat 3] [--pages traffic,admin]

It starts ``python app.py`` as a newcomer would (SQLite, in-process scheduler, simulated
sources) on ``--store``; a new store first gets its year of history, which the bench waits for
(a few minutes, once: the store is kept for the next run). Then, for each page of the registry
at 1920×1080:

- **first visit**: the first time the page is opened since the app started (cold caches in the
  server), as a full load;
- **warm**: the median of ``--repeat`` in-app navigations from the Overview (the URL pushed the
  way the header's links do it: no reload; to the Overview itself, from the alerts page) and of
  ``--repeat`` full loads.

*Settled* means: Dash has no callback request in flight and none started for
:data:`QUIET_MS` ms, and no loading spinner is shown; the time is from the navigation to the end
of the last callback answer. Prints a table with each page against the targets.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ioc.runtime import stored_progress  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
QUIET_MS = 600
WARM_TARGET_S, FIRST_TARGET_S = 1.5, 3.0
# Counts Dash's callback requests in flight and the time the last one ended (performance.now()).
TRACKER = """() => {
  if (window.__ioc_bench) return;
  window.__ioc_bench = { inflight: 0, last: performance.now(), started: 0 };
  const orig = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (!url.includes('_dash-update-component')) return orig.apply(this, arguments);
    const b = window.__ioc_bench; b.inflight += 1; b.started += 1;
    const done = () => { b.inflight -= 1; b.last = performance.now(); };
    return orig.apply(this, arguments).then(r => { r.clone().text().then(done, done); return r; },
                                            e => { done(); throw e; });
  };
}"""
SETTLED = """(quiet) => {
  const b = window.__ioc_bench;
  if (!b || b.started === 0 || b.inflight > 0) return false;
  if (document.querySelector('._dash-loading, .dash-spinner, ._dash-loading-callback')) return false;
  return performance.now() - b.last >= quiet ? b.last : false;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settle(page, start_ms: float) -> float:  # noqa: ANN001 - a Playwright page
    """Seconds from ``start_ms`` (performance.now()) to the end of the last callback answer."""
    last = page.wait_for_function(SETTLED, arg=QUIET_MS, timeout=120_000, polling=50).json_value()
    return (last - start_ms) / 1000


def full_load(page, url: str) -> float:  # noqa: ANN001
    page.add_init_script(f"({TRACKER})()")
    page.goto(url)
    # a full load's clock starts at navigation: performance.now() is 0 there
    return settle(page, 0.0)


def in_app(page, path: str) -> float:  # noqa: ANN001
    page.evaluate(f"({TRACKER})()")
    start = page.evaluate("() => { window.__ioc_bench.started = 0; return performance.now(); }")
    page.evaluate("(p) => { window.history.pushState({}, '', p);"
                  " window.dispatchEvent(new CustomEvent('_dashprivate_pushstate')); }", path)
    return settle(page, start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=ROOT / "var" / "bench-pages.sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", default="", help="comma-separated page names (default: every page)")
    args = parser.parse_args()
    from ioc.registry import registry

    paths = registry().page_paths()
    names = [n for n in (args.pages.split(",") if args.pages else paths) if n]
    unknown = [n for n in names if n not in paths]
    if unknown:
        sys.exit(f"--pages: unknown page(s) {', '.join(unknown)}; known: {', '.join(paths)}")
    args.store.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({"IOC_DATABASE_URL": f"sqlite:///{args.store.resolve()}", "IOC_PORT": str(port),
                "IOC_HOST": "127.0.0.1"})
    log_path = args.store.with_suffix(".log")
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            began = time.monotonic()
            while not ((stored_progress(args.store) or {}).get("finished") and _answers(base + "/healthz")):
                if app.poll() is not None or time.monotonic() - began > 900:
                    sys.exit(f"app.py did not start or write its history; see {log_path}")
                time.sleep(1)
            print(f"store {args.store} ready after {time.monotonic() - began:.0f} s", flush=True)
            # a restarted app first catches its live simulators up to now: measure the pages once it is idle
            print(f"app idle after {wait_idle(app.pid):.0f} s more", flush=True)
            rows = measure(base, paths, names, args.repeat)
        finally:
            app.terminate()
            app.wait(timeout=30)
    print(f"\nsettle time after navigation, 1920x1080, a year of simulated history "
          f"(targets: warm ≤ {WARM_TARGET_S} s, first visit ≤ {FIRST_TARGET_S} s)")
    print(f"  {'page':14} {'first visit':>12} {'warm link':>10} {'warm load':>10}")
    for name, first, link, load in rows:
        flag = "" if first <= FIRST_TARGET_S and max(link, load) <= WARM_TARGET_S else "  over target"
        print(f"  {name:14} {first:11.2f}s {link:9.2f}s {load:9.2f}s{flag}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, share: float = 0.15, window_s: float = 3.0, limit_s: float = 180.0) -> float:
    """Seconds until process ``pid`` used under ``share`` of a core over ``window_s`` (at most ``limit_s``)."""
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        before = cpu_seconds(pid)
        time.sleep(window_s)
        if cpu_seconds(pid) - before < share * window_s:
            break
    return time.monotonic() - began


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def measure(base: str, paths: dict[str, str], names: list[str], repeat: int) -> list[tuple[str, float, float, float]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for name in names:
            path = paths[name] + ("&" if "?" in paths[name] else "?") + "lang=vi"
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            first = full_load(page, base + path)
            links, loads = [], []
            origin = "/alerts?lang=vi" if paths[name] == "/" else "/?lang=vi"  # a link to the page shown does nothing
            for _ in range(repeat):
                page.goto(base + origin)
                settle(page, 0.0)
                links.append(in_app(page, path))
                loads.append(full_load(page, base + path))
            context.close()
            row = (name, first, statistics.median(links), statistics.median(loads))
            print(f"  {name}: first {first:.2f} s, warm link {row[2]:.2f} s, warm load {row[3]:.2f} s", flush=True)
            rows.append(row)
        browser.close()
    return rows


if __name__ == "__main__":
    main()
