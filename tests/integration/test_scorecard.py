"""The leaders' scorecard (issue #16) against the KPI functions: its values, trends, changes,
rankings and provincial indices, on a store of 70 days of the feedback, TTHC, traffic and EADS
(a system declared by a spec) simulators and the shipped indicators file; and the page's content
in both languages.

Dates follow today: the last whole month is reviewed, its previous period lies inside the
70 days and a year before lies outside them."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from callbacks.access import forget_cached
from callbacks.scorecard import regrain, render
from ioc import accounts, audit
from ioc.access import Role
from ioc.collect import import_file
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.i18n import fmt_int, fmt_pct, t
from ioc.kpi.compare import elapsed_part
from ioc.kpi.feedback import FeedbackFilter, feedback_breakdown, first_received
from ioc.kpi.periods import Period, to_local
from ioc.kpi.rankings import MIN_PROCESSED
from ioc.registry import registry
from ioc.runtime import backfill_source, simulator_sources
from ioc.scorecard import SPARK_PERIODS, ScorePeriod, collect_scorecard
from ioc.store.db import utcnow
from ioc.systems.records import parse_period
from ioc.systems.spec import SHIPPED
from layouts.brief_rows import kpi_rows
from tests.component_tree import texts, walk

FAMILIES = ("feedback", "admin", "traffic", "eads")
DAYS = 70


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    path = tmp_path_factory.mktemp("scorecard") / "store.sqlite"
    context = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}"}))
    for spec in simulator_sources(context):
        if spec.family in FAMILIES:
            assert backfill_source(context, spec, DAYS, 2031) > 0, spec.name
    assert import_file(context, "indicators", SHIPPED / "indicators.csv", show_progress=False).status == "ok"
    return context


def today(ctx: Context):  # noqa: ANN201
    return to_local(utcnow(), ctx.tz).date()


def last_month(ctx: Context) -> ScorePeriod:
    return ScorePeriod.containing(today(ctx), "month").shifted(-1)


@pytest.fixture(scope="module")
def card(ctx: Context):  # noqa: ANN201
    return collect_scorecard(ctx.engine, ctx.settings, last_month(ctx), simulated=True, now=utcnow())


def kpis(ctx: Context, code: str, period: Period) -> dict:
    return registry().family(code).kpis(ctx.engine, period, {}, ctx.tz, utcnow())


def test_each_headline_is_the_kpi_functions_value_with_its_target_light(ctx: Context, card) -> None:  # noqa: ANN001
    period = last_month(ctx).period
    rows = {(r.family, r.key): r for r in kpi_rows(card.brief, "en")}
    fb, adm = kpis(ctx, "feedback", period), kpis(ctx, "admin", period)
    assert fb["received"] > 100 and adm["received"] > 1000
    assert rows[("feedback", "received")].value == fb["received"]
    assert rows[("feedback", "on_time_rate")].value == pytest.approx(fb["on_time_rate"])
    assert rows[("admin", "on_time_rate")].value == pytest.approx(adm["on_time_rate"])
    on_time = rows[("admin", "on_time_rate")]
    target = ctx.settings.target_on_time
    assert on_time.target == target
    assert on_time.state == ("good" if adm["on_time_rate"] >= target else
                             "warn" if adm["on_time_rate"] >= target - 0.05 else "bad")
    assert rows[("feedback", "received")].state == "info"  # a count of demand has no target


def test_the_trend_holds_twelve_periods_each_the_kpi_set_of_its_period_or_empty_before_the_history(
        ctx: Context, card) -> None:  # noqa: ANN001
    start = first_received(ctx.engine)
    assert start is not None and (today(ctx) - start).days >= DAYS - 1
    points = card.trends["feedback"]
    assert len(points) == SPARK_PERIODS
    assert [p.when for p in points] == [last_month(ctx).shifted(i) for i in range(-SPARK_PERIODS + 1, 1)]
    drawn = [p for p in points if p.kpis is not None]
    for p in points:
        assert (p.kpis is None) == (p.when.period.start < start and p != points[-1]), p.when.key
    assert 2 <= len(drawn) <= 3  # 70 days: the last month, the one before, perhaps one more
    for p in drawn:
        assert p.kpis["on_time_rate"] == pytest.approx(kpis(ctx, "feedback", p.when.period)["on_time_rate"])
    assert not any(p.provisional for p in points)  # every period has ended
    # snapshot-only families have no trend; those with comparison rules have one
    assert {"feedback", "admin", "traffic"} <= set(card.trends) and "vessels" not in card.trends


def test_changes_compare_with_the_previous_period_and_say_none_before_the_history(ctx: Context, card) -> None:  # noqa: ANN001
    period = last_month(ctx).period
    previous = period.previous()
    assert previous.start >= first_received(ctx.engine)  # covered by the 70 days
    rows = {(r.family, r.key): r for r in kpi_rows(card.brief, "en")}
    now, before = kpis(ctx, "feedback", period), kpis(ctx, "feedback", previous)
    received = rows[("feedback", "received")]
    assert received.previous.value == pytest.approx((now["received"] - before["received"]) / before["received"])
    on_time = rows[("feedback", "on_time_rate")]
    assert on_time.previous.value == pytest.approx(now["on_time_rate"] - before["on_time_rate"])
    assert on_time.previous.tone == ("good" if on_time.previous.value > 0 else "bad")
    # a year before lies outside the stored history: no comparison, never a number
    assert on_time.year.text == t("cmp_no_comparison", "en") and on_time.year.value is None
    overdue = rows[("feedback", "overdue")]
    assert overdue.previous.text == t("cmp_snapshot", "en")


def test_a_systems_kpis_are_compared_and_drawn_by_its_specs_rules(ctx: Context, card) -> None:  # noqa: ANN001
    """EADS (ioc/systems/specs/eads.toml): ``violations`` a count where lower is better,
    ``screens_online`` the latest value (a snapshot: no change by period, no trend)."""
    from ioc.kpi.systems import first_day

    period = last_month(ctx).period
    with ctx.engine.connect() as conn:
        start = first_day(conn, registry().family("eads").spec)
    assert start is not None and start <= period.previous().start  # the previous month is covered
    rows = {(r.family, r.key): r for r in kpi_rows(card.brief, "en")}
    now, before = kpis(ctx, "eads", period), kpis(ctx, "eads", period.previous())
    assert now["violations"] > 0 and before["violations"] > 0
    violations = rows[("eads", "violations")]
    assert violations.value == now["violations"]
    assert violations.previous.value == pytest.approx((now["violations"] - before["violations"]) / before["violations"])
    assert violations.previous.tone == ("good" if violations.previous.value < 0 else "bad")  # fewer is better
    assert violations.year.text == t("cmp_no_comparison", "en") and violations.year.value is None
    online = rows[("eads", "screens_online")]
    assert online.previous.value is None and online.previous.text != t("cmp_no_comparison", "en")
    points = card.trends["eads"]
    assert len(points) == SPARK_PERIODS
    drawn = [p for p in points if p.kpis is not None]
    assert 2 <= len(drawn) <= 3
    for p in drawn:
        assert p.kpis["violations"] == kpis(ctx, "eads", p.when.period)["violations"]
    # the indicators system publishes ranks: compared with the previous publication, not by period
    assert "indicators" not in card.trends


def test_handling_units_are_ranked_by_on_time_rate_with_their_change(ctx: Context, card) -> None:  # noqa: ANN001
    period = last_month(ctx).period
    [ranking] = [r for r in card.rankings if r.unit_kind == "handling_unit"]
    current = feedback_breakdown(ctx.engine, FeedbackFilter(period), "handling_unit").set_index("key")
    before = feedback_breakdown(ctx.engine, FeedbackFilter(elapsed_part(period, period.previous(), today(ctx))),
                                "handling_unit").set_index("key")
    eligible = current[(current["processed"] >= MIN_PROCESSED) & (current.index != "")]
    frame = ranking.frame
    assert ranking.covered and len(frame) == len(eligible) >= 3
    assert list(frame["rank"]) == list(range(1, len(frame) + 1))
    assert list(frame["value"]) == sorted(frame["value"], reverse=True)
    for row in frame.itertuples():
        assert row.value == pytest.approx(eligible.at[row.code, "on_time_rate"])
        assert row.volume == eligible.at[row.code, "processed"]
        expected = row.value - before["on_time_rate"].get(row.code, math.nan)
        assert (math.isnan(row.change) and math.isnan(expected)) or row.change == pytest.approx(expected)
    assert not set(ranking.best()["code"]) & set(ranking.worst()["code"])
    [tthc] = [r for r in card.rankings if r.unit_kind == "tthc_unit"]
    assert len(tthc.frame) > 5 and list(tthc.frame["rank"])[:3] == [1, 2, 3]


def test_the_indices_are_the_latest_published_before_the_periods_end(ctx: Context, card) -> None:  # noqa: ANN001
    end = last_month(ctx).period.end
    with (SHIPPED / "indicators.csv").open(encoding="utf-8") as fh:
        published = [r for r in csv.DictReader(fh) if r["indicator"] == "pci" and r["rank"].strip()
                     and not r["unit"].strip()]
    dated = sorted((parse_period(r["period"])[2], r) for r in published)
    dated = [(start, r) for start, r in dated if start < end]
    pci = next(ix for ix in card.indices if ix.kpi == "pci_rank")
    assert pci.value == float(dated[-1][1]["rank"]) and pci.period == dated[-1][1]["period"]
    assert pci.previous == float(dated[-2][1]["rank"]) and pci.direction == "lower"
    # an earlier period sees only what had been published for periods starting before its end
    year = ScorePeriod.parse(str(dated[-1][0].year - 1))
    then = [r for start, r in dated if start < year.period.end]
    early = collect_scorecard(ctx.engine, ctx.settings, year, simulated=True, now=utcnow())
    pci_then = next(ix for ix in early.indices if ix.kpi == "pci_rank")
    assert pci_then.period == then[-1]["period"] != pci.period and pci_then.value == float(then[-1]["rank"])


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_page_shows_every_part_in_its_language(ctx: Context, card, lang: str) -> None:  # noqa: ANN001
    when = last_month(ctx)
    content, span, search = render(ctx, when.key, lang)
    words = texts(content)
    assert t("sc_kpis", lang, period=t("sc_month", lang, name=f"{when.index:02d}" if lang == "vi" else
                                       when.period.start.strftime("%B"), y=when.year)) in words
    assert t("sc_ranking_tthc_unit", lang) in words and t("sc_ranking_handling_unit", lang) in words
    assert t("sc_indices", lang) in words and t("sc_best", lang) in words and t("sc_worst", lang) in words
    period = when.period
    assert span == t("sc_span", lang, start=period.start.strftime("%d/%m/%Y"),
                     end=(period.end - timedelta(days=1)).strftime("%d/%m/%Y"))
    assert search == f"?period={when.key}&lang={lang}"
    on_time = kpis(ctx, "admin", period)["on_time_rate"]
    cells = [c for c in walk(content) if getattr(c, "className", "") == "num sc-value"]
    assert fmt_pct(on_time, lang) in [c.children for c in cells]
    sparks = [c for c in walk(content) if getattr(c, "className", "") == "sc-spark"]
    assert len(sparks) >= 8 and all(s.src.startswith("data:image/svg+xml") for s in sparks)
    # the published indices have their own card, not rows of the KPI table
    rows = [c for c in walk(content) if getattr(c, "className", "") == "sc-row"]
    assert all(r.to_plotly_json()["props"].get("data-family") != "indicators" for r in rows)


def test_a_bad_or_future_period_from_the_control_shows_the_running_month(ctx: Context) -> None:
    running = ScorePeriod.containing(today(ctx), "month")
    for key in ("2026-13", None, 42, running.shifted(1).key, "2999"):
        _content, _span, search = render(ctx, key, "en")
        assert search == f"?period={running.key}&lang=en", key


def test_changing_the_grain_keeps_the_chosen_periods_first_day(ctx: Context) -> None:
    options, value = regrain(ctx, "quarter", "2026-08", "en")
    assert value == "2026-Q3" and options[0]["value"] == ScorePeriod.containing(today(ctx), "quarter").key
    options, value = regrain(ctx, "year", "2025-Q2", "vi")
    assert value == "2025" and {"label": "Năm 2025", "value": "2025"} in options
    _options, value = regrain(ctx, "month", "2026-Q3", "en")
    assert value == "2026-07"
    _options, value = regrain(ctx, "decade", "rubbish", "en")  # refused: the running month
    assert value == ScorePeriod.containing(today(ctx), "month").key


def test_a_family_whose_kpis_fail_is_named_and_the_rest_still_shown(ctx: Context, monkeypatch) -> None:  # noqa: ANN001
    from dataclasses import replace

    fams = list(registry().families)
    broken = next(f for f in fams if f.code == "traffic")

    def fail(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("the store went away")

    fams[fams.index(broken)] = replace(broken, kpis=fail)
    card = collect_scorecard(ctx.engine, ctx.settings, last_month(ctx), simulated=True, now=utcnow(), families=fams)
    assert "traffic" not in card.trends and "feedback" in card.trends
    from layouts.scorecard import kpi_table

    table = kpi_table(card, "en", {}, {})
    assert "The figures of traffic could not be read: RuntimeError: the store went away" in texts(table)
    assert any(getattr(c, "className", "") == "sc-row" for c in walk(table))


# --- the period's brief by URL --------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def served(ctx: Context) -> Any:
    """The app over the same store, bound as on a public address (every request needs a session),
    with a leader and a viewer."""
    public = build_context(load_settings({"IOC_DATABASE_URL": ctx.settings.database_url, "IOC_HOST": "0.0.0.0",
                                          "IOC_SECRET_KEY": "s" * 48}))
    for role in (Role.LEADER, Role.VIEWER):
        accounts.add_user(public.engine, f"{role}-sc", role, PASSWORD)
    forget_cached()
    from app import create_app

    return create_app(public)


def client_of(app: Any, role: str | None) -> Any:
    client = app.server.test_client()
    if role is not None:
        page = client.get("/signin").get_data(as_text=True)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        answer = client.post("/signin", data={"name": f"{role}-sc", "password": PASSWORD, "csrf": csrf, "next": "/"})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:200]
    return client


def test_a_leader_downloads_the_periods_brief_and_it_is_audited(ctx: Context, served: Any) -> None:
    when = last_month(ctx)
    leader = client_of(served, Role.LEADER)
    answer = leader.get(f"/scorecard/{when.key}.pdf?lang=en")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.mimetype == "application/pdf"
    name = f"brief-scorecard-month_{when.period.start.isoformat()}_{(when.period.end - timedelta(days=1)).isoformat()}_en.pdf"
    assert f'filename="{name}"' in answer.headers["Content-Disposition"]
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(answer.data)).pages)
    received = kpis(ctx, "feedback", when.period)["received"]
    assert t("sc_ranking_handling_unit", "en") in text and t("sc_ranking_tthc_unit", "en") in text
    assert f"{t('kpi_received', 'en')} {fmt_int(received, 'en')}" in text
    [entry] = audit.entries(ctx.engine, action="report", actor=f"{Role.LEADER}-sc", limit=5)
    assert entry.target == name and entry.role == Role.LEADER
    book = load_workbook(io.BytesIO(leader.get(f"/scorecard/{when.key}.xlsx?lang=vi").data))
    cells = [c.value for row in book.worksheets[0].iter_rows() for c in row]
    assert t("kpi_received", "vi") in cells and received in cells


def test_the_brief_url_names_what_it_refuses(ctx: Context, served: Any) -> None:
    leader = client_of(served, Role.LEADER)
    for url, status, words in (("/scorecard/2026-13.pdf", 400, "period '2026-13'"),
                               ("/scorecard/2099-01.pdf", 400, "has not begun"),
                               (f"/scorecard/{last_month(ctx).key}.docx", 404, "no format 'docx'"),
                               (f"/scorecard/{last_month(ctx).key}.xlsx?lang=fr", 400, "parameter 'lang': 'fr'")):
        answer = leader.get(url)
        assert answer.status_code == status and words in answer.get_data(as_text=True), url
    assert client_of(served, None).get(f"/scorecard/{last_month(ctx).key}.pdf").status_code == 401
    refused = client_of(served, Role.VIEWER).get(f"/scorecard/{last_month(ctx).key}.pdf")
    assert refused.status_code == 403 and "viewer role may not" in refused.get_data(as_text=True)
