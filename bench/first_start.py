"""A first start on an empty store, as a newcomer runs it: ``python app.py`` with no
configuration (embedded default: SQLite, in-process scheduler, simulated sources).

    python bench/first_start.py [--days 365] [--runs 3] [--port 8799]

For each run, on a new SQLite file in a temporary folder:

1. **first answer**: from starting the process to ``GET /healthz`` answering 200, and to the
   Overview's HTML (``GET /``) answering 200. Target: ≤ 5 s (issue #17).
2. **first families**: until the history of the four families an operator opens first
   (feedback, traffic, environment, administrative services) is stored.
3. **whole history**: until every simulated source's history is written (the progress record
   of :class:`ioc.runtime.Progress`, which the screens' banner shows).

Prints the figures of every run and their median.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ioc.runtime import stored_progress  # noqa: E402


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(days: int, timeout_s: float) -> dict[str, float | None]:
    with tempfile.TemporaryDirectory(prefix="ioc-first-start-") as work:
        store = Path(work) / "app.sqlite"
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
        env.update({"IOC_DATABASE_URL": f"sqlite:///{store}", "IOC_PORT": str(port), "IOC_HOST": "127.0.0.1",
                    "IOC_BACKFILL_DAYS": str(days)})
        base = f"http://127.0.0.1:{port}"
        figures: dict[str, float | None] = {"healthz_s": None, "overview_s": None, "first_families_s": None,
                                            "history_s": None}
        started = time.monotonic()
        with open(Path(work) / "app.log", "w") as log:
            proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                while time.monotonic() - started < timeout_s and proc.poll() is None:
                    now = time.monotonic() - started
                    if figures["healthz_s"] is None and answers(base + "/healthz"):
                        figures["healthz_s"] = now
                    if figures["healthz_s"] is not None and figures["overview_s"] is None and answers(base + "/"):
                        figures["overview_s"] = time.monotonic() - started
                    state = stored_progress(store)
                    if state and figures["first_families_s"] is None and set(state["first"]) <= set(state["done"]):
                        figures["first_families_s"] = now
                    if state and state.get("finished"):
                        figures["history_s"] = now
                        break
                    time.sleep(0.05 if figures["overview_s"] is None else 0.5)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365, help="days of simulated history (IOC_BACKFILL_DAYS)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600, help="give a run up this many seconds")
    args = parser.parse_args()
    rows = []
    for i in range(args.runs):
        figures = one_run(args.days, args.timeout)
        rows.append(figures)
        print(f"run {i + 1}: " + ", ".join(f"{k} {'—' if v is None else f'{v:.2f}'}" for k, v in figures.items()),
              flush=True)
    print(f"\nfirst start, {args.days} days of simulated history, median of {args.runs} runs:")
    for key, label in (("healthz_s", "first answer (/healthz 200)"), ("overview_s", "Overview HTML (GET / 200)"),
                       ("first_families_s", "four first families' history stored"),
                       ("history_s", "whole history written")):
        values = [r[key] for r in rows if r[key] is not None]
        median = f"{statistics.median(values):.2f} s" if values else "not reached"
        target = "  (target ≤ 5 s)" if key == "healthz_s" else ""
        print(f"  {label:40} {median}{target}")


if __name__ == "__main__":
    main()
