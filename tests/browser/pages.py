"""Reading the dashboard from the browser: KPI tiles, grid rows, numbers as each language
writes them, and the comparison of tiles with ``python -m ioc kpi feedback --json``."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page

HUE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NBSP = "\u00a0"
COUNT_KPIS = ("received", "processed", "overdue")
# The tiles each page shows (layouts/feedback.py TILE_KEYS, layouts/overview.py OVERVIEW_TILES).
FEEDBACK_TILES = ("received", "processed_rate", "on_time_rate", "overdue", "satisfaction_rate", "rated_share",
                  "median_resolution_hours", "p90_resolution_hours")
OVERVIEW_TILES = ("received", "processed_rate", "on_time_rate", "satisfaction_rate", "overdue")
RATE_KPIS = ("processed_rate", "on_time_rate", "satisfaction_rate", "rated_share")
HOUR_KPIS = ("median_resolution_hours", "p90_resolution_hours")


def hue_today() -> date:
    return datetime.now(HUE_TZ).date()


def dmy(day: date) -> str:
    """A date as the dashboard writes it: 26/11/2026."""
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class TileReading:
    key: str
    raw: str | None      # the data-value attribute (repr of the KPI value; "" when there is none)
    state: str | None
    label: str
    text: str            # the shown value, e.g. "96,2 %"
    sub: str


_READ_TILES = """(sel) => Array.from(document.querySelectorAll(sel + ' .tile[data-kpi]')).map(e => ({
    key: e.getAttribute('data-kpi'), raw: e.getAttribute('data-value'), state: e.getAttribute('data-state'),
    label: (e.querySelector('.tile-label') || {}).textContent || '',
    text: (e.querySelector('.tile-value') || {}).textContent || '',
    sub: (e.querySelector('.tile-sub') || {}).textContent || ''}))"""


def read_tiles(page: Page, container: str) -> dict[str, TileReading]:
    """Every KPI tile in ``container``, read in one go (an atomic snapshot of the DOM)."""
    return {t["key"]: TileReading(**t) for t in page.evaluate(_READ_TILES, container)}


def wait_tiles_loaded(page: Page, container: str, keys: tuple[str, ...], timeout_ms: float = 20_000) -> None:
    """Until the placeholders (no data-value) are replaced by the computed tiles."""
    page.wait_for_function(
        """([sel, n]) => { const t = document.querySelectorAll(sel + ' .tile[data-kpi]');
            return t.length === n && Array.from(t).every(e => e.hasAttribute('data-value')); }""",
        arg=[container, len(keys)], timeout=timeout_ms)


def parse_vi_int(text: str) -> int:
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", text), f"not a Vietnamese whole number: {text!r}"
    return int(text.replace(".", ""))


def vi_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def en_int(n: int) -> str:
    return f"{n:,}"


def processed_from_sub(tile: TileReading) -> tuple[int, int]:
    """(processed, received) from the Vietnamese sub-line of the processed tile: "1.874 / 1.949 phản ánh"."""
    m = re.fullmatch(r"([\d.]+) / ([\d.]+) phản ánh", tile.sub)
    assert m, f"unexpected processed sub-line {tile.sub!r}"
    return parse_vi_int(m.group(1)), parse_vi_int(m.group(2))


def _same(raw: str | None, expected: Any) -> bool:
    if raw is None:
        return False
    if expected is None:
        return raw == ""
    if isinstance(expected, bool) or raw == "":
        return False
    if isinstance(expected, int):
        return raw == str(expected)
    try:
        return abs(float(raw) - float(expected)) <= 1e-9
    except ValueError:  # e.g. "np.float64(0.5)": the attribute must hold a plain number
        return False


def tile_problems(tiles: dict[str, TileReading], keys: tuple[str, ...], candidates: list[dict[str, Any]],
                  vi: bool = True) -> list[str]:
    """What differs between the tiles and every CLI answer in ``candidates`` (empty: they agree)."""
    problems = []
    if tuple(sorted(tiles)) != tuple(sorted(keys)):
        problems.append(f"tiles shown {sorted(tiles)} != expected {sorted(keys)}")
    for key in keys:
        tile = tiles.get(key)
        if tile is None:
            continue
        if not any(_same(tile.raw, c[key]) for c in candidates):
            problems.append(f"{key}: tile data-value {tile.raw!r}, CLI {[c[key] for c in candidates]}")
    if vi and "processed_rate" in tiles:
        processed, received = processed_from_sub(tiles["processed_rate"])
        if not any(c["processed"] == processed and c["received"] == received for c in candidates):
            problems.append(f"processed/received on the tile {processed}/{received}, CLI "
                            f"{[(c['processed'], c['received']) for c in candidates]}")
    return problems


def tiles_match_cli(page: Page, app: Any, container: str, keys: tuple[str, ...], start: date | None = None,
                    end: date | None = None, timeout_s: float = 25.0, vi: bool = True,
                    **filters: str | None) -> tuple[dict[str, TileReading], dict[str, Any]]:
    """Read the tiles between two CLI runs for the same period and filters and require each
    tile to equal one of the two answers (the live feed and the clock may move a figure in
    between: a report closes, a deadline passes). Retries until ``timeout_s`` so a tile that
    is still being refreshed gets its chance; returns the tiles and the CLI answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        before = app.kpis(start, end, **filters)
        tiles = read_tiles(page, container)
        after = app.kpis(start, end, **filters)
        problems = tile_problems(tiles, keys, [before, after], vi)
        if not problems:
            return tiles, after
        if time.monotonic() > deadline:
            raise AssertionError(f"KPI tiles in {container} differ from `python -m ioc kpi feedback` "
                                 f"(from={start} to={end} {filters}):\n" + "\n".join(problems))
        time.sleep(0.5)


