"""The scaled deployment as real processes, for the end-to-end tests: gunicorn with two
workers, ``python -m ioc scheduler`` beside it, PostgreSQL, and Redis (the shared server or a
private ``redis-server`` that a test may stop and start again without disturbing anybody).

Every process runs in a session of its own (``start_new_session``) and is stopped by its
process group id, as in tests/e2e/test_scaled.py. Logs go to files under the deployment's
work directory; failures quote their tails.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.harness import CSV_COLUMNS, ROOT, free_port, tail

BOOT_TIMEOUT_S = 90
SIMULATOR_SPEED = 300  # IOC_SIMULATOR_SPEED of every process of the deployment (see Deployment.create)


def stop_process(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Signal ``proc``'s process group and wait; SIGKILL if it outlives ``timeout``."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a", encoding="utf-8") as out:  # the child keeps its own descriptor
        out.write(f"\n----- {datetime.now(UTC):%H:%M:%S.%f} start: {' '.join(args)}\n")
        out.flush()
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


class RedisServer:
    """A private ``redis-server`` on a port of its own: nothing saved, nothing shared."""

    def __init__(self, work: Path, port: int | None = None):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            pytest.fail("redis-server is not installed (scripts/dev.sh test installs it)", pytrace=False)
        self.binary = binary
        self.port = port or free_port()
        self.work = work
        self.log = work / "redis.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.work), "--daemonize", "no"]
        self.proc = _spawn(args, dict(os.environ), self.log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"redis-server exited {self.proc.returncode}:\n{tail(self.log)}", pytrace=False)
            if self.ping():
                return
            time.sleep(0.05)
        pytest.fail(f"redis-server did not answer on port {self.port}:\n{tail(self.log)}", pytrace=False)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Deployment:
    """gunicorn (2 workers) + an optional separate scheduler on one database and one Redis."""

    work: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    web: subprocess.Popen | None = None
    scheduler: subprocess.Popen | None = None
    build: str = ""
    redis: RedisServer | None = None  # a private server this deployment may stop and start
    _imports: int = 0
    _engine: Any = None

    @classmethod
    def create(cls, work: Path, database_url: str, redis_url: str, build: str, poll_ms: int | None = None,
               sources_toml: str | None = None) -> Deployment:
        """The environment every process of the deployment shares; initialises the schema.
        ``build`` is given explicitly (IOC_BUILD_ID): the default digest of the code would
        change under the test's feet whenever someone edits a file."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
        env.update({"IOC_DATABASE_URL": database_url, "IOC_REDIS_URL": redis_url, "IOC_EMBEDDED_SCHEDULER": "0",
                    "IOC_BUILD_ID": build, "PYTHONUNBUFFERED": "1",
                    # The wall tests watch the feedback tiles move and stop the scheduler in the middle
                    # of a run of its simulator: a feed of ≈ 6 reports a minute (the city's ≈ 26 a
                    # day × 300), not one an hour. Shared by the web and scheduler processes, so the
                    # screens' SIMULATED badge says the same speed as the feed.
                    "IOC_SIMULATOR_SPEED": str(SIMULATOR_SPEED)})
        if poll_ms is not None:
            env["IOC_LIVE_POLL_MS"] = str(poll_ms)
        if sources_toml is not None:
            sources = work / "sources.toml"
            sources.write_text(sources_toml, encoding="utf-8")
            env["IOC_SOURCES"] = str(sources)
        deployment = cls(work=work, env=env, build=build)
        # Initialise the schema once, before the workers and the scheduler race to create it.
        deployment.cli("sources")
        return deployment

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    # ---- processes ---------------------------------------------------------------------------
    def start_web(self, build: str | None = None) -> None:
        """gunicorn with two workers; returns once a worker answers /api/live with ``build``."""
        if build is not None:
            self.build = build
        env = {**self.env, "IOC_BUILD_ID": self.build}
        self.web = _spawn([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}",
                           "--timeout", "60", "--graceful-timeout", "10", "app:create_server()"],
                          env, self.work / "web.log")
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                pytest.fail(f"gunicorn exited {self.web.returncode}:\n{tail(self.work / 'web.log')}", pytrace=False)
            try:
                payload, _ = self.live(timeout=2)
                if payload["build"] == self.build:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer /api/live:\n{tail(self.work / 'web.log')}", pytrace=False)

    def stop_web(self) -> None:
        stop_process(self.web)
        self.web = None

    def start_scheduler(self) -> None:
        self.scheduler = _spawn([sys.executable, "-m", "ioc", "scheduler"], self.env, self.work / "scheduler.log")

    def stop_scheduler(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.scheduler, sig)
        self.scheduler = None

    def ensure_running(self) -> None:
        """Whatever an earlier test stopped on purpose runs again (tests do not depend on order)."""
        if self.redis is not None and not self.redis.running:
            self.redis.start()
        if self.web is None or self.web.poll() is not None:
            self.start_web()
        if self.scheduler is None or self.scheduler.poll() is not None:
            self.start_scheduler()

    def close(self) -> None:
        self.stop_scheduler()
        self.stop_web()
        if self.redis is not None:
            self.redis.stop()
        if self._engine is not None:
            self._engine.dispose()

    def logs(self) -> str:
        names = ("web.log", "scheduler.log", "redis.log")
        return "\n".join(f"== {name}\n{tail(self.work / name)}" for name in names if (self.work / name).exists())

    # ---- the CLI and the API -----------------------------------------------------------------
    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "ioc", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            pytest.fail(f"python -m ioc {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}",
                        pytrace=False)
        return proc

    def import_feedback(self, count: int, tag: str) -> dict[str, Any]:
        """``python -m ioc import feedback FILE`` with ``count`` new reports received just now
        (ids ``tag-1`` …); returns the outcome printed by ``--json``."""
        self._imports += 1
        path = self.work / f"import-{self._imports}-{tag}.csv"
        received = datetime.now(UTC).isoformat(timespec="seconds")
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for i in range(1, count + 1):
                writer.writerow({k: "" for k in CSV_COLUMNS} | {
                    "external_id": f"{tag}-{i}", "received_at": received, "status": "received",
                    "category_code": "lighting", "description": f"e2e {tag} #{i}", "unit_code": "19753",
                    "channel": "hue_s"})
        outcome = json.loads(self.cli("import", "feedback", str(path), "--quiet", "--json").stdout)
        assert outcome["status"] == "ok" and outcome["rejected"] == 0 and outcome["inserted"] == count, outcome
        return outcome

    def close_sql(self) -> None:
        """Drop the test's own connection to the deployment's database (before cutting it off)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """Rows of one statement against the deployment's database (committed)."""
        from sqlalchemy import create_engine, text

        if self._engine is None:
            self._engine = create_engine(self.env["IOC_DATABASE_URL"], pool_size=1)
        with self._engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []

    def live(self, timeout: float = 5) -> tuple[dict[str, Any], str]:
        """``GET /api/live`` on a new connection (so each worker gets asked): payload, worker pid."""
        response = httpx.get(self.url("/api/live"), timeout=timeout, headers={"Connection": "close"})
        response.raise_for_status()
        return response.json(), response.headers["X-IOC-Worker"]

    def ask_workers(self, until: Any, timeout: float = 30) -> dict[str, dict[str, Any]]:
        """Ask /api/live until both workers have answered with a payload for which ``until``
        holds; returns the last such payload per worker (fails the test otherwise)."""
        seen: dict[str, dict[str, Any]] = {}
        last: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            payload, worker = self.live()
            last[worker] = payload
            if until(payload):
                seen[worker] = payload
            else:
                seen.pop(worker, None)
            if len(seen) >= 2:
                return seen
            time.sleep(0.05)
        pytest.fail(f"not both workers answered as expected within {timeout} s; last answers: "
                    f"{ {w: {k: p[k] for k in ('versions', 'degraded', 'build')} for w, p in last.items()} }",
                    pytrace=False)
