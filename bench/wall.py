"""The operations wall under load: N gunicorn workers, M simulated wall screens, a fixed ingest rate.

    .venv/bin/python bench/wall.py [--workers 2] [--screens 200] [--duration 60] [--warmup 30]
                                   [--poll-ms 3000] [--ingest-every 2.0] [--reports 3]
    .venv/bin/python bench/wall.py --profile [--screens 200]      (server CPU per request kind + model)
    .venv/bin/python bench/wall.py --browser [--minutes 5] [--rotate]    (see bench/wall_browser.py)
    extra gunicorn options to try a deployment change: --gunicorn-args "--keep-alive 10"

Deployment as in production (``scripts/dev.sh prod``): a fresh PostgreSQL database
(``--db ioc_bench_wall`` on 127.0.0.1:5432, user postgres, trust auth; dropped and recreated),
Redis database 5 (``--redis``; flushed before and after), ``IOC_EMBEDDED_SCHEDULER=0``, a sources
file whose only source is a feedback *file* source that nothing runs, and ``gunicorn --workers N
--worker-class gthread --threads 4 'app:create_server()'`` on a free port. History is seeded first
with ``python -m ioc simulate`` (feedback ``--history-days``, the other families ``--other-days``).

The only ingests are the bench's own: a separate process stores ``--reports`` new feedback
reports every ``--ingest-every`` seconds the way ``ioc/collect.py`` does (run row, the family's
ingest from the family registry, ``ioc.registry``, ``ctx.notifier.publish``) and records when each data
version was committed.

A screen does what ``assets/ioc.js`` and Dash's renderer do on ``/wall``: loads the page (index,
layout, dependencies, the page and wall callbacks; not the assets nor the header's nav callbacks),
then GETs ``/api/live`` ``--poll-ms`` after
each answer (random initial phase; backoff 1x, 2x, 4x … at most 30 s after a failure); when the
versions moved it POSTs the panel callback of each moved family (the alert
ticker when ``alerts`` or ``environment`` moved); every 60 s the ``wall-tick`` interval re-runs the
four panels and the ticker. Ingest-to-screen latency of a sample = arrival of the feedback panel's
answer − commit time of the version that screen asked for. Requests are counted from the end of
the warm-up for ``--duration`` seconds; every non-200 answer, timeout and connection error is
counted and printed; a request lost because the server closed a kept-alive connection as it
went out is retried once, as Chromium does, and counted apart. Screens speak HTTP/1.1 with
keep-alive and gzip through a small asyncio client (httpx cost the load generator so much CPU
that at 200 screens it measured its own event-loop lag); its lag is printed. Callback URLs carry
``&bench=KIND`` (ignored by Dash) so the access log gives the handler time of each kind.

Server CPU is utime+stime of the gunicorn master and workers (``/proc``) over the measured window,
as % of the whole machine and of one core, and as CPU ms per second per screen; PostgreSQL
backends of the bench database, Redis, the load generator and the ingest process are printed
beside it, with the machine's load average, since all of them share the same cores. "Cache
computations" counts the compute leases given back (ioc.cache single flight; server-wide): more
than one per new version and query means several screens computed the same summary at once.

Targets (benchmarks, not tests; 2-core machine): 200 screens on 2 workers: p95 ingest-to-screen
≤ 5 s, server CPU ≤ 50 %. JS heap growth over an accelerated hour ≤ 10 % (``--browser``).
Needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379. Everything is cleaned up on exit,
Ctrl-C included (``--keep-logs`` keeps the gunicorn logs).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import brotli
import httpx
from common import ROOT

from ioc.registry import registry

WALL_FAMILIES = registry().wall_codes  # a panel per family on the wall (Family.on_wall)
TICK_S = 60.0  # layouts/wall.py TICK_MS: the wall re-runs its panels every minute
CLK_TCK = os.sysconf("SC_CLK_TCK")
BROWSER_HEADERS = {"User-Agent": "bench-wall (like Chromium)", "Accept-Language": "vi,en;q=0.8"}
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
# Wall-clock second, worker, request line, status and microseconds in the handler, per request.
ACCESS_FORMAT = '%(t)s %(p)s "%(m)s %(U)s %(q)s" %(s)s %(D)s'
ACCESS_LINE = re.compile(r'\[(?P<t>[^\]]+)\] <(?P<pid>\d+)> "(?P<m>\S+) (?P<u>\S+) (?P<q>[^"]*)" (?P<s>\d+) (?P<d>\d+)')


# --- the deployment ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sources_toml(sources: list[dict[str, Any]]) -> str:
    out = []
    for src in sources:
        out.append("[[sources]]")
        out += [f"{k} = {json.dumps(v)}" for k, v in src.items()]
        out.append("")
    return "\n".join(out)


@dataclass
class Deployment:
    """PostgreSQL + Redis + gunicorn, like ``scripts/dev.sh prod`` without its scheduler."""

    workers: int
    poll_ms: int
    db: str = "ioc_bench_wall"
    redis_url: str = "redis://127.0.0.1:6379/5"
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    sources: list[dict[str, Any]] = field(default_factory=list)
    keep_logs: bool = False
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-wall-")))
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    gunicorn_args: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        return f"postgresql+psycopg://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.db}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "IOC_DATABASE_URL": self.db_url, "IOC_REDIS_URL": self.redis_url,
                "IOC_SOURCES": str(self.work / "sources.toml"), "IOC_EMBEDDED_SCHEDULER": "0",
                "IOC_LIVE_POLL_MS": str(self.poll_ms), "PYTHONUNBUFFERED": "1"}

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=self.pg_host, port=self.pg_port, user=self.pg_user, dbname="postgres",
                             autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def _flush_redis(self) -> None:
        import redis

        redis.Redis.from_url(self.redis_url, socket_timeout=5).flushdb()

    def start(self, seed: list[tuple[str, int]]) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.db}"')
        self._flush_redis()
        # Seed with the configured sources minus simulators, so ``simulate`` uses the default
        # (not sped-up) simulators; then write the sources the deployment runs with.
        (self.work / "sources.toml").write_text(
            _sources_toml([s for s in self.sources if s["type"] != "simulator"]), encoding="utf-8")
        env = self.env()
        subprocess.run([sys.executable, "-m", "ioc", "sources"], cwd=ROOT, env=env, check=True, capture_output=True)
        for family, days in seed:
            if days > 0:
                t0 = time.monotonic()
                out = subprocess.run([sys.executable, "-m", "ioc", "simulate", "--family", family, "--days", str(days)],
                                     cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip()
                print(f"seed: {out} ({time.monotonic() - t0:.0f} s)")
        (self.work / "sources.toml").write_text(_sources_toml(self.sources), encoding="utf-8")
        log = open(self.work / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--worker-class", "gthread",
             "--threads", "4", "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--graceful-timeout", "20",
             "--access-logfile", str(self.work / "access.log"), "--access-logformat", ACCESS_FORMAT,
             *self.gunicorn_args, "app:create_server()"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 90) -> None:
        """Until every worker has answered /api/live (workers build the app lazily)."""
        seen: set[str] = set()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(seen) < self.workers:
            if self.proc is not None and self.proc.poll() is not None:
                break
            try:
                r = httpx.get(f"{self.base}/api/live", timeout=10, headers={"Connection": "close"})
                if r.status_code == 200:
                    seen.add(r.headers.get("X-IOC-Worker", ""))
                    continue
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        if len(seen) < self.workers:
            raise RuntimeError(f"gunicorn not ready ({len(seen)} of {self.workers} workers answered):\n"
                               + self.log_tail())

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join((self.work / "gunicorn.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        for step in (lambda: self._admin(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)'), self._flush_redis):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - clean up what we can, say what we could not
                print(f"cleanup: {type(exc).__name__}: {exc}", file=sys.stderr)
        if self.keep_logs:
            print(f"logs kept in {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


# --- the ingest process -----------------------------------------------------------------------


def feedback_batch(n: int, seq: int, rng: random.Random) -> list[Any]:
    """``n`` new citizen reports received in the last few minutes, validated like a collector's."""
    from datetime import UTC, datetime, timedelta

    from ioc.domain.feedback import CATEGORIES, validate_report
    from ioc.domain.units import UnitMap

    districts = list(UnitMap.default().current_communes())  # today's communes
    now = datetime.now(UTC).replace(tzinfo=None)
    out = []
    for i in range(n):
        unit = rng.choice(districts)
        out.append(validate_report({
            "external_id": f"BENCH-{os.getpid()}-{seq}-{i}", "status": "received",
            "received_at": now - timedelta(seconds=rng.randint(0, 600)), "category_code": rng.choice(list(CATEGORIES)),
            "unit_code": unit.code, "lat": unit.lat + rng.uniform(-0.01, 0.01), "lon": unit.lon + rng.uniform(-0.01, 0.01),
            "channel": "hue_s", "description": "bench", "address": "bench",
        }))
    return out


