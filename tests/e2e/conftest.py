"""End-to-end fixtures' helper: each phase's report on the test item (``item.rep_call``), so a
fixture's teardown knows whether the test failed (screenshot, log tails)."""

from __future__ import annotations

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
