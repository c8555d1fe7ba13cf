"""The vectorised shortcuts of the TTHC ingest give the answers of the plain computations they
replace: timestamps as SQLAlchemy writes them on SQLite, pauses as ``parse_pauses_json`` reads
them, rollup contributions as a groupby on the text columns sums them, and the clock's
one-pause-per-dossier shortcut as the scalar rules.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.dialects import sqlite

from ioc.domain.admin import effective_due, working_time_elapsed
from ioc.domain.admin_clock import Pauses, WorkClock, elapsed
from ioc.domain.admin_clock import effective_due as effective_due_vec
from ioc.domain.admin_records import parse_pauses_json
from ioc.domain.calendar import WorkCalendar
from ioc.domain.local_time import to_local
from ioc.store.admin_derive import ADMIN_MEASURES, contributions, pause_table
from ioc.store.bulk import sqlite_datetime_text
from ioc.store.schema_admin import PROCEDURE_DIMS, UNIT_DIMS

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkCalendar(frozenset(date(2026, 2, d) for d in range(16, 21)))


def test_sqlite_datetime_text_is_sqlalchemys_text() -> None:
    to_text = sqlite.DATETIME().bind_processor(sqlite.dialect())
    rng = np.random.default_rng(7)
    values = np.concatenate([
        np.datetime64("2026-01-01", "us") + rng.integers(-60 * 365, 30 * 365, 3000) * np.timedelta64(86_400, "s")
        + rng.integers(0, 86_400_000_000, 3000).astype("timedelta64[us]"),
        np.array(["1970-01-01", "1969-12-31T23:59:59.999999", "2026-02-28T17:30:00.000001"], dtype="datetime64[us]"),
    ])
    want = [to_text(v.astype(datetime)) for v in values]
    assert sqlite_datetime_text(values) == want
    far = np.array(["0001-01-01T00:00:00.5", "9999-12-31T23:59:59.999999", "2026-01-01"], dtype="datetime64[us]")
    assert sqlite_datetime_text(far) == [to_text(v.astype(datetime)) for v in far]  # beyond the day table's span
    assert sqlite_datetime_text(np.array([], dtype="datetime64[us]")) == []


def _pauses_one_by_one(texts: list[str | None]) -> list[tuple[int, datetime, datetime | None]]:
    return [(i, s, e) for i, t in enumerate(texts) if t is not None for s, e in parse_pauses_json(t)]


def _as_list(pauses: Pauses) -> list[tuple[int, datetime, datetime | None]]:
    ends = [None if np.isnat(e) else e.astype(datetime) for e in pauses.end]
    return [(int(o), s.astype(datetime), e) for o, s, e in zip(pauses.owner, pauses.start, ends, strict=True)]


@pytest.mark.parametrize("texts", [
    [None, '[["2026-02-13T05:00:00", null]]', "[]", None,
     '[["2026-02-13T05:00:00.5", "2026-02-14T05:00:00"], ["2026-02-01T05:00:00", "2026-02-03T00:00:00"]]'],
    ['[["2026-02-13T05:00:00+07:00", "2026-02-14T05:00:00"]]', '[["2026-02-15T05:00:00", null]]'],  # an offset
    ["", '[["2026-02-15T05:00:00", null]]'],
], ids=["canonical", "offset", "empty-text"])
def test_pause_table_reads_what_parse_pauses_json_reads(texts: list[str | None]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's note on an offset, from both readers alike
        want = [(i, to_local(np.array([s], dtype="datetime64[us]"), TZ)[0].astype(datetime),
                 None if e is None else to_local(np.array([e], dtype="datetime64[us]"), TZ)[0].astype(datetime))
                for i, s, e in _pauses_one_by_one(texts)]
        got = _as_list(pause_table(pd.DataFrame({"pauses": pd.Series(texts, dtype=object)}), TZ))
    assert got == want
    assert len(got) == sum(len(parse_pauses_json(t)) for t in texts if t)


@pytest.mark.parametrize("bad", ['[["now", null]]', '[["NaT", null]]', "null", '[["2026-02-13T05:00:00"]]'])
def test_pause_table_refuses_what_parse_pauses_json_refuses(bad: str) -> None:
    with pytest.raises((ValueError, TypeError)) as want:
        parse_pauses_json(bad)
    with pytest.raises(type(want.value)):
        pause_table(pd.DataFrame({"pauses": pd.Series([None, bad], dtype=object)}), TZ)


def _random_derived(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    received = np.datetime64("2025-12-20", "us") + rng.integers(0, 70 * 86_400, n).astype("timedelta64[s]")
    resolved = rng.random(n) < 0.6
    return pd.DataFrame({
        "received_at": received,
        "status": pd.Series(rng.choice(["new", "in_progress", "supplement_requested", "resolved", "returned",
                                        "refused", "stopped", "withdrawn"], n), dtype=object),
        "channel": pd.Series(rng.choice(["online", "post", "in_person"], n), dtype=object),
        "online_mode": pd.Series(rng.choice(["full_process", "partial", "none"], n), dtype=object),
        "bucket": pd.Series(np.where(resolved, rng.choice(["early", "on_time", "late"], n), None), dtype=object),
        "rating": pd.Series(np.where(rng.random(n) < 0.4, rng.choice(["satisfied", "acceptable", "dissatisfied"], n),
                                     None), dtype=object),
        "fee_required": rng.random(n) < 0.5,
        "paid_online": rng.random(n) < 0.3,
        "digitised": rng.random(n) < 0.5,
        "pause_count": rng.integers(0, 3, n),
        "elapsed_hours": np.where(resolved, rng.random(n) * 200, np.nan),
        "level": pd.Series(rng.choice(["province", "district", "commune"], n), dtype=object),
        "unit_code": pd.Series(rng.choice(["46.TTPVHCC", "474", "19753", "19777", "20056"], n), dtype=object),
        # the current commune: '' for the city's and district centres' dossiers
        "commune_code": pd.Series(rng.choice(["", "19753", "19777", "20056"], n), dtype=object),
        "field": pd.Series(rng.choice(["ho_tich", "dat_dai", "other"], n), dtype=object),
        "procedure_code": pd.Series(rng.choice([f"P.{i:02d}" for i in range(12)], n), dtype=object),
    })


def _reference(frame: pd.DataFrame, sign: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The contributions as a groupby on the text columns computes them (the definition)."""
    day = pd.DatetimeIndex(to_local(frame["received_at"], TZ)).normalize()
    status, channel = frame["status"].to_numpy(dtype=object), frame["channel"].to_numpy(dtype=object)
    bucket, rating = frame["bucket"].to_numpy(dtype=object), frame["rating"].to_numpy(dtype=object)
    fee = frame["fee_required"].to_numpy(dtype=bool)
    resolved = np.isin(status, ["resolved", "returned"])
    measures = {
        "received": np.ones(len(frame)), "resolved": resolved, "returned": status == "returned",
        "early": bucket == "early", "on_time": bucket == "on_time", "late": bucket == "late",
        "in_progress": np.isin(status, ["new", "in_progress", "supplement_requested"]),
        "supplement_open": status == "supplement_requested", "had_supplement": frame["pause_count"].to_numpy() > 0,
        "refused": status == "refused", "stopped": status == "stopped", "withdrawn": status == "withdrawn",
        "online": channel == "online", "post": channel == "post", "in_person": channel == "in_person",
        "full_process_online": (channel == "online") & (frame["online_mode"].to_numpy(dtype=object) == "full_process"),
        "fee_required": fee, "paid_online": fee & frame["paid_online"].to_numpy(dtype=bool),
        "digitised": frame["digitised"].to_numpy(dtype=bool), "rated": pd.notna(rating),
        "satisfied": rating == "satisfied", "acceptable": rating == "acceptable", "dissatisfied": rating == "dissatisfied",
    }
    base = pd.DataFrame({name: np.asarray(v).astype("int64") for name, v in measures.items()})
    base["elapsed_hours_sum"] = np.where(resolved, np.nan_to_num(frame["elapsed_hours"].to_numpy(dtype=float)), 0.0)
    base["bucket"] = day
    for dim in {*UNIT_DIMS, *PROCEDURE_DIMS}:
        base[dim] = frame[dim].to_numpy(dtype=object)

    def grains(dims: tuple[str, ...]) -> pd.DataFrame:
        keys = ["bucket", *dims]
        daily = base.groupby(keys, sort=False)[list(ADMIN_MEASURES)].sum().reset_index()
        monthly = daily.assign(bucket=daily["bucket"].dt.to_period("M").dt.start_time).groupby(
            keys, sort=False)[list(ADMIN_MEASURES)].sum().reset_index()
        out = pd.concat([daily.assign(grain="d"), monthly.assign(grain="m")], ignore_index=True)
        out["bucket"] = out["bucket"].dt.date
        out = out[["grain", *keys, *ADMIN_MEASURES]]
        out[list(ADMIN_MEASURES)] = out[list(ADMIN_MEASURES)] * sign
        return out

    return grains(UNIT_DIMS), grains(PROCEDURE_DIMS)