def ingest_loop(env: dict[str, str], every_s: float, reports: int, source: str, simulators: list[dict[str, Any]],
                speedup: float, stop: Any, out: Any) -> None:
    """Runs in its own process: a feedback batch every ``every_s`` through the collector's path
    (run row, family ingest, publish), reporting ("commit", version, monotonic time, seconds).
    ``simulators``: other sources run with ioc.collect.run_source every cadence / ``speedup``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which sets ``stop``
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from ioc.collect import run_source
    from ioc.config import load_settings
    from ioc.context import build_context
    from ioc.notify import db_versions
    from ioc.registry import registry
    from ioc.store import runs
    from ioc.store.feedback import records_frame

    ctx = build_context(load_settings(env))
    cctx = ctx.collector_context()
    family = registry().family("feedback")
    rng = random.Random(7)
    specs = {s.name: s for s in ctx.sources}
    jobs = [[time.monotonic() + every_s, every_s, None]]
    jobs += [[time.monotonic() + rng.uniform(0, s["every_seconds"] / speedup), s["every_seconds"] / speedup,
              specs[s["name"]]] for s in simulators]
    seq = 0
    while not stop.is_set():
        job = min(jobs, key=lambda j: j[0])
        wait = job[0] - time.monotonic()
        if wait > 0:
            stop.wait(wait)
            continue
        job[0] = max(job[0] + job[1], time.monotonic())  # fixed rate; never burst to catch up
        if job[2] is not None:
            before = ctx.notifier.versions().get(job[2].family, 0)
            outcome = run_source(ctx, job[2])
            version = ctx.notifier.versions().get(job[2].family, 0)
            out.put(("run", job[2].family, outcome.status, version if version != before else None))
            continue
        seq += 1
        t0 = time.monotonic()
        run_id = runs.start_run(ctx.engine, source, "feedback")
        result = family.ingest(ctx.engine, source, records_frame(feedback_batch(reports, seq, rng)), cctx.tz,
                               cctx.calendar)
        committed = time.monotonic()
        runs.finish_run(ctx.engine, run_id, "ok", {"fetched": reports, "inserted": result.inserted,
                                                    "updated": result.updated, "unchanged": result.unchanged,
                                                    "rejected": 0}, None)
        version = db_versions(ctx.engine).get("feedback", 0)
        ctx.notifier.publish("feedback", version)
        out.put(("commit", version, committed, committed - t0))
    t = os.times()
    out.put(("cpu", t.user + t.system))


class Ingester:
    def __init__(self, env: dict[str, str], every_s: float, reports: int, source: str,
                 simulators: list[dict[str, Any]] | None = None, speedup: float = 1.0):
        ctx = mp.get_context("spawn")
        self._stop = ctx.Event()
        self._out = ctx.Queue()
        self.proc = ctx.Process(target=ingest_loop, daemon=True,
                                args=(env, every_s, reports, source, simulators or [], speedup, self._stop, self._out))
        self.commits: dict[int, float] = {}
        self.ingest_s: list[tuple[float, float]] = []
        self.runs: list[tuple[str, str, int | None]] = []
        self.cpu_s: float | None = None

    def start(self) -> None:
        self.proc.start()

    def wait_first_commit(self, timeout_s: float = 120) -> None:
        """Until the ingest process has stored its first batch (it imports the app stack first)."""
        deadline = time.monotonic() + timeout_s
        while not self.commits and time.monotonic() < deadline and self.proc.is_alive():
            time.sleep(0.2)
            self.drain()
        if not self.commits:
            raise RuntimeError("the ingest process stored nothing (see its traceback above)")

    def drain(self) -> None:
        import queue

        while True:
            try:
                msg = self._out.get_nowait()
            except queue.Empty:
                return
            if msg[0] == "commit":
                self.commits.setdefault(msg[1], msg[2])
                self.ingest_s.append((msg[2], msg[3]))
            elif msg[0] == "run":
                self.runs.append(msg[1:])
            else:
                self.cpu_s = msg[1]

    def stop(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + 15
        while self.proc.is_alive() and time.monotonic() < deadline:
            self.drain()
            self.proc.join(0.2)
        if self.proc.is_alive():
            self.proc.terminate()
        self.drain()


# --- CPU from /proc ---------------------------------------------------------------------------


def proc_cpu_s(pid: int) -> float | None:
    """utime + stime of one process (all its threads), seconds; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def children(pid: int) -> list[int]:
    out = []
    for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out


