"""Exports through URLs (issue #16): ``GET /export/<page>/<panel>.<csv|xlsx|png>?<the page's
filters>&lang=…`` on a real app over a SQLite store every family's simulator filled, signed in
by role over plain HTTP (a dashboard bound to a public address: every request needs a session).

The pages' CSV, PNG and XLSX links point at these URLs with the page's filters and language."""

from __future__ import annotations

import csv
import io
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from callbacks.access import forget_cached
from callbacks.export_routes import declared
from ioc import accounts, audit
from ioc.access import Role
from ioc.config import load_settings
from ioc.context import Context, build_context
from ioc.registry import registry
from ioc.runtime import backfill_source, simulator_sources
from layouts import ids
from tests.export_links import link_hrefs, page_links

PASSWORD = "correct horse battery staple"
PEOPLE = {role: f"{role}-user" for role in (Role.VIEWER, Role.LEADER, Role.ANALYST)}
BOM = "\ufeff"
#: the family pages without CSV buttons (a live picture of vessels and warnings, no period's table)
NO_EXPORTS = {"vessels", "warnings"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Context]:
    """The app over a store with 20 days of every simulator (the published indicators: 400),
    bound as on a public address, one account per role."""
    path: Path = tmp_path_factory.mktemp("exports") / "store.sqlite"
    ctx = build_context(load_settings({"IOC_DATABASE_URL": f"sqlite:///{path}", "IOC_HOST": "0.0.0.0",
                                       "IOC_SECRET_KEY": "k" * 48}))
    for spec in simulator_sources(ctx):
        assert backfill_source(ctx, spec, 400 if spec.family == "indicators" else 20, 2023) > 0, spec.name
    for role, name in PEOPLE.items():
        accounts.add_user(ctx.engine, name, role, PASSWORD)
    forget_cached()
    from app import create_app

    return create_app(ctx), ctx


@pytest.fixture(scope="module")
def app(served: tuple[Any, Context]) -> Any:
    return served[0]


@pytest.fixture(scope="module")
def ctx(served: tuple[Any, Context]) -> Context:
    return served[1]


