"""The UI string catalogues (ioc/locale/<lang>/LC_MESSAGES/<domain>.po): every key in both
languages with the same placeholders, every key the code and the browser ask for present, and
the browser's settings taken from the server's single sources."""

from __future__ import annotations

import ast
import re
import string
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ioc.domain.freshness import FRESHNESS_FACTORS
from ioc.i18n import LANGS, LOCALE_DIR, catalogue, domains, has, read_catalogue, t
from ioc.live import STATE_ORDER
from ioc.registry import registry
from ioc.store.runs import SourceHealth
from layouts import ids
from layouts.browser import BROWSER_IDS, BROWSER_STRINGS, browser_config, browser_config_json

PAGES = registry().page_paths()

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("ioc", "layouts", "callbacks", "data_sources", "families")
ASSETS = ROOT / "assets"


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_both_languages_have_the_same_domains() -> None:
    assert domains("vi") == domains("en")
    assert {"core", "feedback", "traffic", "environment", "admin", "alerts", "wall"} <= set(domains("vi"))


@pytest.mark.parametrize("domain", domains("vi"))
def test_each_domain_has_every_key_in_vi_and_en(domain: str) -> None:
    vi, en = read_catalogue("vi", domain), read_catalogue("en", domain)
    assert sorted(vi.keys() - en.keys()) == [], f"{domain}: keys without an English text"
    assert sorted(en.keys() - vi.keys()) == [], f"{domain}: keys without a Vietnamese text"


@pytest.mark.parametrize("lang", LANGS)
def test_no_empty_and_no_repeated_msgid(lang: str) -> None:
    for domain in domains(lang):
        texts = read_catalogue(lang, domain)
        assert [k for k, v in texts.items() if not v.strip()] == [], f"{lang}/{domain}.po: empty msgstr"
        raw = (LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po").read_text(encoding="utf-8")
        assert len(re.findall(r'^msgid "(.+)"$', raw, flags=re.M)) == len(texts), f"{lang}/{domain}.po: a msgid twice"
    assert len(catalogue(lang)) > 400  # every domain merged; a key defined in two domains raises


def test_placeholders_match_between_vi_and_en() -> None:
    vi, en = catalogue("vi"), catalogue("en")
    mismatched = {k: (placeholders(vi[k]), placeholders(en[k])) for k in vi
                  if placeholders(vi[k]) != placeholders(en[k])}
    assert mismatched == {}


def test_every_registered_page_and_family_has_its_strings() -> None:
    """Keys named by declarations rather than by a t() literal: page titles, family names."""
    reg = registry()
    keys = [p.title_key for p in reg.pages] + [f"family_{f.code}" for f in reg.families]
    for lang in LANGS:
        assert [k for k in keys if not has(k, lang)] == []


def _t_keys_in_code() -> dict[str, list[str]]:
    """Every constant first argument of a call to ``t(...)`` (or ``_page_title(...)``, which
    hands its key to t) in the application code."""
    found: dict[str, list[str]] = {}
    files = [ROOT / "app.py"] + [p for d in CODE_DIRS for p in (ROOT / d).rglob("*.py")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"t", "_page_title"}
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_key_the_python_code_asks_for_exists() -> None:
    used = _t_keys_in_code()
    assert len(used) > 250  # the scan does find the calls
    for lang in LANGS:
        missing = {k: where for k, where in used.items() if k not in catalogue(lang)}
        assert missing == {}, f"t() keys missing from the {lang} catalogues"


def test_every_key_the_browser_asks_for_exists() -> None:
    # literal keys in the scripts: text("key") / text("key", lang)
    literal = {m for p in ASSETS.glob("*.js") for m in re.findall(r'\btext\("([a-z0-9_]+)"\s*[,)]', p.read_text())}
    assert literal and literal <= set(BROWSER_STRINGS), sorted(literal - set(BROWSER_STRINGS))
    # keys the scripts build ("live_fresh_" + state, "live_" + state) are listed in BROWSER_STRINGS too
    dynamic = {f"live_fresh_{s}" for s in (*STATE_ORDER, "none")} | {"live_degraded", "live_offline", "live"}
    assert dynamic <= set(BROWSER_STRINGS)
    config = browser_config(PAGES)
    for lang in LANGS:
        assert config["strings"][lang] == {k: t(k, lang) for k in BROWSER_STRINGS}


def test_the_scripts_keep_no_copies() -> None:
    script = (ASSETS / "ioc.js").read_text()
    for path in PAGES.values():
        if path != "/":
            assert f'"{path}"' not in script, f"page path {path} copied in ioc.js"
    for name in BROWSER_IDS:
        assert f'"{getattr(ids, name)}"' not in script, f"id {name} copied in ioc.js"
    assert "_dashprivate" not in script and "pushState" not in script  # navigation: dcc.Location only
    for lang in LANGS:  # no catalogue text (longer than a word) copied into a script
        copied = {k for k, v in catalogue(lang).items() if len(v) > 12 and any(v in p.read_text() for p in ASSETS.glob("*.js"))}
        assert copied == set()


def test_browser_config_comes_from_the_server_sources() -> None:
    config = browser_config({"wall": "/wall", "overview": "/"})
    assert config["pages"] == {"wall": "/wall", "overview": "/"}
    assert config["rotation"] == ["wall", "overview"]
    assert browser_config(PAGES, rotation=["wall"])["rotation"] == ["wall"]
    assert config["freshness"] == {"late": 2, "stale": 5, "order": ["never", "stale", "late", "ok"]}
    assert config["ids"]["NAV_LOCATION"] == ids.NAV_LOCATION and config["ids"]["CLOCK"] == ids.CLOCK
    assert config["strings"]["en"]["live_offline"] == "DISCONNECTED"
    assert '"TRỰC TIẾP"' in browser_config_json(PAGES)


def test_browser_freshness_factors_agree_with_the_source_health() -> None:
    """The factors the browser ages badges with decide SourceHealth.freshness on the server too."""
    now = datetime(2026, 1, 1, 12)

    def state(lag: float) -> str:
        return SourceHealth("s", "t", "f", 60, None, None, None, now - timedelta(seconds=lag), 0, {}).freshness(now)

    late, stale = FRESHNESS_FACTORS["late"] * 60, FRESHNESS_FACTORS["stale"] * 60
    assert [state(late - 1), state(late), state(stale - 1), state(stale)] == ["ok", "late", "late", "stale"]
