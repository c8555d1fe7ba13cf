"""A background beat while something long runs: a collector run, a scheduled job.

Every ``interval_s`` seconds a daemon thread calls each of its ``beats`` (write the run row's
``heartbeat_at``, renew the job lock's lease). Whoever reads those rows can then tell a run that
is slow from a run whose process is gone (killed, crashed, its host powered off): the beat stops
and, after the lease (``IOC_RUN_LEASE_SECONDS``), the lock is free and the run is marked
orphaned (:func:`ioc.store.runs.mark_orphaned_runs`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

log = logging.getLogger(__name__)


class Heartbeat:
    """``with Heartbeat(15, [beat, ...], name="source:x"):`` — beats until the block ends.

    A beat that raises (the database away for a moment) is logged and tried again at the next
    beat: the run itself goes on. The thread is a daemon so that a beat stuck on a dead
    database connection never keeps the process from exiting."""

    def __init__(self, interval_s: float, beats: list[Callable[[], object]], name: str = "heartbeat") -> None:
        self.interval_s = interval_s
        self.beats = beats
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            for beat in self.beats:
                try:
                    beat()
                except Exception:  # noqa: BLE001 - a missed beat is survivable; a dead thread is not
                    log.exception("%s: heartbeat failed (retried in %g s)", self.name, self.interval_s)

    def start(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            # A beat in flight finishes first, so no beat lands after the run's final write.
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
