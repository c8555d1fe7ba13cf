"""Place names on English pages follow one rule (README, "Place names in both languages"):
a Vietnamese place name keeps its Vietnamese spelling, diacritics included, in both languages;
nothing transliterates it to plain ASCII ("Huế", never "Hue"). These tests hold every English
string of the catalogues, and the English texts of the simulated warnings, to that rule, over
every place name the dashboard ships: the administrative units (all dates), the rivers and
stations, the fishing ports."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import pytest

from ioc.domain.units import short_name
from ioc.i18n import domains, read_catalogue

DATA = Path(__file__).resolve().parents[2] / "ioc" / "domain" / "data"
# The citizens' app is called "Hue-S" in its own English and Vietnamese material: a brand, not a place
BRANDS = re.compile(r"Hue-S\b")


def ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in folded if not unicodedata.combining(c))


def place_names() -> set[str]:
    names = {"Huế", "Thừa Thiên Huế"}
    with (DATA / "hue_units.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.reader(line for line in fh if not line.startswith("#"))]
    header, body = rows[0], rows[1:]
    name_col = header.index("name")
    names |= {short_name(r[name_col]) for r in body if len(r) > name_col}
    with (DATA / "hue_flood_stations.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            names |= {r["name"], r["river"]} - {""}
    with (DATA / "hue_fishing_ports.csv").open(encoding="utf-8") as fh:
        names |= {r["name"].removeprefix("Cảng cá ") for r in csv.DictReader(fh)}
    # only names that a transliteration would change; and not one-syllable words that are also
    # English or common syllables in other names' ASCII forms
    return {n for n in names if ascii_fold(n) != n and len(ascii_fold(n)) >= 3}


def folded_names() -> dict[str, re.Pattern[str]]:
    return {name: re.compile(rf"(?<![\w-]){re.escape(ascii_fold(name))}(?![\w-])") for name in place_names()}


def test_the_rule_knows_enough_place_names() -> None:
    names = place_names()
    assert {"Huế", "Phú Xuân", "Hương", "Phú Ốc", "A Lưới 1", "Chân Mây - Lăng Cô"} <= names
    assert len(names) > 100  # the units of every date, besides stations and ports


def test_the_check_finds_a_transliterated_name() -> None:
    patterns = folded_names()
    assert patterns["Huế"].search("Hue city")
    assert not patterns["Huế"].search("Huế city")
    assert not patterns["Huế"].search("the Hue-S app")


@pytest.mark.parametrize("domain", domains("en"))
def test_english_strings_keep_vietnamese_place_names(domain: str) -> None:
    patterns = folded_names()
    bad = [f"{key}: {text!r} writes {name!r} without its diacritics"
           for key, text in read_catalogue("en", domain).items()
           for name, pattern in patterns.items() if pattern.search(BRANDS.sub("", text))]
    assert not bad, "\n".join(bad)


def test_the_simulated_warnings_english_texts_keep_vietnamese_place_names() -> None:
    from data_sources import warnings_simulator

    texts = [str(v) for event in warnings_simulator.EVENTS for v in vars(event).values() if isinstance(v, str)]
    assert any("Huế" in text for text in texts)
    patterns = folded_names()
    bad = [(name, text) for text in texts for name, pattern in patterns.items() if pattern.search(text)]
    assert not bad, bad