def pids_named(name: str) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as fh:
                    if fh.read().strip() == name:
                        out.append(int(entry))
            except OSError:
                pass
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values[:8]) - idle, sum(values[:8])


def pg_backends(dep: Deployment) -> list[int]:
    import psycopg

    with psycopg.connect(host=dep.pg_host, port=dep.pg_port, user=dep.pg_user, dbname="postgres",
                         connect_timeout=5) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (dep.db,)).fetchall()
    return [r[0] for r in rows]


@dataclass
class CpuSnapshot:
    at: float
    gunicorn: dict[int, float]
    postgres: dict[int, float]
    redis: float
    me: float
    ingest: float
    busy: tuple[float, float]
    load: tuple[float, float, float]
    wall: float = field(default_factory=time.time)
    redis_calls: dict[str, int] = field(default_factory=dict)  # server-wide INFO commandstats


def snapshot(dep: Deployment, ingest_pid: int | None) -> CpuSnapshot:
    assert dep.proc is not None
    master = dep.proc.pid
    gun = {p: c for p in [master, *children(master)] if (c := proc_cpu_s(p)) is not None}
    pg = {p: c for p in pg_backends(dep) if (c := proc_cpu_s(p)) is not None}
    import redis

    stats = redis.Redis.from_url(dep.redis_url, socket_timeout=5).info("commandstats")
    t = os.times()
    return CpuSnapshot(time.monotonic(), gun, pg, sum(proc_cpu_s(p) or 0 for p in pids_named("redis-server")),
                       t.user + t.system, (proc_cpu_s(ingest_pid) or 0) if ingest_pid else 0, machine_busy(),
                       os.getloadavg(), redis_calls={k.removeprefix("cmdstat_"): int(v["calls"])
                                                     for k, v in stats.items() if isinstance(v, dict)})


def delta(a: dict[int, float], b: dict[int, float]) -> float:
    """CPU seconds used between two snapshots by processes in ``b`` (new ones: all of theirs)."""
    return sum(cpu - a.get(pid, 0.0) for pid, cpu in b.items())


# --- the screens ------------------------------------------------------------------------------


def panel_body(family: str, key: str, tick: int, lang: str, changed: str) -> dict[str, Any]:
    return {"output": f"..wall-tiles-{family}.children...wall-sub-{family}.children..",
            "outputs": [{"id": f"wall-tiles-{family}", "property": "children"},
                        {"id": f"wall-sub-{family}", "property": "children"}],
            "inputs": [{"id": f"wall-version-{family}", "property": "data", "value": key},
                       {"id": "wall-tick", "property": "n_intervals", "value": tick}],
            "changedPropIds": [changed], "parsedChangedPropsIds": [changed],
            "state": [{"id": "page-lang", "property": "data", "value": lang}]}