def signed_in(app: Any, role: str | None) -> FlaskClient:
    client = app.server.test_client()
    if role is None:
        return client
    page = client.get("/signin").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = client.post("/signin", data={"name": PEOPLE[role], "password": PASSWORD, "csrf": csrf, "next": "/"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:200]
    return client


@pytest.fixture(scope="module")
def analyst(app: Any) -> FlaskClient:
    return signed_in(app, Role.ANALYST)


#: a page's display text in a cell: digit groups (1,234 · 1.234.567 · 1.234,5 · 1 234), a decimal
#: comma (0,43), a number with its unit (95 %, 3,62 m), a typographic minus or a change's arrow,
#: a relative time (3 giờ trước, 3 hours ago)
DISPLAY_TEXT = re.compile(
    r"[+−-]?\d{1,3}(,\d{3})+(\.\d+)?|[+−-]?\d{1,3}(\.\d{3}){2,}(,\d+)?|[+−-]?\d{1,3}(\.\d{3})+,\d+"
    r"|[+−-]?\d+,\d+|.*\d[\u00a0\u202f]\d.*|[+−-]?\d+([.,]\d+)?[\u00a0 ]?(%|m|mm|h|giờ|km|₫|VND)"
    r"|−\d.*|.*[▲▼↑↓].*|\d+ (phút|giờ|ngày) trước|\d+ (minutes?|hours?|days?) ago")


def rows(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith(BOM), text[:40]
    return list(csv.reader(io.StringIO(text[1:])))


def filename(answer: Any) -> str:
    return re.search(r'filename="([^"]+)"', answer.headers["Content-Disposition"]).group(1)


def family_pages() -> list[str]:
    """The pages with exports: every family's page with charts or lists, and the Overview (its
    30-day chart)."""
    return ["overview", *(p.name for f in registry().families for p in f.pages if p.name not in NO_EXPORTS)]


# --- what answers -------------------------------------------------------------------------------


def test_every_family_page_with_csv_buttons_declares_its_panels(app: Any) -> None:
    assert sorted(declared(app.server)) == sorted(family_pages())
    feedback = declared(app.server)["feedback"]
    assert set(feedback.panels) == set(ids.EXPORT_KEYS) and feedback.record_keys == {"map", "overdue"}


@pytest.mark.parametrize("page", family_pages())
def test_every_panel_answers_csv_in_both_languages_with_labels(app: Any, analyst: FlaskClient, page: str) -> None:
    exports = declared(app.server)[page]
    assert exports.panels
    for panel in exports.panels:
        files = {}
        for lang in ("vi", "en"):
            answer = analyst.get(f"/export/{page}/{panel}.csv?lang={lang}")
            assert answer.status_code == 200, (page, panel, answer.get_data(as_text=True)[:300])
            assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
            assert filename(answer).endswith(".csv")
            text = answer.get_data(as_text=True)
            # no float noise (19.259659755315536), no Python booleans, no header left a code
            assert not re.search(r"\d\.\d{7,}", text), (page, panel, lang)
            assert not re.search(r"(^|,)(True|False)(,|\r?$)", text, re.M), (page, panel, lang)
            cells = text.split("\n", 1)[-1]  # (a header may name a day: "before 01/07/2025")
            assert not re.search(r"\b\d\d/\d\d/\d{4}\b", cells), (page, panel, lang)  # dates in ISO 8601
            files[lang] = rows(answer.data)
            assert not [h for h in files[lang][0] if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", h)], files[lang][0]
            # no display text of the page: a "–" for nothing, a number with its unit or digit groups,
            # a change's arrow, a time as "3 giờ trước" / "3 hours ago"
            shown = [c for r in files[lang][1:] for c in r if c in ("–", "—") or DISPLAY_TEXT.fullmatch(c)]
            assert not shown, (page, panel, lang, shown[:5])
        # the same file name and the same shape in both languages; the headers in each one's words
        assert len(files["vi"]) == len(files["en"]) and len(files["vi"][0]) == len(files["en"][0])
        assert files["vi"][0] != files["en"][0], (page, panel, files["vi"][0])


# --- the pages' links ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", family_pages())
def test_every_panel_is_linked_and_every_chart_has_png_and_xlsx_links(app: Any, ctx: Context, page: str) -> None:
    exports = declared(app.server)[page]
    links = page_links(app, ctx, page, "en")
    by_format = {fmt: [link["chart"] for link in links if link["format"] == fmt] for fmt in ("csv", "png", "xlsx")}
    assert {link["format"] for link in links} <= {"csv", "png", "xlsx"}
    assert by_format["csv"] and len(by_format["csv"]) == len(set(by_format["csv"])), page
    assert set(by_format["csv"]) <= set(exports.panels)
    # a chart's PNG and XLSX links sit next to its CSV link: every chart the route draws, no other panel
    assert sorted(by_format["png"]) == sorted(by_format["xlsx"]) == sorted(
        c for c in exports.urls.charts if c in by_format["csv"])


def test_the_links_carry_the_pages_filters_language_and_view_settings(app: Any, ctx: Context,
                                                                       analyst: FlaskClient) -> None:
    links = page_links(app, ctx, "feedback", "en", **{"from": "2026-11-20", "to": "2026-12-02"})
    page_url = "?from=2026-11-20&to=2026-12-02&lang=vi"
    hrefs = link_hrefs(analyst, app, links, page_url, "en", {ids.FB_AREA_BY: "commune"})
    query = "from=2026-11-20&to=2026-12-02&area=commune&lang=en"
    assert hrefs[("category", "csv")] == f"/export/feedback/category.csv?{query}"
    assert hrefs[("trend", "png")] == f"/export/feedback/trend.png?{query}"
    assert hrefs[("district", "xlsx")] == f"/export/feedback/district.xlsx?{query}"
    assert hrefs[("overdue", "csv")] == f"/export/feedback/overdue.csv?{query}"
    assert ("overdue", "png") not in hrefs and ("map", "xlsx") not in hrefs  # no chart: a CSV link only

    # the same file as the URL the page's filters make
    csv_answer = analyst.get(hrefs[("category", "csv")])
    assert csv_answer.status_code == 200 and filename(csv_answer) == "phan-anh_theo-linh-vuc_2026-11-20_2026-12-02.csv"
    assert csv_answer.data == analyst.get("/export/feedback/category.csv?from=2026-11-20&to=2026-12-02&lang=en").data
    assert rows(csv_answer.data)[0][:3] == ["Code", "Name", "Received"]

    # a filter changed on the page (its URL) and the grouping of the "by area" chart: the links follow
    code = rows(csv_answer.data)[1][0]
    moved = link_hrefs(analyst, app, links, f"?from=2026-11-25&to=2026-12-02&category={code}&lang=en", "vi",
                       {ids.FB_AREA_BY: "district"})
    query = f"from=2026-11-25&to=2026-12-02&category={code}&area=district&lang=vi"
    assert moved[("category", "csv")] == f"/export/feedback/category.csv?{query}"
    assert moved[("district", "png")] == f"/export/feedback/district.png?{query}"
    one = rows(analyst.get(moved[("category", "csv")]).data)
    assert one[0][:2] == ["Mã", "Tên"] and [r[0] for r in one[1:]] == [code]
    picture = analyst.get(moved[("district", "png")])
    assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/png"
    assert picture.data[:8] == b"\x89PNG\r\n\x1a\n" and len(picture.data) > 10_000
    assert filename(picture) == "phan-anh_theo-dia-ban_2026-11-25_2026-12-02.png"
    book = analyst.get(moved[("district", "xlsx")])
    assert book.status_code == 200 and book.data[:2] == b"PK"
    import openpyxl

    sheets = openpyxl.load_workbook(io.BytesIO(book.data)).sheetnames
    assert len(sheets) == 2 and sheets[-1] == "Thông tin"


def test_a_view_setting_outside_the_pages_url_is_read_from_its_control(app: Any, ctx: Context,
                                                                        analyst: FlaskClient) -> None:
    links = page_links(app, ctx, "admin")
    hrefs = link_hrefs(analyst, app, links, "?from=2026-11-20&to=2026-12-02&queue=soon", "en",
                       {ids.AD_QUEUE_STATE: "overdue"})
    assert hrefs[("queue", "csv")] == "/export/admin/queue.csv?from=2026-11-20&to=2026-12-02&queue=overdue&lang=en"
    late = rows(analyst.get(hrefs[("queue", "csv")]).data)
    assert {r[1] for r in late[1:]} <= {"Overdue"} and len(late) > 1
    # a value the control cannot hold is left out: the page's default, not a refused file
    hrefs = link_hrefs(analyst, app, links, "", "en", {ids.AD_QUEUE_STATE: "<script>"})
    assert hrefs[("queue", "csv")] == "/export/admin/queue.csv?lang=en"
    assert analyst.get(hrefs[("queue", "csv")]).status_code == 200


def test_the_overviews_chart_links_to_its_30_days(app: Any, ctx: Context, analyst: FlaskClient) -> None:
    """The Overview's 30-day chart has no filter: its links carry the language only (a kiosk
    parameter of the page does not change the file), and its CSV is the chart's 30 days."""
    from callbacks.overview import daily_series

    links = page_links(app, ctx, "overview", "vi")
    hrefs = link_hrefs(analyst, app, links, "?kiosk=1&lang=vi", "en")
    assert hrefs == {("daily", fmt): f"/export/overview/daily.{fmt}?kiosk=1&lang=en" for fmt in ("csv", "png", "xlsx")}
    answer = analyst.get(hrefs[("daily", "csv")])
    assert answer.status_code == 200 and filename(answer).startswith("phan-anh_30-ngay_")
    table = rows(answer.data)
    period, series = daily_series(ctx)
    assert 0 < len(series) <= 30 and len(table) == 1 + len(series)  # the days with reports
    assert period.start.isoformat() <= table[1][0] and table[-1][0] < period.end.isoformat()
    assert sum(int(r[1]) for r in table[1:]) == int(series["received"].sum())
    png = analyst.get(hrefs[("daily", "png")])
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png" and len(png.data) > 10_000


def test_a_link_naming_no_panel_of_the_page_gets_no_address(app: Any, analyst: FlaskClient) -> None:
    crafted = [ids.export_link("category", "csv"), ids.export_link("nothing", "csv"),
               ids.export_link("overdue", "png"), ids.export_link("category", "pdf")]
    hrefs = link_hrefs(analyst, app, crafted, "?from=2026-11-20", "en", {ids.FB_AREA_BY: None})
    assert hrefs == {("category", "csv"): "/export/feedback/category.csv?from=2026-11-20&lang=en",
                     ("nothing", "csv"): None, ("overdue", "png"): None, ("category", "pdf"): None}


def test_the_filters_are_the_pages_own_parameters(analyst: FlaskClient) -> None:
    everything = rows(analyst.get("/export/feedback/category.csv?lang=en").data)
    code = everything[1][0]
    one = rows(analyst.get(f"/export/feedback/category.csv?lang=en&category={code}").data)
    assert [r[0] for r in one[1:]] == [code]
    assert [float(v) for v in one[1][2:]] == [float(v) for v in everything[1][2:]]  # a lone 1.0 may be written 1
    # the older key of the unit filter, as the page reads it
    by_district = analyst.get("/export/traffic/type.csv?district=19753&lang=en")
    assert by_district.status_code == 200
    assert sum(int(r[2]) for r in rows(by_district.data)[1:]) < sum(
        int(r[2]) for r in rows(analyst.get("/export/traffic/type.csv?lang=en").data)[1:])
    # a view setting of the page: the admin queue shows the overdue dossiers or those due soon
    soon = rows(analyst.get("/export/admin/queue.csv?lang=en").data)
    late = rows(analyst.get("/export/admin/queue.csv?lang=en&queue=overdue").data)
    assert {r[1] for r in soon[1:]} <= {"Due within 2 working days"}
    assert {r[1] for r in late[1:]} <= {"Overdue"} and len(late) > 1


def test_coded_values_come_out_as_labels(analyst: FlaskClient) -> None:
    queue = rows(analyst.get("/export/admin/queue.csv?lang=en&queue=overdue").data)
    status = queue[0].index("Status")
    assert {r[status] for r in queue[1:]} <= {"Newly received", "In progress", "Supplement requested"}
    assert rows(analyst.get("/export/admin/queue.csv?lang=vi&queue=overdue").data)[1][status] in (
        "Mới tiếp nhận", "Đang xử lý", "Yêu cầu bổ sung")
    ranking = rows(analyst.get("/export/admin/ranking.csv?lang=en").data)
    assert {r[ranking[0].index("Level")] for r in ranking[1:]} <= {"Commune", "Province", "District"}, ranking[:3]
    recent = rows(analyst.get("/export/traffic/recent.csv?lang=en").data)
    flag = recent[0].index("Fine check")
    assert {r[flag] for r in recent[1:]} <= {"Within the legal range", "Below the legal range",
                                             "Above the legal range", "Not checked", "No fine recorded"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", recent[1][recent[0].index("Detected")])
    score = rows(analyst.get("/export/admin/score.csv?lang=en").data)
    assert {r[score[0].index("Measured")] for r in score[1:]} <= {"Yes", "No"}
    vi = rows(analyst.get("/export/admin/score.csv").data)  # the default language is Vietnamese
    assert {r[vi[0].index("Đo được")] for r in vi[1:]} <= {"Có", "Không"}


def test_numbers_are_numbers_and_times_iso(analyst: FlaskClient) -> None:
    uptime = rows(analyst.get("/export/cameras/uptime.csv?lang=en").data)
    assert all(0 <= float(r[uptime[0].index("Uptime (%)")]) <= 100 for r in uptime[1:]) and len(uptime) > 1
    events = rows(analyst.get("/export/cameras/events.csv?lang=en").data)
    assert all(0 <= float(r[events[0].index("Confidence (0–1)")]) <= 1 for r in events[1:] if r[6])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", events[1][0]), events[1]
    stations = rows(analyst.get("/export/flood/stations.csv?lang=en").data)
    kim_long = next(r for r in stations[1:] if r[0] == "Kim Long")
    assert float(kim_long[stations[0].index("Level I (m)")]) == 1.0
    # the alarm stage as its label and as a number 0–3; a rain gauge's are empty, not "–"
    label, number = stations[0].index("Alarm level"), stations[0].index("Alarm level (0–3)")
    level = int(kim_long[number])
    assert 0 <= level <= 3 and kim_long[label] == ("Below alarm level I" if level == 0 else
                                                   f"Alarm level {('I', 'II', 'III')[level - 1]}")
    a_luoi = next(r for r in stations[1:] if r[0] == "A Lưới")
    assert a_luoi[label] == a_luoi[number] == a_luoi[stations[0].index("River")] == ""
    assert not any(cell in ("–", "—") for r in stations[1:] for cell in r)
    shares = rows(analyst.get("/export/traffic/type.csv?lang=vi").data)
    assert shares[0][3] == "Tỷ trọng (0–1)" and 0 < float(shares[1][3]) <= 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", kim_long[stations[0].index("Last observation")])
    overdue = rows(analyst.get("/export/feedback/overdue.csv?lang=en").data)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", overdue[1][overdue[0].index("Received")])


# --- who may ------------------------------------------------------------------------------------


def test_reports_need_report_and_records_need_export(app: Any) -> None:
    anonymous, viewer = signed_in(app, None), signed_in(app, Role.VIEWER)
    leader, analyst = signed_in(app, Role.LEADER), signed_in(app, Role.ANALYST)
    assert anonymous.get("/export/feedback/category.csv").status_code == 401
    assert viewer.get("/export/feedback/category.csv").status_code == 403
    assert leader.get("/export/feedback/category.csv").status_code == 200
    refused = leader.get("/export/feedback/overdue.csv")
    assert refused.status_code == 403 and "overdue" in refused.get_data(as_text=True)
    assert leader.get("/export/traffic/recent.csv").status_code == 403
    assert analyst.get("/export/feedback/overdue.csv").status_code == 200
    # personal data masked for an analyst who has not unmasked: plates end in "**"
    recent = rows(analyst.get("/export/traffic/recent.csv?lang=en").data)
    plates = [r[recent[0].index("Plate")] for r in recent[1:] if r[recent[0].index("Plate")]]
    assert plates and all("*" in p for p in plates), plates[:3]


def test_every_export_is_written_to_the_audit_trail(app: Any, ctx: Context) -> None:
    leader, analyst = signed_in(app, Role.LEADER), signed_in(app, Role.ANALYST)
    before = len(audit.entries(ctx.engine))
    report = leader.get("/export/feedback/trend.csv?from=2026-11-01&to=2026-11-30")
    export = analyst.get("/export/feedback/overdue.csv")
    assert report.status_code == export.status_code == 200
    entries = audit.entries(ctx.engine)
    assert len(entries) == before + 2
    new = sorted(entries, key=lambda e: e.id)[-2:]
    assert [(e.actor, e.action, e.target) for e in new] == [
        (PEOPLE[Role.LEADER], "report", "phan-anh_xu-huong_2026-11-01_2026-11-30.csv"),
        (PEOPLE[Role.ANALYST], "export", filename(export))]
    done = new[1]
    assert done.action == "export" and done.detail["personal"] == "masked"
    assert done.detail["rows"] == len(rows(export.data)) - 1


# --- what is refused ------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "named"), [
    ("/export/feedback/category.csv?from=31/02/2026", ("from", "31/02/2026")),
    ("/export/feedback/category.csv?from=2026-12-01&to=2026-11-01", ("to", "2026-11-01")),
    ("/export/feedback/category.csv?category=zzz", ("category", "zzz")),
    ("/export/feedback/category.csv?district=99999", ("district", "99999")),
    ("/export/feedback/district.csv?area=province", ("area", "province")),
    ("/export/admin/queue.csv?queue=later", ("queue", "later")),
    ("/export/environment/stations.csv?range=9y", ("range", "9y")),
    ("/export/traffic/type.csv?lang=fr", ("lang", "fr")),
])
def test_a_bad_filter_value_is_400_naming_the_parameter_and_the_value(analyst: FlaskClient, address: str,
                                                                        named: tuple[str, str]) -> None:
    answer = analyst.get(address)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400, text
    assert f"'{named[0]}'" in text and named[1] in text, text


@pytest.mark.parametrize(("address", "named"), [
    ("/export/nowhere/trend.csv", "'nowhere'"),
    ("/export/feedback/nothing.csv", "'nothing'"),
    ("/export/feedback/trend.pdf", "'pdf'"),
    ("/export/feedback/trend", "'trend'"),
    ("/export/feedback/map.png", "map"),
])
def test_an_unknown_page_panel_or_format_is_404_naming_it(analyst: FlaskClient, address: str, named: str) -> None:
    answer = analyst.get(address)
    assert answer.status_code == 404 and named in answer.get_data(as_text=True), answer.get_data(as_text=True)


# --- XLSX and PNG -------------------------------------------------------------------------------


def test_xlsx_reads_back_with_labels_and_numbers(analyst: FlaskClient) -> None:
    answer = analyst.get("/export/feedback/category.csv?lang=en&from=2026-11-20&to=2026-12-02".replace(".csv", ".xlsx"))
    import openpyxl

    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert filename(answer) == "phan-anh_theo-linh-vuc_2026-11-20_2026-12-02.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(answer.data))
    table = book.worksheets[0]
    header = [c.value for c in table[1]]
    assert header[:3] == ["Code", "Name", "Received"]
    first = [c.value for c in table[2]]
    rate = first[header.index("On-time rate")]  # a percentage cell: the header no longer says "(0–1)"
    assert isinstance(first[0], str) and isinstance(first[2], int) and isinstance(rate, int | float) and 0 <= rate <= 1
    about = " ".join(str(c.value) for row in book.worksheets[-1].iter_rows() for c in row if c.value is not None)
    assert "2026-11-20" in about and "2026-12-02" in about


def test_png_is_the_chart_at_print_size(analyst: FlaskClient) -> None:
    answer = analyst.get("/export/feedback/trend.png?lang=en")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.headers["Content-Type"] == "image/png" and filename(answer).endswith(".png")
    assert answer.data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", answer.data[16:24])
    assert (width, height) == (1600, 900)
