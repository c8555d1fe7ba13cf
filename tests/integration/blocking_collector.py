"""A collector that runs until the scheduler stops it, for the run-lifecycle tests.

It checks its budget (:meth:`ioc.sources.RunBudget.check`) every 20 ms, as a well-behaved
collector does between steps, so it ends only when the run is cancelled (RunStopped) or its
deadline passes. Options: ``on_cancel = "reset"`` reports the cancel as a broken connection
instead (a plain SourceError), as an HTTP client interrupted mid-read may; ``block = false``
ends at once with an empty batch (a quick, successful run); ``mode = "batches"`` hands on empty
batches forever without checking its budget (as a simulator planning its records): the runner
must stop it between batches.

:func:`install` puts it in the process's registry. ``sitecustomize.py`` next to a test's
``python -m ioc scheduler`` calls it, so the real command runs with this collector type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ioc import registry
from ioc.sources import Batch, Collector, RunStopped, SourceError

TYPE = "blocking"


class BlockingCollector(Collector):
    type = TYPE
    family = "*"  # serves any family (the tests use feedback)

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        budget = self.ctx.budget
        if not self.spec.option("block", True):
            yield Batch(watermark="done")
            return
        if self.spec.option("mode") == "batches":  # busy without HTTP (as a simulator): never checks its budget
            while True:
                yield Batch()
                budget.cancel.wait(0.02)
        while True:
            try:
                budget.check(f"source {self.spec.name!r}")
            except RunStopped:
                if self.spec.option("on_cancel") == "reset":
                    raise SourceError(f"source {self.spec.name!r}: connection reset by peer") from None
                raise
            budget.cancel.wait(0.02)
        yield Batch()  # unreachable: makes this a generator


def with_blocking(reg: registry.Registry) -> registry.Registry:
    """``reg`` with the blocking collector type added."""
    return replace(reg, generic_collectors=(*reg.generic_collectors, BlockingCollector))


def install() -> None:
    """Install the deployment's registry plus the blocking type in this process."""
    registry._installed = with_blocking(registry.registry())
