"""``python -m ioc`` with a spec-declared system (tests/data/systems/lights.toml, through
``IOC_SYSTEMS``): a CSV and an XLSX file imported with the spec's source field names as
headers, bad rows quarantined with their row number and the field, ``quarantine`` listing them,
and ``kpi lights`` returning the spec's KPI names with values worked out by hand from the files,
with unit and dimension filters and clear errors for bad flags. Run as subprocesses, on SQLite.

Huế is UTC+7; times without an offset (and Excel date cells) are local. The period is February
2026 (28 local days), its previous period 4 January → 1 February 2026.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEMS = REPO / "tests" / "data" / "systems"
FEBRUARY = ("--from", "2026-02-01", "--to", "2026-02-28")  # both days included
NAMES = ["reports", "dark_share", "lamps", "median_fix", "per_day", "reports_change", "last_lamps"]
HEADER = "ticket,reported,fixed,commune,lat,lon,lamps,note,fault,state"
# row 1 is the header; the handling time (fixed − reported) in hours is in the comment
CSV_ROWS = [
    "L1,2026-02-02 08:00,2026-02-02 10:00,19753,16.4637,107.5909,3,Lê Lợi,dark,fixed",  # 2: 2 h
    "B1,2026-02-03 08:00,,19753,,,2,,broken,open",  # 3: unknown fault
    'L2,03/02/2026 09:00,03/02/2026 13:00,19753,,,"5",,Tắt,Đã sửa',  # 4: 4 h; labels for the codes
    "B2,2099-01-01 08:00,,19753,,,2,,dark,open",  # 5: in the future
    "L3,2026-02-10 20:00,2026-02-11 02:00,19942,,,2,,flicker,fixed",  # 6: 6 h
    "B3,2026-02-05 08:00,,19753,,,three,,dark,open",  # 7: not a number
    'L4,2026-02-15T07:30:00+07:00,,19942,,,"4,0",,Dark,open',  # 8: decimal comma, English label
    ",2026-02-06 08:00,,19753,,,2,,dark,open",  # 9: no id
    "L5,2026-02-27 18:00,2026-02-28 02:00,19753,,,7,,Flickering,fixed",  # 10: 8 h
    "B5,2026-02-06 08:00,,99999,,,2,,dark,open",  # 11: no such commune
    "L6,2026-02-28 23:30,,,,,6,,dark,open",  # 12: the latest of February, no unit
    "L7,2026-03-01 00:30,,19753,,,100,,dark,open",  # 13: March (local): outside the period
    "L8,2026-01-31 23:59,,19753,,,50,,flicker,open",  # 14: January (local): the previous period
]


def ioc(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({"IOC_DATABASE_URL": f"sqlite:///{db}", "IOC_SYSTEMS": str(SYSTEMS)})
    return subprocess.run([sys.executable, "-m", "ioc", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=180)


def kpi(db: Path, *flags: str) -> dict:
    result = ioc(db, "kpi", "lights", *FEBRUARY, "--json", *flags)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert list(values) == NAMES  # the spec's KPI names, in its order
    return values


def near(value: float, rel: float = 1e-9) -> object:
    return pytest.approx(value, rel=rel)


def histogram(value: float) -> object:
    return pytest.approx(value, rel=0.049)  # the rollups' log-scale histogram (ioc.domain.histogram)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lights-cli")
    (folder / "lights.csv").write_text("\n".join([HEADER, *CSV_ROWS]) + "\n", encoding="utf-8")
    db = folder / "ioc.sqlite"
    result = ioc(db, "import", "lights", str(folder / "lights.csv"), "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["source"], out["status"], out["fetched"], out["inserted"], out["rejected"]) == (
        "import:lights.csv", "ok", 13, 8, 5)
    return db


def test_bad_rows_are_quarantined_with_their_row_and_field(imported: Path) -> None:
    result = ioc(imported, "quarantine")
    assert result.returncode == 0, result.stderr
    reasons = {int(r.split(":")[0].removeprefix("row ")): r.split(": ", 1)[1]
               for r in (line.split(" ", 3)[3] for line in result.stdout.splitlines())}
    assert sorted(reasons) == [3, 5, 7, 9, 11]
    assert reasons[3] == "fault: 'broken' is not a fault (expected one of dark, flicker)"
    assert reasons[5].startswith("reported: 2099-01-01 01:00 UTC is after ")  # 08:00 local, beyond now + 1 day
    assert reasons[7] == "lamps: not a number: 'three'"
    assert reasons[9] == "ticket: empty"
    assert reasons[11] == "commune: unknown unit code '99999'"
    assert all(line.split(" ")[2] == "import:lights.csv" for line in result.stdout.splitlines())


def test_kpis_of_february_by_hand(imported: Path) -> None:
    # L1–L6: dark L1 L2 L4 L6; lamps 3+5+2+4+7+6; fixed in 2, 4, 6, 8 h (nearest rank: the 2nd);
    # data start on 31 January, after the previous period's start (4 January): no comparison.
    got = kpi(imported)
    assert got == {"reports": 6.0, "dark_share": near(4 / 6), "lamps": 27.0, "median_fix": histogram(4.0),
                   "per_day": near(6 / 28), "reports_change": None, "last_lamps": 6.0}


@pytest.mark.parametrize(("flags", "expected"), [
    (("--unit", "19753"), {"reports": 3.0, "dark_share": near(2 / 3), "lamps": 15.0,  # L1 L2 L5
                           "median_fix": histogram(4.0), "per_day": near(3 / 28), "last_lamps": 7.0}),
    (("--fault", "dark"), {"reports": 4.0, "dark_share": 1.0, "lamps": 18.0,  # L1 L2 L4 L6
                           "median_fix": histogram(2.0), "per_day": near(4 / 28), "last_lamps": 6.0}),
    (("--category", "flicker"), {"reports": 2.0, "dark_share": 0.0, "lamps": 9.0,  # L3 L5: the first dimension
                                 "median_fix": histogram(6.0), "per_day": near(2 / 28), "last_lamps": 7.0}),
    (("--unit", "19942", "--fault", "dark"), {"reports": 1.0, "dark_share": 1.0, "lamps": 4.0,  # L4, never fixed
                                              "median_fix": None, "per_day": near(1 / 28), "last_lamps": 4.0}),
    (("--status", "fixed"), {"reports": 4.0, "dark_share": near(2 / 4), "lamps": 17.0,  # L1 L2 L3 L5
                             "median_fix": histogram(4.0), "per_day": near(4 / 28), "last_lamps": 7.0}),
])
def test_kpis_with_filters(imported: Path, flags: tuple[str, ...], expected: dict) -> None:
    assert kpi(imported, *flags) == {**expected, "reports_change": None}


@pytest.mark.parametrize(("flags", "message"), [
    (("--fault", "nope"), "error: --fault: 'nope' is not one of dark, flicker"),
    (("--status", "closed"), "error: --status: 'closed' is not one of open, fixed"),
    (("--channel", "hue_s"), "error: --channel does not apply to lights (filters: --unit, --fault, --status)"),
    (("--from", "2026-02-30"), "error: --from"),
])
def test_a_bad_flag_value_is_a_clear_error(imported: Path, flags: tuple[str, ...], message: str) -> None:
    args = [*FEBRUARY, *flags] if flags[0] != "--from" else ["--to", "2026-02-28", *flags]
    result = ioc(imported, "kpi", "lights", "--json", *args)
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(message), line


def test_an_xlsx_file_and_the_change_once_the_previous_period_is_covered(tmp_path: Path) -> None:
    db = tmp_path / "ioc.sqlite"
    csv = tmp_path / "lights.csv"
    csv.write_text("\n".join([HEADER, *CSV_ROWS]) + "\n", encoding="utf-8")
    assert ioc(db, "import", "lights", str(csv), "--quiet").returncode == 0

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Ticket", " Reported ", "Fixed", "Commune", "Lamps", "Fault", "State", "Other"])  # any case, extra
    sheet.append(["J1", datetime(2026, 1, 4, 0, 0), datetime(2026, 1, 4, 3, 0), 19753, 2, "dark", "fixed", "x"])
    sheet.append(["J9", datetime(2026, 1, 5, 9, 0), None, 19753, 1, "gone", "open", None])  # row 3: unknown fault
    sheet.append(["J2", "2026-01-20 09:00", None, "19942", 1.5, "flicker", "open", None])
    sheet.append(["J3", datetime(2026, 1, 3, 23, 59), None, 19753, 1, "dark", "open", None])  # before the period
    book.save(tmp_path / "january.xlsx")
    result = ioc(db, "import", "lights", str(tmp_path / "january.xlsx"), "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["source"], out["fetched"], out["inserted"], out["rejected"]) == ("import:january.xlsx", 4, 3, 1)
    listed = ioc(db, "quarantine", "--source", "import:january.xlsx").stdout.splitlines()
    assert [line.split(" ", 3)[3] for line in listed] == [
        "row 3: fault: 'gone' is not a fault (expected one of dark, flicker)"]

    # Data now start on 3 January, before 4 January: the previous period is covered. It holds J1
    # (00:00 local on its first day), J2 and L8: 3 reports, 2 of them in commune 19753 (J1, L8).
    assert kpi(db)["reports_change"] == 6.0 - 3.0
    assert kpi(db, "--unit", "19753")["reports_change"] == 3.0 - 2.0
    assert kpi(db, "--fault", "dark")["reports_change"] == 4.0 - 1.0
    january = ioc(db, "kpi", "lights", "--from", "2026-01-04", "--to", "2026-01-31", "--json")
    assert json.loads(january.stdout)["median_fix"] == histogram(3.0)  # J1: 3 h
    assert json.loads(january.stdout)["lamps"] == 2 + 1.5 + 50


def test_a_spec_that_does_not_validate_stops_the_cli_and_the_app_with_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "systems"
    folder.mkdir()
    text = (SYSTEMS / "lights.toml").read_text(encoding="utf-8").replace('type = "median"', 'type = "mean"')
    (folder / "lights.toml").write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if 'type = "mean"' in row)
    expected = f"error: {folder}/lights.toml:{line}: kpis[3].type: 'mean' is not one of:"
    env = {**os.environ, "IOC_SYSTEMS": str(folder), "IOC_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
           "IOC_PORT": "9"}
    for args in (["-m", "ioc", "sources"], ["app.py"]):
        done = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines() == [done.stderr.strip()] and done.stderr.startswith(expected), \
            done.stderr
