"""Briefs (issue #16): the PDF's text against the KPI functions in both languages, the XLSX read
back, the ``report`` command's exit codes and messages, and the scheduled briefs written to
their folder and mailed to a local SMTP server (aiosmtpd) the test starts.

The store holds three weeks of the feedback, TTHC and traffic simulators (a few seconds)."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook
from pypdf import PdfReader

from ioc.brief import BriefError, collect_brief, make_report, report_filename
from ioc.brief_jobs import due_periods, run_briefs
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.i18n import fmt_date, fmt_int, fmt_pct, t
from ioc.kpi.admin import AdminFilter
from ioc.kpi.admin_views import unit_ranking
from ioc.kpi.periods import Period, to_local
from ioc.registry import registry
from ioc.runtime import backfill_source, simulator_sources
from ioc.scheduler import BRIEF_JOB, build_scheduler, run_brief_job
from ioc.store.db import utcnow
from layouts.brief import kpi_rows, render_html

REPO = Path(__file__).resolve().parents[2]
FAMILIES = ("feedback", "admin", "traffic")


def settings_env(db: Path, **extra: str) -> dict[str, str]:
    return {"IOC_DATABASE_URL": f"sqlite:///{db}", **extra}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("brief") / "store.sqlite"
    ctx = build_context(load_settings(settings_env(path)))
    for spec in simulator_sources(ctx):
        if spec.family in FAMILIES:
            assert backfill_source(ctx, spec, 21, 2023) > 0, spec.name
    ctx.engine.dispose()
    return path


@pytest.fixture(scope="module")
def ctx(db: Path) -> Context:
    return build_context(load_settings(settings_env(db)))


def last_two_weeks(ctx: Context) -> Period:
    """The 14 days that ended yesterday (local): whole days, inside the simulated history."""
    today = to_local(utcnow(), ctx.tz).date()
    return Period(today - timedelta(days=14), today)


def pdf_text(data: bytes) -> str:
    """The PDF's text with ligatures undone (ﬁ → fi), no-break spaces as spaces, one space per run."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return plain(text)


def plain(text: str) -> str:
    return re.sub(r"[ \t\u00a0\u202f]+", " ", unicodedata.normalize("NFKC", text))


def kpis(ctx: Context, code: str, period: Period) -> dict[str, Any]:
    return registry().family(code).kpis(ctx.engine, period, {}, ctx.tz, utcnow())


# --- the PDF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_pdf_states_each_kpi_as_the_kpi_functions_compute_it(ctx: Context, lang: str) -> None:
    period = last_two_weeks(ctx)
    brief = collect_brief(ctx.engine, ctx.settings, period, {}, simulated=ctx.simulated, now=utcnow())

    text = pdf_text(make_report(brief, "pdf", lang))

    assert t("brief_title", lang) in text
    assert plain(t("brief_period_span", lang, start=fmt_date(period.start, lang),
                   end=fmt_date(period.end - timedelta(days=1), lang))) in text
    assert t("brief_simulated", lang) in text  # the embedded simulators fill this store
    fb, adm, tr = kpis(ctx, "feedback", period), kpis(ctx, "admin", period), kpis(ctx, "traffic", period)
    assert fb["received"] > 100 and adm["received"] > 1000 and tr["violations"] > 100
    target = ctx.settings.target_on_time
    on_target = t("brief_state_good" if fb["on_time_rate"] >= target else
                  "brief_state_warn" if fb["on_time_rate"] >= target - 0.05 else "brief_state_bad", lang)
    # each row as one line: label, value as the pages write it, target, traffic light
    expected_rows = [
        f"{t('kpi_received', lang)} {fmt_int(fb['received'], lang)} – {t('brief_state_info', lang)}",
        f"{t('kpi_on_time_rate', lang)} {fmt_pct(fb['on_time_rate'], lang)} ≥ {fmt_pct(target, lang, 0)}",
        f"{t('kpi_satisfaction_rate', lang)} {fmt_pct(fb['satisfaction_rate'], lang)} "
        f"≥ {fmt_pct(ctx.settings.target_satisfaction, lang, 0)}",
        f"{t('kpi_processed_rate', lang)} {fmt_pct(fb['processed_rate'], lang)}",
        f"{t('admin_kpi_received', lang)} {fmt_int(adm['received'], lang)}",
        f"{t('admin_kpi_on_time_rate', lang)} {fmt_pct(adm['on_time_rate'], lang)} ≥ {fmt_pct(target, lang, 0)}",
        f"{t('admin_kpi_online_rate', lang)} {fmt_pct(adm['online_rate'], lang)} ≥ {fmt_pct(0.70, lang, 0)}",
        f"{t('traffic_kpi_violations', lang)} {fmt_int(tr['violations'], lang)}",
    ]
    flat = text.replace("\n", " ")  # a cell's text may wrap onto the next line
    for row in expected_rows:
        assert plain(row) in flat, row
    row = plain(f"{t('kpi_on_time_rate', lang)} {fmt_pct(fb['on_time_rate'], lang)} ≥ {fmt_pct(target, lang, 0)}")
    assert re.search(re.escape(row) + r" [✔▲✖] " + re.escape(on_target), flat), on_target
    # the TTHC ranking's leader, as the ranking function orders the units: rank, name, rate, resolved
    ranking = unit_ranking(ctx.engine, AdminFilter(period), ctx.tz, utcnow())
    leader = ranking[ranking["rank"] == 1].iloc[0]
    assert plain(f"1 {leader['name']} {fmt_pct(leader['on_time_rate'], lang)} {fmt_int(leader['resolved'], lang)}") \
        in text.replace("\n", " ")
    # and the units handling citizens' reports, ranked the same way (ioc.kpi.rankings)
    assert t("sc_ranking_handling_unit", lang) in text
    # charts were drawn, the notes are there, and the period has ended: nothing provisional
    assert t("brief_charts", lang) in text and t("brief_note_simulated", lang) in text
    assert plain(t("brief_status_provisional", lang)) not in text


