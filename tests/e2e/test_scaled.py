"""The scaled deployment for real: PostgreSQL, Redis, two gunicorn workers and separate
scheduler processes (two of them, as if one had been started by mistake).

Checks that a report ingested by the scheduler reaches both workers' version key through
Redis, that the pages are served by the workers, and that the two schedulers never
double-run a source.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/7"  # a database of its own, flushed by this test only


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def deployment(pg_url: str, tmp_path: Path) -> Iterator[dict]:
    redis.Redis.from_url(REDIS_URL).flushdb()
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "sim"\ntype = "simulator"\nevery_seconds = 1\nreports_per_minute = 120\n',
        encoding="utf-8",
    )
    env = {**os.environ, "IOC_DATABASE_URL": pg_url, "IOC_REDIS_URL": REDIS_URL, "IOC_SOURCES": str(sources),
           "IOC_EMBEDDED_SCHEDULER": "0", "PYTHONUNBUFFERED": "1"}
    port = _free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []

    def start(name: str, args: list[str]) -> None:
        out = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        procs.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True))

    # Initialise the schema once before the processes race to create it.
    subprocess.run([sys.executable, "-m", "ioc", "sources"], cwd=ROOT, env=env, check=True, capture_output=True)
    start("web", [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "60",
                  "app:create_server()"])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/versions", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        pytest.fail(f"gunicorn did not answer: {(logs / 'web.log').read_text()[-2000:]}")
    try:
        yield {"base": base, "env": env, "start": start, "pg_url": pg_url, "logs": logs}
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _versions(base: str) -> tuple[int, str]:
    # A new connection each time so both workers get asked.
    response = httpx.get(f"{base}/api/versions", timeout=5, headers={"Connection": "close"})
    response.raise_for_status()
    return int(response.json()["versions"].get("feedback", 0)), response.headers["X-IOC-Worker"]


def test_live_notice_reaches_every_worker_and_schedulers_never_double_run(deployment: dict) -> None:
    base = deployment["base"]
    before, _ = _versions(base)
    # Two schedulers: the second one started by mistake.
    for i in (1, 2):
        deployment["start"](f"scheduler{i}", [sys.executable, "-m", "ioc", "scheduler"])
    seen: dict[str, int] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (len(seen) < 2 or min(seen.values()) <= before):
        version, worker = _versions(base)
        seen[worker] = max(version, seen.get(worker, 0))
        time.sleep(0.1)
    assert len(seen) == 2, f"only one worker answered: {seen}"
    assert min(seen.values()) > before, f"a worker never saw the new version: {seen} (before {before})"

    time.sleep(6)  # let both schedulers tick several times
    engine = create_engine(deployment["pg_url"].replace("postgresql+psycopg", "postgresql+psycopg"))
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT started_at FROM collector_runs WHERE source = 'sim' ORDER BY started_at"))
        starts = [r[0] for r in runs]
        stored = conn.execute(text("SELECT count(*) FROM feedback_reports")).scalar_one()
    engine.dispose()
    assert len(starts) >= 4, starts
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)]
    # The lock lets a 1-second source run at most once per 0.8 s. Two schedulers without it
    # would interleave at their phase offset d and 1 − d, and one of those is below 0.5 s.
    assert min(gaps) >= 0.6, gaps
    assert stored > 0

    pages = [httpx.get(f"{base}{path}", timeout=10) for path in ("/", "/feedback", "/_dash-layout")]
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert "IOC" in pages[0].text