@pytest.mark.parametrize(("seed", "sign"), [(1, 1), (2, -1), (3, 1)])
def test_contributions_are_the_groupby_on_the_text_columns(seed: int, sign: int) -> None:
    frame = _random_derived(5000, seed)
    for got, want in zip(contributions(frame, TZ, sign), _reference(frame, sign), strict=True):
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_dtype=False)
        assert got["bucket"].map(type).eq(date).all()
    assert [len(x) for x in contributions(frame.iloc[:0], TZ, 1)] == [0, 0]


def test_one_pause_per_dossier_shortcut_matches_the_scalar_rules() -> None:
    clock = WorkClock.of(CAL)
    rng = np.random.default_rng(11)
    dossiers = []
    for _ in range(800):
        received = datetime(2026, 1, 20) + timedelta(minutes=int(rng.integers(0, 80 * 1440)))
        due = CAL.add_working_days(received, int(rng.integers(0, 10)))
        pauses = []
        if rng.random() < 0.5:
            start = received + timedelta(minutes=int(rng.integers(-2 * 1440, 20 * 1440)))
            pauses = [(start, None if rng.random() < 0.3 else start + timedelta(minutes=int(rng.integers(0, 9 * 1440))))]
        dossiers.append({"received": received, "due": due, "pauses": pauses,
                         "now": received + timedelta(minutes=int(rng.integers(0, 50 * 1440)))})
    owner = [i for i, d in enumerate(dossiers) for _ in d["pauses"]]
    start = [p[0] for d in dossiers for p in d["pauses"]]
    end = [np.datetime64("NaT") if p[1] is None else np.datetime64(p[1], "us") for d in dossiers for p in d["pauses"]]
    pauses = Pauses(np.array(owner, dtype="int64"), np.array(start, dtype="datetime64[us]"),
                    np.array(end, dtype="datetime64[us]"))
    received = np.array([d["received"] for d in dossiers], dtype="datetime64[us]")
    due = np.array([d["due"] for d in dossiers], dtype="datetime64[us]")
    now = np.array([d["now"] for d in dossiers], dtype="datetime64[us]")
    at_now = effective_due_vec(clock, received, due, pauses, until=now)
    spent = elapsed(clock, received, now, pauses)
    for i, d in enumerate(dossiers):
        want = effective_due(d["received"], d["due"], d["pauses"], CAL, now=d["now"])
        assert (None if np.isnat(at_now[i]) else at_now[i].astype(datetime)) == want, d
        assert spent[i] == working_time_elapsed(d["received"], d["now"], d["pauses"], CAL) // timedelta(microseconds=1)