def test_marks_follow_the_data_real_data_and_a_period_still_running(ctx: Context) -> None:
    today = to_local(utcnow(), ctx.tz).date()
    running = collect_brief(ctx.engine, ctx.settings, Period(today - timedelta(days=6), today + timedelta(days=1)),
                            {}, simulated=False, now=utcnow())
    page = render_html(running, "en")

    assert running.provisional
    assert "SIMULATED DATA" not in page
    assert t("brief_status_provisional", "en") in page
    assert t("brief_note_provisional", "en", today=fmt_date(today, "en")) in page


def test_each_kpi_carries_its_changes_against_the_previous_week_and_a_year_before(ctx: Context) -> None:
    today = to_local(utcnow(), ctx.tz).date()
    week, before = Period(today - timedelta(days=7), today), Period(today - timedelta(days=14), today - timedelta(days=7))
    brief = collect_brief(ctx.engine, ctx.settings, week, {}, simulated=True, now=utcnow())
    rows = {(r.family, r.key): r for r in kpi_rows(brief, "en")}
    now_fb, before_fb = kpis(ctx, "feedback", week), kpis(ctx, "feedback", before)
    now_ad, before_ad = kpis(ctx, "admin", week), kpis(ctx, "admin", before)

    received = rows[("feedback", "received")]
    assert received.previous.value == pytest.approx((now_fb["received"] - before_fb["received"]) / before_fb["received"])
    assert received.previous.tone == "neutral"  # more reports are neither better nor worse
    on_time = rows[("admin", "on_time_rate")]
    assert on_time.previous.value == pytest.approx(now_ad["on_time_rate"] - before_ad["on_time_rate"])
    assert on_time.previous.tone == ("good" if on_time.previous.value > 0 else "bad")
    assert on_time.previous.text.startswith("▲" if on_time.previous.value > 0 else "▼")
    # a year before is before the three weeks of history: no comparison, not a fall to zero
    assert on_time.year.value is None and on_time.year.text == t("cmp_no_comparison", "en")
    # counted at now, the overdue are not compared; the cameras have no comparison rules
    assert rows[("admin", "overdue")].previous.text == t("cmp_snapshot", "en")
    page = render_html(brief, "en")
    assert on_time.previous.text in page
    note = t("brief_no_comparison", "en", families="\x00").split("\x00")[0]
    assert re.search(re.escape(note) + r"[^<]*" + re.escape(registry().family("cameras").label("en")), page)


