"""The Overview's cards in one callback (callbacks.overview.family_cards): only the cards whose
family's version moved since they were filled are computed; the others, and ids naming no family,
are left as they are."""

from __future__ import annotations

from types import SimpleNamespace

import dash
import pytest

from callbacks import overview
from layouts import ids

CTX = SimpleNamespace(settings=SimpleNamespace(lang="vi"))


@pytest.fixture()
def computed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []

    def summary(_ctx, family: str, lang: str):  # noqa: ANN001, ANN202
        calls.append((family, lang))
        return [f"tiles of {family}"], f"note of {family}"

    monkeypatch.setattr(overview.summaries, "cached_summary", summary)
    return calls


def card_ids(*families: str) -> list[dict]:
    return [ids.overview_card(f, "tiles") for f in families]


def test_version_key_reads_follow_versions_key() -> None:
    assert overview.version_key("feedback:3,traffic:12") == {"feedback": 3, "traffic": 12}
    assert overview.version_key("feedback:x,:4,admin") == {}
    assert overview.version_key(None) == {} and overview.version_key(["feedback:3"]) == {}


def test_only_the_cards_whose_version_moved_are_filled(computed: list) -> None:
    tiles, notes, now = overview.family_cards(CTX, "feedback:3,traffic:12", None, card_ids("feedback", "traffic"), "en")
    assert tiles == [["tiles of feedback"], ["tiles of traffic"]] and notes == ["note of feedback", "note of traffic"]
    assert now == {"feedback": 3, "traffic": 12} and computed == [("feedback", "en"), ("traffic", "en")]

    computed.clear()
    tiles, notes, now = overview.family_cards(CTX, "feedback:3,traffic:13", now, card_ids("feedback", "traffic"), None)
    assert tiles[0] is dash.no_update and notes[0] is dash.no_update and tiles[1] == ["tiles of traffic"]
    assert now == {"feedback": 3, "traffic": 13} and computed == [("traffic", "vi")]


def test_a_family_without_data_yet_is_filled_once_and_crafted_ids_change_nothing(computed: list) -> None:
    # a family with no version yet (nothing ingested) still gets its card, once
    tiles, _notes, now = overview.family_cards(CTX, "", {}, card_ids("admin"), "vi")
    assert tiles == [["tiles of admin"]] and now == {"admin": 0}
    tiles, _notes, _now = overview.family_cards(CTX, "", now, card_ids("admin"), "vi")
    assert tiles == [dash.no_update]
    crafted = [{"type": "ov-tiles", "family": "no-such"}, "ov-tiles", {"family": ["ALL"]}]
    tiles, notes, now = overview.family_cards(CTX, "feedback:1", ["bad"], crafted, "vi")
    assert tiles == [dash.no_update] * 3 and notes == [dash.no_update] * 3 and now == {}
