"""The accepted time ranges of every record (README "Accepted time ranges") and how a record's
failure is named (issue #13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ioc.domain.records import DEADLINE_HORIZON, EARLIEST, RecordError, parse_timestamp, problem

NOW = datetime(2026, 12, 2, 3, 0)  # naive UTC


@pytest.mark.parametrize(("value", "reason"), [
    ("0001-01-01T00:00:00+07:00", "received_at: '0001-01-01T00:00:00+07:00' is outside the accepted range"),
    ("9999-12-31T23:59:59-05:00", "received_at: '9999-12-31T23:59:59-05:00' is outside the accepted range"),
    ("1999-12-31T23:59:59Z", "received_at: 1999-12-31 is before 2000-01-01"),
    ("2026-12-03T03:00:01Z", "received_at: 2026-12-03 03:00 UTC is after 2026-12-03 03:00 UTC (now + 1 day)"),
    (datetime(2099, 1, 1), "received_at: 2099-01-01 00:00 UTC is after 2026-12-03 03:00 UTC (now + 1 day)"),
])
def test_times_outside_the_range_are_record_errors(value, reason) -> None:  # noqa: ANN001
    with pytest.raises(RecordError) as err:
        parse_timestamp(value, "received_at", now=NOW)
    assert str(err.value) == reason


def test_the_edges_are_accepted_and_deadlines_reach_five_years() -> None:
    assert parse_timestamp("2000-01-01T07:00:00+07:00", "received_at", now=NOW) == EARLIEST
    assert parse_timestamp("2026-12-03T03:00:00Z", "received_at", now=NOW) == NOW + timedelta(days=1)
    due = parse_timestamp("2031-06-01T00:00:00+07:00", "due_at", now=NOW, latest=DEADLINE_HORIZON)
    assert due == datetime(2031, 5, 31, 17, 0)
    with pytest.raises(RecordError, match="due_at: 2032-06-01"):
        parse_timestamp("2032-06-01T00:00:00Z", "due_at", now=NOW, latest=DEADLINE_HORIZON)
    local = timezone(timedelta(hours=7))
    assert parse_timestamp("2026-03-02 08:00", "x", local, now=NOW) == datetime(2026, 3, 2, 1, 0)
    assert parse_timestamp(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), "x", now=NOW) == datetime(2026, 3, 2, 1, 0)


def test_a_record_failure_is_named_whatever_raised_it() -> None:
    assert problem(RecordError("lat", "96.5 is outside [-90, 90]")) == "lat: 96.5 is outside [-90, 90]"
    assert problem(OverflowError("date value out of range")) == "OverflowError: date value out of range"
    assert problem(KeyError("meta")) == "KeyError: 'meta'"