def test_a_filter_is_applied_to_the_families_that_take_it_and_named_for_the_others(ctx: Context) -> None:
    period = last_two_weeks(ctx)
    units = unit_ranking(ctx.engine, AdminFilter(period), ctx.tz, utcnow())
    code = str(units[units["level"] == "district"]["code"].iloc[0]) if (units["level"] == "district").any() \
        else str(units["code"].iloc[0])
    brief = collect_brief(ctx.engine, ctx.settings, period, {"unit": code}, simulated=True, now=utcnow())
    expected = registry().family("admin").kpis(ctx.engine, period, {"unit": code}, ctx.tz, utcnow())

    admin_rows = {r.key: r for r in kpi_rows(brief, "en") if r.family == "admin"}
    assert admin_rows["received"].value == expected["received"]
    assert admin_rows["received"].value < kpis(ctx, "admin", period)["received"]
    assert brief.family("warnings").ignored == ("unit",)
    assert t("brief_filter_ignored", "en", filters="unit") in render_html(brief, "en")
    with pytest.raises(BriefError, match="--nonsense"):
        collect_brief(ctx.engine, ctx.settings, period, {"nonsense": "1"}, simulated=True, now=utcnow())


def test_the_xlsx_holds_the_same_kpi_rows_as_numbers(ctx: Context) -> None:
    period = last_two_weeks(ctx)
    brief = collect_brief(ctx.engine, ctx.settings, period, {}, simulated=True, now=utcnow())

    book = load_workbook(io.BytesIO(make_report(brief, "xlsx", "vi")))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    fb = kpis(ctx, "feedback", period)

    assert header[:3] == [t("brief_col_family", "vi"), t("brief_col_kpi", "vi"), t("brief_col_value", "vi")]
    on_time = next(r for r in rows if r[t("brief_col_family", "vi")] == registry().family("feedback").label("vi")
                   and r[t("brief_col_kpi", "vi")] == t("kpi_on_time_rate", "vi"))
    assert on_time[t("brief_col_value", "vi")] == pytest.approx(fb["on_time_rate"])
    assert on_time[t("brief_col_target", "vi")] == pytest.approx(ctx.settings.target_on_time)
    assert len(rows) == len(kpi_rows(brief, "vi"))


# --- the command line ----------------------------------------------------------------------------