def ticker_body(key: str, tick: int, lang: str, changed: str) -> dict[str, Any]:
    return {"output": "..wall-ticker.children...wall-stage.children...wall-stage.className..",
            "outputs": [{"id": "wall-ticker", "property": "children"}, {"id": "wall-stage", "property": "children"},
                        {"id": "wall-stage", "property": "className"}],
            "inputs": [{"id": "wall-alerts-version", "property": "data", "value": key},
                       {"id": "wall-tick", "property": "n_intervals", "value": tick}],
            "changedPropIds": [changed], "parsedChangedPropsIds": [changed],
            "state": [{"id": "page-lang", "property": "data", "value": lang}]}


def pages_body(path: str) -> dict[str, Any]:
    ids = ["_pages_location.pathname", "_pages_location.search"]
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ids, "parsedChangedPropsIds": ids,
            "state": [{"id": "lang-store", "property": "data", "value": None}]}


def check_dependencies(base: str) -> None:
    """The callbacks the screens call must exist as the app declares them (fail loudly on drift)."""
    deps = httpx.get(f"{base}/_dash-dependencies", timeout=30).json()
    declared = {d["output"]: [f"{i['id']}.{i['property']}" for i in d["inputs"]] for d in deps}
    bodies = [panel_body(f, f"{f}:0", 0, "vi", "") for f in WALL_FAMILIES]
    bodies += [ticker_body("alerts:0,environment:0", 0, "vi", ""), pages_body("/wall")]
    for body in bodies:
        inputs = [f"{i['id']}.{i['property']}" for i in body["inputs"]]
        if declared.get(body["output"]) != inputs:
            raise RuntimeError(f"the app no longer declares {body['output']} with inputs {inputs} "
                               f"(declared: {declared.get(body['output'])}); update bench/wall.py")


def tag_of(kind: str) -> str:
    """The short name of a request kind, as it appears in the access log."""
    return kind.split(" (")[0].replace(" ", "-").replace("GET-", "")


