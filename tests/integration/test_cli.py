"""``python -m ioc`` run as a real subprocess against a throw-away SQLite store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ioc.kpi.feedback import KPI_NAMES, FeedbackFilter, feedback_kpis
from ioc.kpi.periods import Period
from ioc.registry import registry
from ioc.store import schema_feedback
from ioc.store.db import make_engine, utcnow

REPO = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def cli_env(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({"IOC_DATABASE_URL": f"sqlite:///{db}", **extra})
    return env


def ioc(db: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ioc", *args], cwd=REPO, env=cli_env(db, **extra),
                          capture_output=True, text=True, timeout=120)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def local_today() -> date:
    return datetime.now(UTC).astimezone(TZ).date()


@pytest.fixture(scope="module")
def simulated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "ioc.sqlite"
    result = ioc(db, "simulate", "--days", "30", "--seed", "7", "--family", "feedback")
    assert result.returncode == 0, result.stderr
    stored = int(re.fullmatch(r"simulated 30 days of feedback \(seed 7, source feedback-simulator\): (\d+) records stored or updated\n",
                              result.stdout).group(1))
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema_feedback.feedback_reports)).scalar_one() == stored
    engine.dispose()
    assert stored > 500
    return db


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = ioc(tmp_path / "x.sqlite", "--help")

    assert result.returncode == 0
    for command in ("sources", "collect", "import", "simulate", "kpi", "scheduler"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), command


def test_kpi_json_equals_the_in_process_kpis(simulated_db: Path) -> None:
    start, end = local_today() - timedelta(days=30), local_today() + timedelta(days=1)
    engine = make_engine(f"sqlite:///{simulated_db}")
    flt = FeedbackFilter(Period(start, end))
    before = feedback_kpis(engine, flt, TZ, utcnow())

    # --to is the last day included: today, for the period [start, tomorrow)
    result = ioc(simulated_db, "kpi", "feedback", "--from", str(start), "--to", str(local_today()), "--json")

    after = feedback_kpis(engine, flt, TZ, utcnow())
    engine.dispose()
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    printed = json.loads(line)
    assert list(printed) == list(KPI_NAMES)
    assert set(printed) == {"received", "processed", "processed_rate", "on_time_rate", "overdue",
                            "median_resolution_hours", "p90_resolution_hours", "satisfaction_rate", "rated_share"}
    expected = after.as_dict()
    # ``overdue`` depends on the moment: it can only grow between the two in-process readings.
    assert before.overdue <= printed.pop("overdue") <= expected.pop("overdue")
    assert printed == expected
    assert printed["received"] > 500
    assert 0.5 < printed["processed_rate"] < 1.0  # the last days' reports are still being handled


def test_kpi_unit_filters(simulated_db: Path) -> None:
    """``--unit`` takes a current commune (19753, Phường Phú Xuân: its reports of every date); the
    old flag ``--district`` still works and takes the same values."""
    start, end = local_today() - timedelta(days=30), local_today() + timedelta(days=1)
    args = ("kpi", "feedback", "--from", str(start), "--to", str(local_today()), "--json")

    everything = json.loads(ioc(simulated_db, *args).stdout)
    result = ioc(simulated_db, *args, "--unit", "19753")
    assert result.returncode == 0, result.stderr
    phu_xuan = json.loads(result.stdout)
    assert json.loads(ioc(simulated_db, *args, "--district", "19753").stdout) == phu_xuan
    lo, hi = Period(start, end).utc_bounds(TZ)
    t = schema_feedback.feedback_reports
    engine = make_engine(f"sqlite:///{simulated_db}")
    with engine.connect() as conn:
        raw = conn.execute(select(func.count()).select_from(t).where(
            t.c.commune_code == "19753", t.c.received_at >= lo, t.c.received_at < hi)).scalar_one()
        raw_closed = conn.execute(select(func.count()).select_from(t).where(
            t.c.commune_code == "19753", t.c.received_at >= lo, t.c.received_at < hi,
            t.c.status.in_(["resolved", "rejected"]))).scalar_one()
    engine.dispose()
    assert phu_xuan["received"] == raw
    assert phu_xuan["processed"] == raw_closed
    assert 0 < phu_xuan["received"] < everything["received"]


def test_kpi_default_period_is_in_the_configured_time_zone(tmp_path: Path) -> None:
    # The machine's clock is 26 hours behind the configured zone: "today" must be the zone's.
    zone = ZoneInfo("Pacific/Kiritimati")
    today_before = datetime.now(UTC).astimezone(zone).date()

    # TZ in POSIX form (UTC−12) so that it needs no system time-zone files.
    result = ioc(tmp_path / "x.sqlite", "kpi", "feedback", IOC_TIMEZONE="Pacific/Kiritimati", TZ="<-12>12")

    today_after = datetime.now(UTC).astimezone(zone).date()
    assert result.returncode == 0, result.stderr
    match = re.search(r"KPIs for (\d{4}-\d\d-\d\d) → (\d{4}-\d\d-\d\d) \(both included\)", result.stdout)
    start, last = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
    assert last in {today_before, today_after}  # the zone's today, included
    assert last - start == timedelta(days=364)


@pytest.mark.parametrize("bad", ["2024-02-30", "30/01/2024", "yesterday"])
def test_a_bad_from_date_is_a_one_line_error_naming_from(tmp_path: Path, bad: str) -> None:
    result = ioc(tmp_path / "x.sqlite", "kpi", "feedback", "--from", bad, "--to", "2024-03-01")

    line = one_line_error(result)
    assert "--from" in line
    assert repr(bad) in line
    assert result.stdout == ""


def test_to_is_the_last_day_included_and_before_from_is_an_error(simulated_db: Path) -> None:
    """``--from D --to D`` is day D (as a page's ``?from=D&to=D``); ``--to`` before ``--from`` is
    a one-line error naming both."""
    day = local_today() - timedelta(days=3)
    engine = make_engine(f"sqlite:///{simulated_db}")
    one_day = feedback_kpis(engine, FeedbackFilter(Period(day, day + timedelta(days=1))), TZ, utcnow())
    engine.dispose()
    same = ioc(simulated_db, "kpi", "feedback", "--from", str(day), "--to", str(day), "--json")
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["received"] == one_day.received > 0
    text = ioc(simulated_db, "kpi", "feedback", "--from", str(day), "--to", str(day))
    assert f"feedback KPIs for {day} → {day} (both included)" in text.stdout

    backwards = ioc(simulated_db, "kpi", "feedback", "--from", "2024-03-02", "--to", "2024-03-01")
    assert "--to 2024-03-01 is before --from 2024-03-02" in one_line_error(backwards)


def test_kpi_help_says_both_days_are_included(tmp_path: Path) -> None:
    result = ioc(tmp_path / "x.sqlite", "kpi", "--help")
    assert result.returncode == 0, result.stderr
    flat = " ".join(result.stdout.split())
    assert "last local date included (default: today)" in flat
    assert "first local date included" in flat


def test_collect_an_unknown_source_is_an_error(tmp_path: Path) -> None:
    line = one_line_error(ioc(tmp_path / "x.sqlite", "collect", "no-such-source"))

    assert "'no-such-source'" in line
    assert "feedback-simulator" in line  # says what is configured


def test_import_of_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    line = one_line_error(ioc(tmp_path / "x.sqlite", "import", "feedback", "missing.csv"))

    assert "missing.csv" in line
    assert "no such file" in line


def test_a_bad_setting_is_a_one_line_error_naming_the_variable(tmp_path: Path) -> None:
    line = one_line_error(ioc(tmp_path / "x.sqlite", "sources", IOC_LANG="fr"))

    assert "IOC_LANG" in line


def test_sources_shows_the_simulator_and_its_health(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    before = ioc(db, "sources")
    assert before.returncode == 0, before.stderr
    [row] = [line for line in before.stdout.splitlines() if line.startswith("feedback-simulator")]
    assert row.split()[:4] == ["feedback-simulator", "simulator", "feedback", "5s"]
    assert " never " in row

    collected = ioc(db, "collect", "feedback-simulator", "--json")
    assert collected.returncode == 0, collected.stderr
    outcome = json.loads(collected.stdout)
    assert (outcome["source"], outcome["status"], outcome["error"]) == ("feedback-simulator", "ok", None)

    after = ioc(db, "sources", "--json")
    assert after.returncode == 0, after.stderr
    [health] = [h for h in json.loads(after.stdout) if h["name"] == "feedback-simulator"]
    assert (health["name"], health["type"], health["every_seconds"]) == ("feedback-simulator", "simulator", 5)
    assert health["status"] == "ok"
    assert health["last_run"] is not None
    assert health["consecutive_failures"] == 0
    assert health["error"] is None
    assert health["fetched"] == outcome["fetched"]


def test_rebuild_rollups_runs_every_family_that_declares_a_rebuild_and_changes_no_kpi(simulated_db: Path) -> None:
    args = ("kpi", "feedback", "--from", (local_today() - timedelta(days=29)).isoformat(), "--json")
    before = json.loads(ioc(simulated_db, *args).stdout)
    result = ioc(simulated_db, "rebuild-rollups")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # environment has no rebuild, nor have indicator specs; every events spec has one
    rebuilt = [f.code for f in registry().families if f.rebuild is not None]
    assert rebuilt[:3] == ["feedback", "traffic", "admin"]
    assert set(rebuilt[3:]) == {f.code for f in registry().families if f.spec is not None and f.spec.kind == "events"}
    assert [line.split()[1] for line in lines] == rebuilt
    assert re.fullmatch(r"rebuilt feedback from [1-9]\d* records \(local time Asia/Ho_Chi_Minh\)", lines[0])
    assert json.loads(ioc(simulated_db, *args).stdout) == before


def test_units_on_a_date(tmp_path: Path) -> None:
    """``units --on DATE --json``: the units in force that day, compared with the published lists."""
    db = tmp_path / "units.sqlite"
    after = ioc(db, "units", "--on", "2026-01-01", "--json")
    assert after.returncode == 0, after.stderr
    rows = json.loads(after.stdout)
    assert sorted({r["level"] for r in rows}) == ["commune", "province"]
    communes = [r for r in rows if r["level"] == "commune"]
    assert len(communes) == 40 and {r["parent"] for r in communes} == {"46"}
    assert sum(r["name"].startswith("Phường ") for r in communes) == 21
    assert sum(r["name"].startswith("Xã ") for r in communes) == 19
    assert all({"code", "name", "level", "parent"} <= r.keys() for r in rows)
    before = json.loads(ioc(db, "units", "--on", "2025-06-30", "--json").stdout)
    by_code = {r["code"]: r for r in before}
    assert [sum(r["level"] == lv for r in before) for lv in ("province", "district", "commune")] == [1, 9, 133]
    assert by_code["19753"]["parent"] == "475" and by_code["475"]["name"] == "Quận Phú Xuân"
    assert by_code["19753"]["name"] == "Phường Thuận Lộc"
    old = json.loads(ioc(db, "units", "--on", "2023-06-01", "--json").stdout)
    assert [sum(r["level"] == lv for r in old) for lv in ("province", "district", "commune")] == [1, 9, 141]
    assert {"Thành phố Huế", "Huyện Nam Đông"} <= {r["name"] for r in old if r["level"] == "district"}
    assert "--on" in one_line_error(ioc(db, "units", "--on", "2025-02-30"))


def test_import_under_a_source_name_and_a_warning_for_the_same_records_under_another(tmp_path: Path) -> None:
    """The same reports in two files of different names are two sources (counted twice): the
    second import says so, with the count; ``--source`` names the source so that another file
    updates the same records instead."""
    db = tmp_path / "imports.sqlite"
    rows = "external_id,received_at,status,unit_code\nA1,2026-03-02 08:00,received,19753\nA2,2026-03-02 09:00,received,19753\n"
    (tmp_path / "monday.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "copy.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "tuesday.csv").write_text(
        "external_id,received_at,status,unit_code,updated_at\n"
        "A1,2026-03-02 08:00,in_progress,19753,2026-03-03 08:00\nA2,2026-03-02 09:00,in_progress,19753,2026-03-03 09:00\n",
        encoding="utf-8")

    first = ioc(db, "import", "feedback", str(tmp_path / "monday.csv"), "--quiet", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["also_under"] == {}
    second = ioc(db, "import", "feedback", str(tmp_path / "copy.csv"), "--quiet")
    assert second.returncode == 0, second.stderr
    assert "warning: 2 record(s) of import:copy.csv are also stored under import:monday.csv" in second.stderr
    assert "--source monday.csv" in second.stderr

    named = ioc(db, "import", "feedback", str(tmp_path / "tuesday.csv"), "--source", "monday.csv", "--quiet", "--json")
    assert named.returncode == 0, named.stderr
    out = json.loads(named.stdout)
    assert (out["source"], out["inserted"], out["updated"]) == ("import:monday.csv", 0, 2)
    assert out["also_under"] == {"import:copy.csv": 2}
