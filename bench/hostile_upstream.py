"""What one collector run costs against a hostile upstream, with the real default settings
(run deadline 55 s, 30 s a request, 8 MiB a body, 10 s read timeout, 500 requests, page_cap
1000). Issue #13's target: at most 60 s and 300 MB per run, whatever the upstream sends.

Each case runs in a fresh child process (so peak RSS is that run's: ``ru_maxrss`` of the child,
including the interpreter and the app's imports, printed apart as "base") against the
misbehaving server of tests/integration/hostile_server.py, running in this process.

    .venv/bin/python bench/hostile_upstream.py            # every case
    .venv/bin/python bench/hostile_upstream.py drip endless
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# case: (collector, server mode, server settings)
CASES: dict[str, tuple[str, str, dict[str, int | float]]] = {
    "drip (1 byte / 2 s)": ("open311", "drip", {"drip_s": 2.0}),
    "slow headers (1 byte / 2 s)": ("open311", "slow_headers", {"drip_s": 2.0}),
    "endless body": ("open311", "endless", {}),
    "huge Content-Length": ("open311", "huge_length", {"drip_s": 2.0}),
    "dates ignored, cap items of 2 kB": ("open311", "ignore_dates", {"filler": 2000}),
    "valid JSON of 7.5 MiB (Open311)": ("open311", "big_valid", {"big_bytes": int(7.5 * 1024 * 1024)}),
    "valid JSON of 7.5 MiB (json)": ("json", "big_valid_json", {"big_bytes": int(7.5 * 1024 * 1024)}),
    "extreme dates": ("open311", "extreme_dates", {}),
    "duplicate ids": ("open311", "duplicates", {}),
    "invalid JSON": ("open311", "invalid_json", {}),
    "HTTP 500": ("open311", "http500", {}),
    "drip (json)": ("json", "drip", {"drip_s": 2.0}),
}


def _sources_toml(kind: str, url: str) -> str:
    if kind == "open311":
        return (f'[[sources]]\nname = "bench"\ntype = "open311"\nurl = "{url}/open311"\nevery_seconds = 60\n'
                'api_key = "bench-key"\n')
    return (f'[[sources]]\nname = "bench"\ntype = "json"\nfamily = "feedback"\nurl = "{url}/json/events"\n'
            'every_seconds = 60\nitems = "data"\nwatermark_field = "updated_at"\n'
            '[sources.fields]\nexternal_id = "id"\nreceived_at = "created"\nupdated_at = "updated"\n'
            'resolved_at = "updated"\nstatus = "state"\ncategory_code = "=lighting"\n'
            '[sources.values.status]\nopen = "received"\nclosed = "resolved"\n')


def child(kind: str, url: str, workdir: str) -> None:
    """Run the source once with default settings; print a JSON line of what it cost."""
    from ioc.collect import run_source
    from ioc.config import load_settings
    from ioc.context import build_context

    path = Path(workdir) / "sources.toml"
    path.write_text(_sources_toml(kind, url), encoding="utf-8")
    ctx = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{workdir}/bench.db", "IOC_SOURCES": str(path)}))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.monotonic()
    outcome = run_source(ctx, ctx.source("bench"))
    seconds = time.monotonic() - start
    print(json.dumps({"status": outcome.status, "error": (outcome.error or "")[:110], "seconds": seconds,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "base_mb": base,
                      "inserted": outcome.counts["inserted"], "rejected": outcome.counts["rejected"]}))


def main(wanted: list[str]) -> int:
    from tests.integration.hostile_server import HostileServer, report

    now = datetime.now(UTC)
    good = [report(f"G{i}", now - timedelta(days=2, hours=i)) for i in range(50)]
    print(f"{'case':<36} {'status':<7} {'time s':>7} {'peak RSS MB':>12} {'base MB':>8}  error")
    worst_s = worst_mb = 0.0
    for name, (kind, mode, settings) in CASES.items():
        if wanted and not any(w in name or w == mode for w in wanted):
            continue
        with HostileServer(good=good, cap=1000) as server, tempfile.TemporaryDirectory() as workdir:
            server.mode = mode
            for key, value in settings.items():
                setattr(server, key, value)
            proc = subprocess.run([sys.executable, __file__, "--child", kind, server.url, workdir],
                                  capture_output=True, text=True, cwd=ROOT, timeout=600)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode or not lines:
            print(f"{name:<36} child failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
            continue
        r = json.loads(lines[-1])
        worst_s, worst_mb = max(worst_s, r["seconds"]), max(worst_mb, r["rss_mb"])
        what = r["error"] or f"inserted {r['inserted']}, rejected {r['rejected']}"
        print(f"{name:<36} {r['status']:<7} {r['seconds']:>7.1f} {r['rss_mb']:>12.0f} {r['base_mb']:>8.0f}  {what}")
    print(f"worst: {worst_s:.1f} s (target ≤ 60), {worst_mb:.0f} MB peak RSS (target ≤ 300)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        sys.exit(main(sys.argv[1:]))