def server_times(dep: Deployment, since: float, until: float) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Handler seconds per request kind and requests per worker, from the access log, by wall clock."""
    from datetime import datetime

    times: dict[str, list[float]] = {}
    workers: dict[str, int] = {}
    try:
        lines = (dep.work / "access.log").read_text(errors="replace").splitlines()
    except OSError:
        return times, workers
    for line in lines:
        m = ACCESS_LINE.match(line)
        if m is None:
            continue
        at = datetime.strptime(m["t"], "%d/%b/%Y:%H:%M:%S %z").timestamp()
        if not int(since) <= at < until:
            continue
        tag = m["u"] if m["m"] == "GET" else (re.search(r"bench=([^&]+)", m["q"]) or [None, "other"])[1]
        tag = "/api/live" if tag == "/api/live" else ("page" if tag.startswith("/") else tag)
        times.setdefault(tag, []).append(int(m["d"]) / 1e6)
        workers[m["pid"]] = workers.get(m["pid"], 0) + 1
    return times, workers


@dataclass
class Stats:
    requests: list[tuple[str, float, float, Any]] = field(default_factory=list)  # kind, start, seconds, status
    samples: list[tuple[int, float]] = field(default_factory=list)  # feedback version shown, arrival time
    loop_lag: list[float] = field(default_factory=list)  # load generator: oversleep of a 50 ms timer, seconds
    bad_bodies: int = 0
    retried: list[tuple[str, float, str]] = field(default_factory=list)  # first attempts lost, retried once


class Answer:
    def __init__(self, status_code: int, content: bytes):
        self.status_code, self.content = status_code, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class ConnectionLost(Exception):
    def __init__(self, reused: bool, what: str):
        super().__init__(what)
        self.reused, self.what = reused, what


class BrowserishClient:
    """HTTP/1.1 with keep-alive, at most 6 connections per host, gzip: what a browser tab uses.

    Written on asyncio streams because httpx costs several CPU ms per request, and 200 screens
    in one process then measure the load generator instead of the server."""

    def __init__(self, host: str, port: int, max_connections: int = 6):
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(max_connections)
        self.head = (f"Host: {host}:{port}\r\nUser-Agent: {BROWSER_HEADERS['User-Agent']}\r\n"
                     "Accept-Encoding: gzip, deflate, br\r\nAccept-Language: vi,en;q=0.8\r\n"
                     "Connection: keep-alive\r\n")

    async def request(self, method: str, path: str, body: bytes | None = None) -> Answer:
        async with self.slots:
            reused = False
            while self.idle:
                reader, writer = self.idle.pop()
                if not reader.at_eof() and not writer.is_closing():
                    reused = True
                    break
                writer.close()
            else:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                extra = ("Accept: application/json\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(body)}\r\n") if body is not None else "Accept: */*\r\n"
                writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + (body or b""))
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split()[1])
                headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
                if "content-length" in headers:
                    content = await reader.readexactly(int(headers["content-length"]))
                elif headers.get("transfer-encoding", "").lower() == "chunked":
                    content = b""
                    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                        content += (await reader.readexactly(size + 2))[:-2]
                    await reader.readuntil(b"\r\n")
                else:
                    content = await reader.read()
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                writer.close()
                raise ConnectionLost(reused, type(exc).__name__) from None
            except BaseException:
                writer.close()
                raise
            if headers.get("connection", "").lower() == "close":
                writer.close()
            else:
                self.idle.append((reader, writer))
        encoding = headers.get("content-encoding")
        if encoding == "gzip":
            content = gzip.decompress(content)
        elif encoding == "br":  # what flask-compress answers to Chromium's Accept-Encoding first
            content = brotli.decompress(content)
        return Answer(status, content)

    async def aclose(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


class Screen:
    def __init__(self, i: int, base: str, poll_s: float, stats: Stats, lang: str = "vi"):
        self.i, self.poll_s, self.stats, self.lang = i, poll_s, stats, lang
        host, port = base.removeprefix("http://").split(":")
        self.client = BrowserishClient(host, int(port))
        self.end_id = ""
        self.versions: dict[str, int] = {}
        self.keys: dict[str, str] = {}
        self.tick = 0
        self.tasks: set[asyncio.Task] = set()

    async def request(self, kind: str, method: str, url: str, timeout: float = 60.0,
                      body: dict[str, Any] | None = None) -> Answer | None:
        t0 = time.monotonic()
        r: Answer | None = None
        for attempt in (1, 2):
            try:
                r = await asyncio.wait_for(self.client.request(method, url, None if body is None else
                                                               json.dumps(body).encode()), timeout)
                status: Any = r.status_code
            except TimeoutError:
                status = "timeout"
            except ConnectionLost as exc:
                # The server closed a kept-alive connection as the request went out: Chromium
                # retries such a request once on a fresh connection; so do we, and count it.
                status = exc.what
                if exc.reused and attempt == 1:
                    self.stats.retried.append((kind, t0, status))
                    continue
            except OSError as exc:
                status = type(exc).__name__
            break
        self.stats.requests.append((kind, t0, time.monotonic() - t0, status))
        return r if status == 200 else None

    async def callback(self, kind: str, body: dict[str, Any]) -> Answer | None:
        # bench= (ignored by Dash) lets the access log tell the callbacks apart
        return await self.request(kind, "POST", f"/_dash-update-component?endId={self.end_id}&bench={tag_of(kind)}",
                                  body=body)

    async def panel(self, family: str, why: str) -> None:
        """``why``: "news" (its version moved), "tick" (the minute interval) or "page" (page load)."""
        key = self.keys[family]
        changed = "wall-tick.n_intervals" if why == "tick" else f"wall-version-{family}.data"
        r = await self.callback({"news": f"cb:panel {family}", "tick": "cb:tick (5 per minute)",
                                 "page": "page"}[why], panel_body(family, key, self.tick, self.lang, changed))
        if r is None:
            return
        if f'"wall-tiles-{family}"'.encode() not in r.content:
            self.stats.bad_bodies += 1
        elif family == "feedback" and why == "news":
            self.stats.samples.append((int(key.split(":")[1]), time.monotonic()))

    async def ticker(self, why: str) -> None:
        changed = "wall-tick.n_intervals" if why == "tick" else "wall-alerts-version.data"
        await self.callback({"news": "cb:ticker", "tick": "cb:tick (5 per minute)", "page": "page"}[why],
                            ticker_body(self.keys["alerts"], self.tick, self.lang, changed))

    def alerts_key(self) -> str:
        return ",".join(f"{f}:{self.versions.get(f, 0)}" for f in ("alerts", "environment"))

    async def load_page(self) -> None:
        r = await self.request("page", "GET", "/wall")
        if r is not None:
            m = re.search(r'"end_id":\s*"([^"]+)"', r.text)
            self.end_id = m.group(1) if m else ""
        r = await self.request("page", "GET", "/_dash-layout")
        if r is not None:
            m = re.search(r'"data-versions":\s*"((?:[^"\\]|\\.)*)"', r.text)
            self.versions = json.loads(json.loads(f'"{m.group(1)}"')) if m else {}
        await self.request("page", "GET", "/_dash-dependencies")
        await self.callback("page", pages_body("/wall"))
        self.keys = {f: f"{f}:{self.versions.get(f, 0)}" for f in WALL_FAMILIES}
        self.keys["alerts"] = self.alerts_key()
        await asyncio.gather(self.ticker("page"), *[self.panel(f, "page") for f in WALL_FAMILIES])

    async def on_versions(self, versions: dict[str, int]) -> None:
        work = []
        for family in WALL_FAMILIES:
            key = f"{family}:{versions.get(family, 0)}"
            if key != self.keys[family]:
                self.keys[family] = key
                work.append(self.panel(family, "news"))
        if self.alerts_key() != self.keys["alerts"]:
            self.keys["alerts"] = self.alerts_key()
            work.append(self.ticker("news"))
        await asyncio.gather(*work)

    async def on_tick(self) -> None:
        self.tick += 1
        await asyncio.gather(self.ticker("tick"), *[self.panel(f, "tick") for f in WALL_FAMILIES])

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self, phase_s: float, stop_at: float) -> None:
        try:
            await asyncio.sleep(phase_s)
            await self.load_page()
            next_tick = time.monotonic() + TICK_S
            failures = 0
            while time.monotonic() < stop_at:
                if time.monotonic() >= next_tick:
                    next_tick += TICK_S
                    self.spawn(self.on_tick())
                r = await self.request("GET /api/live", "GET", "/api/live", timeout=max(5.0, 2 * self.poll_s))
                data = None
                if r is not None:
                    try:
                        data = r.json()
                    except ValueError:
                        self.stats.bad_bodies += 1
                if data is None:
                    failures += 1
                    wait = min(30.0, self.poll_s * 2 ** min(failures - 1, 4))
                else:
                    failures, wait = 0, self.poll_s
                    versions = {k: int(v) for k, v in (data.get("versions") or {}).items()}
                    if versions != self.versions:
                        self.versions = versions
                        self.spawn(self.on_versions(versions))
                await asyncio.sleep(max(0.0, min(wait, stop_at - time.monotonic())))
        finally:
            for task in list(self.tasks):
                task.cancel()
            await self.client.aclose()


# --- the run and its report -------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def drive(args: argparse.Namespace, dep: Deployment, ingester: Ingester) -> tuple[Stats, CpuSnapshot,
                                                                                          CpuSnapshot, float, float]:
    stats = Stats()
    t0 = time.monotonic()
    start, end = t0 + args.warmup, t0 + args.warmup + args.duration
    ramp = min(args.ramp, args.warmup * 0.8)
    rng = random.Random(11)
    screens = [Screen(i, dep.base, args.poll_ms / 1000, stats) for i in range(args.screens)]
    tasks = [asyncio.create_task(s.run(rng.uniform(0, ramp), end)) for s in screens]
    loop = asyncio.get_running_loop()
    await asyncio.sleep(start - time.monotonic())
    before = await loop.run_in_executor(None, snapshot, dep, ingester.proc.pid)
    drained = time.monotonic()
    while time.monotonic() < end:
        t = time.monotonic()
        await asyncio.sleep(0.05)
        stats.loop_lag.append(time.monotonic() - t - 0.05)
        if time.monotonic() - drained > 1:
            ingester.drain()
            drained = time.monotonic()
    after = await loop.run_in_executor(None, snapshot, dep, ingester.proc.pid)
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=120)
    return stats, before, after, start, end


def report(args: argparse.Namespace, dep: Deployment, stats: Stats, ingester: Ingester, a: CpuSnapshot,
           b: CpuSnapshot, start: float, end: float) -> None:
    window = b.at - a.at
    cores = os.cpu_count() or 1
    inside = [r for r in stats.requests if start <= r[1] < end]
    by_kind: dict[str, list[tuple[str, float, float, Any]]] = {}
    for r in inside:
        by_kind.setdefault(r[0], []).append(r)
    errors: dict[str, int] = {}
    for r in inside:
        if r[3] != 200:
            errors[f"{r[0]} {r[3]}"] = errors.get(f"{r[0]} {r[3]}", 0) + 1
    versions_in = [v for v, t in ingester.commits.items() if start <= t < end]
    lat = [arrival - ingester.commits[v] for v, arrival in stats.samples
           if start <= arrival < end and v in ingester.commits]
    ingest_times = [s for t, s in ingester.ingest_s if start <= t < end]
    gun = delta(a.gunicorn, b.gunicorn)
    pg = delta(a.postgres, b.postgres)
    busy = (b.busy[0] - a.busy[0]) / max(1.0, b.busy[1] - a.busy[1]) * 100
    polls = len([r for r in by_kind.get("GET /api/live", []) if r[3] == 200])
    callbacks = sum(len(v) for k, v in by_kind.items() if k.startswith("cb:"))
    print()
    print(f"wall bench: {args.workers} workers (gthread x 4), {args.screens} screens, poll {args.poll_ms} ms, "
          f"ingest {args.reports} reports every {args.ingest_every:g} s; measured {window:.1f} s after "
          f"{args.warmup:g} s warm-up; {cores} cores")
    print(f"load average   start {a.load[0]:.2f} {a.load[1]:.2f} {a.load[2]:.2f}   "
          f"end {b.load[0]:.2f} {b.load[1]:.2f} {b.load[2]:.2f}")
    print(f"versions ingested {len(versions_in)}   ingest p50 {pct(ingest_times, 0.5) * 1000:.0f} ms "
          f"max {max(ingest_times, default=float('nan')) * 1000:.0f} ms   latency samples {len(lat)}")
    print(f"ingest-to-screen  p50 {pct(lat, 0.5):.2f} s   p95 {pct(lat, 0.95):.2f} s   "
          f"max {max(lat, default=float('nan')):.2f} s   (target p95 <= 5 s)")
    print(f"served  polls/s {polls / window:.1f}   callback requests/s {callbacks / window:.1f}")
    handler, per_worker = server_times(dep, a.wall, b.wall)
    print("time per request (s): client = queue + handler + transfer, handler from the access log")
    print(f"  {'request':<32} {'n':>6} {'client p50':>10} {'p95':>7} {'max':>7} {'handler p50':>11} {'p95':>7} "
          f"{'max':>7}")
    for kind in sorted(by_kind):
        times = [r[2] for r in by_kind[kind] if r[3] == 200]
        h = handler.get(tag_of(kind), [])
        print(f"  {kind:<32} {len(by_kind[kind]):>6} {pct(times, 0.5):10.3f} {pct(times, 0.95):7.3f} "
              f"{max(times, default=float('nan')):7.3f} {pct(h, 0.5):11.3f} {pct(h, 0.95):7.3f} "
              f"{max(h, default=float('nan')):7.3f}")
    print(f"requests per worker (access log): {', '.join(f'{k} {v}' for k, v in sorted(per_worker.items()))}; "
          f"load generator event-loop lag p50 {pct(stats.loop_lag, 0.5) * 1000:.0f} ms "
          f"p95 {pct(stats.loop_lag, 0.95) * 1000:.0f} ms max {max(stats.loop_lag, default=0) * 1000:.0f} ms")
    calls = {k: b.redis_calls.get(k, 0) - a.redis_calls.get(k, 0) for k in ("set", "evalsha")}
    computed = calls["evalsha"]  # each computation under a lease gives it back with one EVALSHA
    waited = max(calls["set"] - 2 * computed, 0)  # the other SETs: leases refused (the asker waited)
    print(f"cache computations (leases given back, server-wide): {computed} for {len(versions_in)} new versions "
          f"(one per version and query is the ideal; more = screens computing the same summary at once); "
          f"{waited} askers waited for another's computation")
    print(f"server CPU (gunicorn master+workers) {gun:.1f} s = {gun / window / cores * 100:.1f} % of the machine, "
          f"{gun / window * 100:.0f} % of one core   (target <= 50 %)")
    print(f"  per screen {gun / window * 1000 / args.screens:.2f} CPU ms/s   "
          f"{gun * 1000 / max(1, len(inside)):.2f} CPU ms per request served")
    print(f"beside it: PostgreSQL backends {pg / window * 100:.0f} % of a core, Redis "
          f"{(b.redis - a.redis) / window * 100:.0f} %, load generator {(b.me - a.me) / window * 100:.0f} %, "
          f"ingest process {(b.ingest - a.ingest) / window * 100:.0f} %; whole machine busy {busy:.0f} %")
    total_errors = sum(errors.values())
    print(f"errors {total_errors} of {len(inside)} requests" + (": " + ", ".join(
        f"{k} x{n}" for k, n in sorted(errors.items())) if errors else "") +
        (f"; answers without the expected content {stats.bad_bodies}" if stats.bad_bodies else ""))
    retried: dict[str, int] = {}
    for kind, t, status in stats.retried:
        if start <= t < end:
            retried[f"{kind} {status}"] = retried.get(f"{kind} {status}", 0) + 1
    print(f"retried once after the server closed a kept-alive connection (as Chromium does): "
          f"{sum(retried.values())}" + (": " + ", ".join(f"{k} x{n}" for k, n in sorted(retried.items()))
                                        if retried else ""))


def make_deployment(args: argparse.Namespace) -> Deployment:
    dep = Deployment(args.workers, args.poll_ms, db=args.db, redis_url=args.redis, keep_logs=args.keep_logs,
                     gunicorn_args=args.gunicorn_args.split())
    # A configured feedback source (so freshness has something to show) that nothing runs.
    dep.sources = [{"name": "bench-wall-feed", "type": "file", "family": "feedback",
                    "every_seconds": max(1, round(args.ingest_every)), "path": str(dep.work / "never-read.csv")}]
    print(f"deployment: PostgreSQL {dep.db}, Redis {dep.redis_url}, gunicorn on {dep.base} "
          f"{' '.join(dep.gunicorn_args)} ({dep.work})")
    dep.start(seed_plan(args))
    check_dependencies(dep.base)
    return dep


def http_case(args: argparse.Namespace) -> None:
    dep = ingester = None
    try:
        dep = make_deployment(args)
        ingester = Ingester(dep.env(), args.ingest_every, args.reports, "bench-wall-feed")
        ingester.start()
        ingester.wait_first_commit()
        stats, a, b, start, end = asyncio.run(drive(args, dep, ingester))
        ingester.stop()
        report(args, dep, stats, ingester, a, b, start, end)
    finally:
        if ingester is not None:
            ingester.stop()
        if dep is not None:
            dep.stop()


def profile_case(args: argparse.Namespace, repeat: int = 200) -> None:
    """Server CPU per request of each kind a screen sends, one request at a time (no contention),
    and what the screens' request mix then costs: where the CPU goes."""
    import redis

    from ioc.notify import VERSIONS_KEY

    dep = None
    try:
        dep = make_deployment(args)
        client = httpx.Client(base_url=dep.base, headers=BROWSER_HEADERS, timeout=60)
        end_id = re.search(r'"end_id":\s*"([^"]+)"', client.get("/wall").text)
        url = f"/_dash-update-component?endId={end_id.group(1) if end_id else ''}"
        versions = {k: int(v) for k, v in client.get("/api/live").json()["versions"].items()}
        keys = {f: f"{f}:{versions.get(f, 0)}" for f in WALL_FAMILIES}
        alerts_key = ",".join(f"{f}:{versions.get(f, 0)}" for f in ("alerts", "environment"))
        store = redis.Redis.from_url(dep.redis_url)
        bump = {"v": versions.get("feedback", 0)}

        def new_version() -> dict[str, Any]:
            bump["v"] += 1
            store.hset(VERSIONS_KEY, "feedback", bump["v"])
            return panel_body("feedback", f"feedback:{bump['v']}", 0, "vi", "wall-version-feedback.data")

        cases: list[tuple[str, str, str, Any, int]] = [
            ("GET /api/live", "GET", "/api/live", None, repeat),
            *[(f"POST panel {f} (cached summary)", "POST", url,
               lambda f=f: panel_body(f, keys[f], 0, "vi", f"wall-version-{f}.data"), repeat) for f in WALL_FAMILIES],
            ("POST ticker (cached)", "POST", url, lambda: ticker_body(alerts_key, 0, "vi", "wall-alerts-version.data"),
             repeat),
            ("POST panel feedback, new version (miss)", "POST", url, new_version, max(10, repeat // 10)),
            ("GET /wall", "GET", "/wall", None, max(10, repeat // 4)),
            ("GET /_dash-layout", "GET", "/_dash-layout", None, max(10, repeat // 4)),
        ]
        print(f"\nserver CPU per request, {args.workers} workers, one keep-alive client, sequential:")
        print(f"  {'request':<44} {'n':>5} {'CPU ms':>8} {'client ms p50':>14} {'bytes':>8}")
        costs: dict[str, float] = {}
        for name, method, path, body, n in cases:
            def send(method: str = method, path: str = path, body: Any = body) -> httpx.Response:
                payload = body() if body else None
                return client.request(method, path, content=None if payload is None else json.dumps(payload),
                                      headers=JSON_HEADERS if payload is not None else None)

            for _ in range(3):
                send()
            master = dep.proc.pid
            cpu0 = sum(proc_cpu_s(p) or 0 for p in [master, *children(master)])
            times, size = [], 0
            for _ in range(n):
                t0 = time.monotonic()
                r = send()
                times.append(time.monotonic() - t0)
                size = len(r.content)
                if r.status_code != 200:
                    raise RuntimeError(f"{name}: HTTP {r.status_code}: {r.text[:300]}")
            cpu1 = sum(proc_cpu_s(p) or 0 for p in [master, *children(master)])
            costs[name] = (cpu1 - cpu0) / n * 1000
            print(f"  {name:<44} {n:>5} {costs[name]:8.2f} {pct(times, 0.5) * 1000:14.1f} {size:>8}")
        m, poll_s = args.screens, args.poll_ms / 1000
        moves = min(1.0, poll_s / args.ingest_every)  # share of polls that see a new feedback version
        mix = [("GET /api/live", m / poll_s),
               ("POST panel feedback (cached summary)", m / poll_s * moves),
               *[(f"POST panel {f} (cached summary)", m / TICK_S) for f in WALL_FAMILIES],
               ("POST ticker (cached)", m / TICK_S),
               ("POST panel feedback, new version (miss)", 1 / args.ingest_every)]
        total = sum(rate * costs[name] for name, rate in mix)
        print(f"model for {m} screens (poll {args.poll_ms} ms, a feedback version every {args.ingest_every:g} s; "
              f"ticks every {TICK_S:.0f} s): {total / 10:.0f} % of one core, {total / 10 / (os.cpu_count() or 1):.0f} "
              "% of the machine")
        for name, rate in sorted(mix, key=lambda x: -x[1] * costs[x[0]]):
            print(f"  {name:<44} {rate:7.1f}/s x {costs[name]:6.2f} ms = {rate * costs[name] / 10:5.1f} % of a core")
    finally:
        if dep is not None:
            dep.stop()


def _interrupted(*_: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def add_deployment_args(parser: argparse.ArgumentParser) -> None:
    """The options of the deployment both cases start (history, database, Redis, logs)."""
    parser.add_argument("--history-days", type=int, default=365, help="simulated feedback history")
    parser.add_argument("--other-days", type=int, default=30, help="simulated history of the other families")
    parser.add_argument("--db", default="ioc_bench_wall")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--keep-logs", action="store_true")


def seed_plan(args: argparse.Namespace) -> list[tuple[str, int]]:
    """Days of simulated history per family: a year of feedback (the wall's busiest panel)."""
    return [("feedback", args.history_days)] + [(f, args.other_days) for f in WALL_FAMILIES[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--screens", type=int, default=200)
    parser.add_argument("--poll-ms", type=int, default=3000)
    parser.add_argument("--ingest-every", type=float, default=2.0, help="seconds between feedback batches")
    parser.add_argument("--reports", type=int, default=3, help="feedback reports per batch")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=30, help="seconds before measuring (page loads, ramp)")
    parser.add_argument("--ramp", type=float, default=20, help="screens open their page over this many seconds")
    add_deployment_args(parser)
    parser.add_argument("--gunicorn-args", default="", help='extra gunicorn options, e.g. "--keep-alive 10"')
    parser.add_argument("--profile", action="store_true", help="server CPU per request kind, and the model")
    parser.add_argument("--browser", action="store_true", help="the JS heap case (bench/wall_browser.py)")
    parser.add_argument("--minutes", type=float, default=5, help="browser case: real minutes (x12 = an hour at 5)")
    parser.add_argument("--rotate", action="store_true", help="browser case: /wall?rotate=wall,feedback,traffic")
    args = parser.parse_args()
    if args.browser:
        from wall_browser import browser_case

        run_guarded(browser_case, args)
    else:
        run_guarded(profile_case if args.profile else http_case, args)


def run_guarded(case: Any, args: argparse.Namespace) -> None:
    """Run a case so that Ctrl-C and SIGTERM still stop gunicorn, drop the database and flush Redis."""
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        case(args)
    except KeyboardInterrupt:
        print("interrupted: gunicorn stopped, database dropped, Redis database flushed", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
