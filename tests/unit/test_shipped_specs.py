"""The shipped system specs (``ioc/systems/specs``) load, cite their sources, speak both
languages and define at least the KPIs issue #14 asks of each system; ``indicators.csv`` holds
only rows the indicators spec accepts, each with its citation; and the worked example of
``docs/systems.md`` is a spec that validates, so an analyst copying it starts from a valid file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from ioc.systems import spec as spec_module
from ioc.systems.spec import SHIPPED, Kpi, SystemSpec, load_all, load_spec

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "systems.md"
CSV_FILE = SHIPPED / "indicators.csv"
PERIOD = re.compile(r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")
FREQUENCY_OF_PERIOD = {"year": re.compile(r"^\d{4}$"), "quarter": re.compile(r"^\d{4}-Q[1-4]$"),
                       "month": re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")}

#: KPI name → (type, dimension filter it must have or None) — the minimum of each system.
MINIMUM: dict[str, dict[str, tuple[str, dict[str, tuple[str, ...]] | None]]] = {
    "press": {
        "items": ("count", None),
        "negative_items": ("count", {"sentiment": ("negative",)}),
        "negative_share": ("share", {"sentiment": ("negative",)}),
        "response_median": ("median", {"sentiment": ("negative",)}),
    },
    "ecard": {
        "ratings": ("count", None),
        "satisfied_share": ("share", {"rating": ("very_satisfied", "satisfied")}),
        "dissatisfied": ("count", {"rating": ("dissatisfied",)}),
    },
    "eads": {
        "screens_monitored": ("latest", {"kind": ("inventory",)}),
        "screens_online": ("latest", {"kind": ("status",)}),
        "items_shown": ("sum", {"kind": ("shown",)}),
        "violations": ("count", {"kind": ("violation",)}),
        "takedown_median": ("median", {"kind": ("violation",)}),
    },
    "cyber": {
        "events": ("count", None),
        "critical_events": ("count", {"severity": ("critical",)}),
        "attacks_blocked": ("count", {"status": ("blocked",)}),
        "blocked_share": ("share", {"status": ("blocked",)}),
        "open_vulnerabilities": ("count", {"category": ("vulnerability",), "status": ("open",)}),
        "response_median": ("median", None),
    },
    "wallet": {
        "wallet_users": ("latest", {"kind": ("users",)}),
        "active_users": ("latest", {"kind": ("active",)}),
        "acceptance_points": ("latest", {"kind": ("points",)}),
        "payments": ("count", {"kind": ("payment",), "status": ("success",)}),
        "payment_value": ("sum", {"kind": ("payment",), "status": ("success",)}),
        "orders": ("count", {"kind": ("order",), "status": ("success",)}),
    },
    "indicators": {
        "grdp_growth": ("latest", None),
        "grdp_growth_change": ("change", None),
        "budget_revenue": ("latest", None),
        "export_value": ("latest", None),
        "retail_sales": ("latest", None),
        "tourist_arrivals": ("latest", None),
        "fdi_registered": ("latest", None),
        "pci_rank": ("rank", None),
        "papi_rank": ("rank", None),
        "par_rank": ("rank", None),
        "sipas_rank": ("rank", None),
        "dti_rank": ("rank", None),
        "papi_score": ("latest", None),
        "par_score": ("latest", None),
    },
}

SPECS = {s.code: s for s in load_all()}


def test_the_six_systems_are_shipped() -> None:
    assert sorted(SPECS) == sorted(MINIMUM)
    assert SPECS["indicators"].kind == "indicator"
    assert all(SPECS[c].kind == "events" for c in MINIMUM if c != "indicators")


@pytest.mark.parametrize("code", sorted(MINIMUM))
def test_each_spec_cites_sources_and_speaks_both_languages(code: str) -> None:
    spec = SPECS[code]
    assert spec.sources and all(s.strip() for s in spec.sources)
    for label in (spec.label, spec.nav, spec.description):
        assert label.vi.strip() and label.en.strip()
    # Vietnamese with its diacritics, not ASCII transliteration
    assert not spec.label.vi.isascii()
    for lang in ("vi", "en"):
        strings = spec.strings()[lang]
        assert all(v.strip() for v in strings.values())
        assert {f"sys_{code}_kpi_{k.name}" for k in spec.kpis} <= set(strings)


@pytest.mark.parametrize("code", sorted(MINIMUM))
def test_each_spec_defines_its_minimum_kpis(code: str) -> None:
    spec = SPECS[code]
    kpis: dict[str, Kpi] = {k.name: k for k in spec.kpis}
    for name, (type_, where) in MINIMUM[code].items():
        assert name in kpis, f"{code}: KPI {name} missing"
        assert kpis[name].type == type_, f"{code}.{name}"
        if where is not None:
            for dim, codes in where.items():
                assert set(codes) <= set(kpis[name].where.get(dim, ())), f"{code}.{name}.where.{dim}"
    assert set(spec.overview) <= set(kpis)
    if spec.kind == "events":
        assert spec.simulation.per_day > 0


def test_press_has_three_dimensions_and_a_negative_surge() -> None:
    press = SPECS["press"]
    assert [d.name for d in press.dimensions] == ["sentiment", "topic", "outlet"]
    assert press.kpi("negative_share").direction == "lower"
    surges = [a for a in press.alerts if a.type == "surge" and a.where == {"sentiment": ("negative",)}]
    assert surges and surges[0].factor > 1
    assert "handled" in press.fields


def test_cyber_alerts_on_critical_events_each_hour() -> None:
    rule = next(a for a in SPECS["cyber"].alerts if a.name == "critical_hour")
    assert (rule.type, rule.window, rule.where, rule.threshold) == ("threshold", "hour", {"severity": ("critical",)}, 1)


def test_ecard_ranks_units_by_satisfaction() -> None:
    ecard = SPECS["ecard"]
    assert "ranking" in ecard.panels and ecard.ranking == "satisfied_share"


def test_targets_always_say_which_direction_is_better() -> None:
    for spec in SPECS.values():
        for k in spec.kpis:
            assert k.target is None or k.direction in ("higher", "lower"), f"{spec.code}.{k.name}"


def _csv_rows() -> tuple[list[str], list[dict[str, str]]]:
    with CSV_FILE.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def test_indicators_csv_headers_are_the_spec_fields() -> None:
    header, rows = _csv_rows()
    assert header == list(SPECS["indicators"].fields.values())
    assert rows


def test_indicators_csv_rows_are_accepted_and_cited() -> None:
    spec: SystemSpec = SPECS["indicators"]
    f = spec.fields
    frequency = {t.code: t.frequency for t in spec.indicators}
    _, rows = _csv_rows()
    seen = set()
    for i, row in enumerate(rows, start=2):
        code, period = row[f["indicator"]], row[f["period"]]
        assert code in frequency, f"line {i}: unknown indicator {code!r}"
        assert PERIOD.match(period), f"line {i}: period {period!r}"
        assert FREQUENCY_OF_PERIOD[frequency[code]].match(period), f"line {i}: {period} is not a {frequency[code]}"
        assert row[f["source"]].strip(), f"line {i}: no source"
        assert len(row[f["source"]]) <= 500, f"line {i}: citation longer than the store's 500 characters"
        assert row[f["value"]] or row[f["rank"]], f"line {i}: neither a value nor a rank"
        for column in ("value", "target"):
            if row[f[column]]:
                float(row[f[column]])
        for column in ("rank", "rank_of"):
            if row[f[column]]:
                assert int(row[f[column]]) >= 1
        if row[f["rank"]] and row[f["rank_of"]]:
            assert int(row[f["rank"]]) <= int(row[f["rank_of"]])
        assert (code, period, row[f["unit"]]) not in seen, f"line {i}: duplicate"
        seen.add((code, period, row[f["unit"]]))


def test_indicators_csv_agrees_with_the_domain_brief_on_papi_2023() -> None:
    """domain.md §7: Huế ranked 1st in PAPI 2023."""
    _, rows = _csv_rows()
    papi = [r for r in rows if r["indicator"] == "papi" and r["period"] == "2023"]
    assert len(papi) == 1 and papi[0]["rank"] == "1"


def _example_blocks() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)


def test_the_worked_example_in_the_docs_validates(tmp_path: Path) -> None:
    specs = [b for b in _example_blocks() if re.search(r'^code = "', b, flags=re.M)]
    assert len(specs) == 1
    code = re.search(r'^code = "([a-z0-9_]+)"', specs[0], flags=re.M).group(1)
    path = tmp_path / f"{code}.toml"
    path.write_text(specs[0], encoding="utf-8")
    spec = load_spec(path)
    assert spec.code == code and spec.kind == "events"
    assert {k.type for k in spec.kpis} >= {"count", "share", "median", "p90", "rate", "change"}
    assert {a.type for a in spec.alerts} == {"threshold", "surge"}


def test_the_docs_name_every_key_of_the_format() -> None:
    text = DOCS.read_text(encoding="utf-8")
    simulation_keys = ("per_day", "hourly", "weekly", "monthly", "weights", "flow", "handling_hours", "value",
                       "value_integer", "located_share", "indicators", "every_s", "snapshots", "base_year", "hour")
    alert_keys = ("window", "measure", "threshold", "factor", "min_count", "severity")
    kpi_keys = ("where", "of", "per", "kpi", "indicator", "unit", "target", "direction")
    names = (*spec_module.TOP_KEYS, *spec_module.EVENT_FIELDS, *spec_module.INDICATOR_FIELDS,
             *spec_module.EVENT_KPI_TYPES, *spec_module.INDICATOR_KPI_TYPES, *spec_module.PANELS,
             *spec_module.SEVERITIES, *spec_module.RATE_PER, *simulation_keys, *alert_keys, *kpi_keys, "open")
    spans = " ".join(re.findall(r"`([^`]+)`", text))
    missing = [n for n in names if not re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", spans)]
    assert missing == []
    assert "IOC_SYSTEMS" in text and "python -m ioc kpi" in text and "python -m ioc import" in text