def check_pct_text(tile: TileReading, lang: str) -> None:
    """A rate tile's shown text is its data-value as a percentage in the language's format."""
    pattern = r"(\d+),(\d{1,2})\u00a0%" if lang == "vi" else r"(\d+)\.(\d{1,2})%"
    m = re.fullmatch(pattern, tile.text)
    assert m, f"{tile.key}: {tile.text!r} is not a {lang} percentage"
    shown = float(f"{m.group(1)}.{m.group(2)}")
    assert abs(shown - float(tile.raw) * 100) <= 0.5 * 10 ** -len(m.group(2)) + 1e-9, (tile.text, tile.raw)


def check_hours_text(tile: TileReading, lang: str) -> None:
    pattern = r"(\d{1,3}(?:\.\d{3})*),(\d)\u00a0giờ" if lang == "vi" else r"(\d{1,3}(?:,\d{3})*)\.(\d)\u00a0h"
    m = re.fullmatch(pattern, tile.text)
    assert m, f"{tile.key}: {tile.text!r} is not hours written in {lang}"
    shown = float(re.sub(r"[.,]", "", m.group(1)) + "." + m.group(2))
    assert abs(shown - float(tile.raw)) <= 0.05 + 1e-9, (tile.text, tile.raw)


_GRID_ROWS = """(col) => Array.from(document.querySelectorAll('#fb-overdue-grid .ag-center-cols-container .ag-row'))
    .map(r => [Number(r.getAttribute('row-index')), (r.querySelector('[col-id="' + col + '"]') || {}).textContent])
    .sort((a, b) => a[0] - b[0]).map(p => p[1])"""


def grid_column(page: Page, col_id: str) -> list[str]:
    """The shown texts of one overdue-grid column, in display order (this page of the grid)."""
    return page.evaluate(_GRID_ROWS, col_id)


def parse_local(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M")


def hue_newest_iso() -> str:
    """A time for a report that must stay among the Overview's latest (its list holds the 12
    newest) while the live simulator adds reports "now" around it: up to 20 minutes ahead (within
    the 1-day clock-skew tolerance of imports), but never past today in Huế (the list shows the
    last 30 local days)."""
    now = datetime.now(HUE_TZ)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=HUE_TZ)
    return hue_local_iso(max(timedelta(0), min(timedelta(minutes=20), midnight - now - timedelta(minutes=1))))


def hue_local_iso(delta: timedelta = timedelta(0)) -> str:
    """Now (+ delta) in Huế, ISO 8601 with its offset: what a CSV import converts to UTC."""
    return (datetime.now(HUE_TZ) + delta).replace(microsecond=0).isoformat()