def ioc(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(settings_env(db))
    return subprocess.run([sys.executable, "-m", "ioc", "report", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-02-30"], "--from: '2026-02-30' is not a date"),
    (["--from", "2026-03-10", "--to", "2026-03-01"], "--to 2026-03-01 is before --from 2026-03-10"),
    (["--unit", "99999"], "'99999' is not a known unit code"),
    (["--out-dir"], None),
])
def test_report_refuses_bad_input_with_one_line(db: Path, tmp_path: Path, args: list[str], message: str | None) -> None:
    if message is None:  # the file's folder does not exist
        result = ioc(db, "--out", str(tmp_path / "missing" / "brief.pdf"))
        assert "no such directory" in one_line_error(result)
        return
    result = ioc(db, *args, "--out", str(tmp_path / "brief.pdf"))
    assert message in one_line_error(result)
    assert not (tmp_path / "brief.pdf").exists()


def test_report_writes_an_xlsx_for_the_days_given(db: Path, ctx: Context, tmp_path: Path) -> None:
    period = last_two_weeks(ctx)
    last = period.end - timedelta(days=1)
    out = tmp_path / "brief.xlsx"

    result = ioc(db, "--from", period.start.isoformat(), "--to", last.isoformat(), "--format", "xlsx",
                 "--lang", "en", "--out", str(out))

    assert result.returncode == 0, result.stderr
    assert f"{period.start} → {last} (both included)" in result.stdout
    rows = list(load_workbook(out).worksheets[0].iter_rows(min_row=2, values_only=True))
    received = next(r for r in rows if r[0] == registry().family("admin").label("en") and r[1] ==
                    t("admin_kpi_received", "en"))
    assert received[2] == kpis(ctx, "admin", period)["received"]


# --- the scheduled briefs and their mail ---------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox() -> Any:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def last_monday_morning(ctx: Context) -> datetime:
    """06:05 local on the latest Monday at least a day ago, as naive UTC."""
    day = to_local(utcnow(), ctx.tz).date() - timedelta(days=1)
    day -= timedelta(days=day.weekday())
    return datetime.combine(day, time(6, 5), tzinfo=ctx.tz).astimezone(UTC).replace(tzinfo=None)


def test_due_periods_daily_every_day_weekly_on_mondays() -> None:
    from datetime import date

    assert due_periods(date(2026, 12, 2)) == [("daily", Period(date(2026, 12, 1), date(2026, 12, 2)))]
    assert due_periods(date(2026, 11, 30)) == [("daily", Period(date(2026, 11, 29), date(2026, 11, 30))),
                                              ("weekly", Period(date(2026, 11, 23), date(2026, 11, 30)))]


def test_the_job_writes_the_daily_and_weekly_briefs_and_mails_them(db: Path, tmp_path: Path, inbox: Any) -> None:
    handler, port = inbox
    folder = tmp_path / "briefs"
    ctx = build_context(load_settings(settings_env(
        db, IOC_BRIEF_DIR=str(folder), IOC_SMTP_HOST="127.0.0.1", IOC_SMTP_PORT=str(port), IOC_SMTP_TLS="none",
        IOC_SMTP_FROM="ioc@hue.gov.vn", IOC_BRIEF_TO="lanh.dao@hue.gov.vn, van.phong@hue.gov.vn")))
    now = last_monday_morning(ctx)
    today = to_local(now, ctx.tz).date()

    written = run_briefs(ctx, now)

    daily = folder / report_filename("daily", Period(today - timedelta(days=1), today), "vi", "pdf")
    weekly = folder / report_filename("weekly", Period(today - timedelta(days=7), today), "vi", "pdf")
    assert sorted(p.name for p in folder.iterdir()) == sorted([daily.name, weekly.name])
    assert [w.path for w in written] == [daily, weekly]
    weekly_text = pdf_text(weekly.read_bytes())
    fb = registry().family("feedback").kpis(ctx.engine, Period(today - timedelta(days=7), today), {}, ctx.tz, now)
    assert plain(f"{t('kpi_received', 'vi')} {fmt_int(fb['received'], 'vi')}") in weekly_text
    assert len(handler.messages) == 2
    for (sender, rcpts, msg), path in zip(handler.messages, (daily, weekly), strict=True):
        assert sender == "ioc@hue.gov.vn"
        assert rcpts == ["lanh.dao@hue.gov.vn", "van.phong@hue.gov.vn"]
        assert t("brief_title", "vi") in str(msg["Subject"]) or "=?utf-8?" in str(msg["Subject"])
        attachment = next(p for p in msg.walk() if p.get_content_type() == "application/pdf")
        assert attachment.get_filename() == path.name
        assert attachment.get_payload(decode=True) == path.read_bytes()

    # a second run of the same morning writes and mails nothing again
    assert run_briefs(ctx, now) == []
    assert len(handler.messages) == 2


def test_a_mail_server_away_is_logged_and_the_briefs_are_still_written(db: Path, tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "briefs"
    ctx = build_context(load_settings(settings_env(
        db, IOC_BRIEF_DIR=str(folder), IOC_SMTP_HOST="127.0.0.1", IOC_SMTP_PORT=str(free_port()),
        IOC_SMTP_TLS="none", IOC_SMTP_FROM="ioc@hue.gov.vn", IOC_BRIEF_TO="lanh.dao@hue.gov.vn")))

    caplog.set_level("ERROR")
    assert run_brief_job(ctx) == "ok"  # today's run: the mail fails, the job does not

    today = to_local(utcnow(), ctx.tz).date()
    daily = folder / report_filename("daily", Period(today - timedelta(days=1), today), "vi", "pdf")
    assert daily.is_file() and daily.read_bytes().startswith(b"%PDF")
    assert f"brief {daily.name} could not be mailed" in caplog.text


def test_the_scheduler_has_the_brief_job_only_when_a_folder_is_set(db: Path, tmp_path: Path) -> None:
    off = build_context(load_settings(settings_env(db)))
    on = replace(off, settings=replace(off.settings, brief_dir=tmp_path, brief_hour=7))

    assert build_scheduler(off).get_job(BRIEF_JOB) is None
    job = build_scheduler(on).get_job(BRIEF_JOB)
    assert job is not None and "hour='7'" in str(job.trigger)
