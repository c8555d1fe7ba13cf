"""What every open screen polls (``GET /api/live``): cheap, and never the data itself.

- ``versions``: the data version per family (from the notifier: a Redis hash in the scaled
  deployment, in-process otherwise). A screen refreshes a family's panels only when its
  version moves.
- ``degraded``: why live notices are running on the fallback (Redis down), or null.
- ``build``: an identifier of the code being served. A screen that sees it change reloads
  itself, so a redeploy reaches the wall without anyone touching it.
- ``now`` and ``sources``: each configured source's cadence and last successful run (epoch
  milliseconds, UTC), with its state and error. Screens age these themselves between polls, so
  a badge turns amber at 2× and red at 5× the cadence even while the server is unreachable —
  a stalled feed never looks like a quiet one.

Freshness reads the runs table; it is cached per process for :data:`FRESHNESS_TTL_S` seconds,
which keeps 200 polling screens from turning into 200 queries a second.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ioc.store.db import get_meta, set_meta
from ioc.store.runs import SourceHealth, source_health

ROOT = Path(__file__).resolve().parents[1]
FRESHNESS_TTL_S = 2.0
#: Worst first: the order in which a family's sources decide its state.
STATE_ORDER = ("never", "stale", "late", "ok")
PROGRESS_KEY = "backfill:progress"  # meta key of the first start's history (ioc.runtime.Progress)
SPEED_KEY = "simulator:speed"  # meta key: the live simulators' speed-up, as their scheduler last started
_CODE_DIRS = ("ioc", "families", "layouts", "callbacks", "data_sources", "assets")


@lru_cache(maxsize=1)
def build_id() -> str:
    """``IOC_BUILD_ID`` if set (e.g. a release tag or git commit), else a digest of the served
    code and assets: equal in every worker of one deployment, different after a redeploy."""
    given = os.environ.get("IOC_BUILD_ID")
    if given:
        return given[:64]
    digest = hashlib.sha1()
    files = [ROOT / "app.py", ROOT / "requirements.txt"]
    for folder in _CODE_DIRS:
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in {".py", ".js", ".css", ".csv", ".po"}]
    for path in sorted(files):
        try:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
        except OSError:
            continue
    return digest.hexdigest()[:12]


def epoch_ms(utc_naive: datetime | None) -> int | None:
    return None if utc_naive is None else int(utc_naive.replace(tzinfo=UTC).timestamp() * 1000)


def source_entry(h: SourceHealth, now: datetime) -> dict[str, Any]:
    failing = h.last_status == "failed"
    return {
        "name": h.name, "family": h.family, "type": h.type, "every_s": h.every_seconds,
        "last_success": epoch_ms(h.last_success_at), "last_run": epoch_ms(h.last_run_at),
        "state": h.freshness(now), "failures": h.consecutive_failures,
        "error": (h.last_error or "failed") if failing else None,
    }


def family_freshness(sources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per family: the state of its worst source, with that source's timing and any error."""
    out: dict[str, dict[str, Any]] = {}
    for src in sorted(sources, key=lambda s: STATE_ORDER.index(s["state"])):
        fam = out.get(src["family"])
        if fam is None:
            out[src["family"]] = {"state": src["state"], "source": src["name"], "every_s": src["every_s"],
                                  "last_success": src["last_success"], "error": None, "sources": 1}
        else:
            fam["sources"] += 1
        if src["error"] and out[src["family"]]["error"] is None:
            out[src["family"]]["error"] = f"{src['name']}: {src['error']}"
    return out


def backfill_state(engine: Any, previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """``backfill``: the first start's simulated history (:class:`ioc.runtime.Progress`:
    ``percent``, ``eta_s``, ``done``, ``sources``, ``finished``), so every screen shows a banner
    while it is written; null on stores that never had one. A finished state is final: later
    polls do not read it again."""
    if previous is not None and previous.get("finished"):
        return previous
    with engine.connect() as conn:
        raw = get_meta(conn, PROGRESS_KEY)
    try:
        return json.loads(raw) if raw else None
    except ValueError:  # written by this code only; a damaged value just hides the banner
        return None


def record_simulator_speed(engine: Any, speed: float) -> None:
    """Remember the speed-up the live simulators run at (``IOC_SIMULATOR_SPEED``), written by
    the scheduler that runs them, so every web process labels the screens alike, including
    gunicorn workers beside a ``python -m ioc scheduler --speed N``."""
    with engine.begin() as conn:
        set_meta(conn, SPEED_KEY, repr(float(speed)))


def simulator_speed(engine: Any, default: float = 1.0) -> float:
    """The speed-up recorded by :func:`record_simulator_speed`; ``default`` (this process's own
    setting) if no scheduler recorded one or the store cannot say."""
    try:
        with engine.connect() as conn:
            raw = get_meta(conn, SPEED_KEY)
        value = float(raw) if raw else default
    except (SQLAlchemyError, ValueError):  # a label is no reason to fail a page
        return default
    return value if math.isfinite(value) and value >= 1 else default


class LiveStatus:
    """Builds the ``/api/live`` payload for one process."""

    def __init__(self, ctx: Any):
        self._ctx = ctx
        self._lock = threading.Lock()
        self._sources: list[dict[str, Any]] = []
        self._backfill: dict[str, Any] | None = None
        self._expires = 0.0

    def sources(self, now: datetime) -> list[dict[str, Any]]:
        with self._lock:
            if time.monotonic() >= self._expires:
                configured = {s.name for s in self._ctx.sources}
                self._sources = [source_entry(h, now) for h in source_health(self._ctx.engine)
                                 if h.name in configured]
                self._backfill = backfill_state(self._ctx.engine, self._backfill)
                self._expires = time.monotonic() + FRESHNESS_TTL_S
            return self._sources

    def backfill(self) -> dict[str, Any] | None:
        """The first start's history while it is being written (see :func:`backfill_state`)."""
        with self._lock:
            return self._backfill

    def payload(self, errors: bool = True) -> dict[str, Any]:
        """``errors``: whether the reader may see sources' error texts (else a failing source
        says only "failed")."""
        now = datetime.now(UTC).replace(tzinfo=None)
        sources = self.sources(now)
        if not errors:
            sources = [{**s, "error": "failed" if s["error"] else None} for s in sources]
        return {
            "build": build_id(),
            "now": epoch_ms(now),
            "versions": self._ctx.notifier.versions(),
            "degraded": self._ctx.notifier.degraded,
            "sources": sources,
            "families": family_freshness(sources),
            "backfill": self.backfill(),
        }
