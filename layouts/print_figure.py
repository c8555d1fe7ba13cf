"""Charts as PNG for print and reports, rendered on the server with kaleido (pure but for the
render: a figure in, PNG bytes out).

:func:`print_version` turns a dashboard figure (dark operations template, see
:mod:`layouts.figures`) into a copy in a light print theme: white paper, dark text, grid lines
in light grey, and every colour the dark theme drew light (text, lines, markers, outlines)
darkened until it stands out on white (contrast ≥ 4.5:1 for text, ≥ 3:1 for lines and marks,
as WCAG asks), its hue kept so a legend still means the same. Dark fills that stood for the
card's background (the gaps between pie slices, the boxes behind labels) become white. Text
drawn inside bars or heatmap cells keeps its colour: it was chosen against the bar, not the
page. The copy gets the title, the subtitle (period and units), the source line and, for
simulated data, a "SỐ LIỆU MÔ PHỎNG" / "SIMULATED DATA" mark in the corner and across the plot
(a cropped image still says it). The caller's figure is never changed.

:func:`figure_png` renders it with kaleido 1.x, which drives a headless Chromium over the
DevTools protocol (choreographer). No browser is downloaded: the machine's Chromium is used,
``BROWSER_PATH`` if set, else the first of ``chromium`` / ``chromium-browser`` /
``google-chrome`` on the PATH, else ``/usr/bin/chromium``. Chromium is started on the first
PNG and kept running: the first image takes seconds, the next
ones a fraction of one (see :class:`WarmRenderer`; threads of a gunicorn worker share it).
"""

from __future__ import annotations

import asyncio
import atexit
import colorsys
import os
import re
import shutil
import threading
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from ioc.i18n import t
from layouts.figures import FONT, MUTED, TARGET, TEXT, plotly_text

PAPER = "#ffffff"
INK = "#111827"  # titles, axis labels
INK_MUTED = "#4b5563"  # subtitle, source line, legends
GRID_LIGHT = "#e5e7eb"
AXIS_LINE = "#9ca3af"
SIMULATED_RED = "#b91c1c"
TEXT_CONTRAST, MARK_CONTRAST = 4.5, 3.0  # WCAG: text, and graphical objects, against white
MIN_SIZE, MAX_SIZE = 200, 4000  # pixels, each side

#: The light print template, registered once with Plotly under this name.
PRINT_TEMPLATE = "ioc-print"
pio.templates[PRINT_TEMPLATE] = go.layout.Template(layout=go.Layout(
    paper_bgcolor=PAPER,
    plot_bgcolor=PAPER,
    font=dict(family=FONT, color=INK, size=15),
    colorway=["#1d4ed8", "#0369a1", "#6d28d9", "#047857", "#be185d", "#b45309", "#475569"],
    xaxis=dict(gridcolor=GRID_LIGHT, linecolor=AXIS_LINE, zerolinecolor=GRID_LIGHT, tickcolor=AXIS_LINE,
               automargin=True),
    yaxis=dict(gridcolor=GRID_LIGHT, linecolor=AXIS_LINE, zerolinecolor=GRID_LIGHT, tickcolor=AXIS_LINE,
               automargin=True),
    legend=dict(bgcolor="rgba(255,255,255,0)", font=dict(color=INK_MUTED)),
))

_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


def figure_png(fig: go.Figure, *, title: str, subtitle: str, source: str, simulated: bool, lang: str,
               width: int = 1600, height: int = 900) -> bytes:
    """``fig`` as a PNG of ``width`` × ``height`` pixels in the print theme, with ``title``,
    ``subtitle`` (period and units), ``source`` and the simulated mark when ``simulated``.
    Raises ``ValueError`` for a size outside 200–4000 px or an unknown language, and
    ``RuntimeError`` when no Chromium can be found or the render fails."""
    printable = print_version(fig, title=title, subtitle=subtitle, source=source, simulated=simulated, lang=lang,
                              width=width, height=height)
    return render_png(printable, width, height)


def print_version(fig: go.Figure, *, title: str, subtitle: str, source: str, simulated: bool, lang: str,
                  width: int = 1600, height: int = 900) -> go.Figure:
    """A copy of ``fig`` in the light print theme with its title, subtitle, source line and
    simulated mark (see the module doc); ``fig`` itself is left as it was."""
    if lang not in ("vi", "en"):
        raise ValueError(f"lang {lang!r} is not one of vi, en")
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or not MIN_SIZE <= value <= MAX_SIZE:
            raise ValueError(f"{name} {value!r} must be a whole number of pixels from {MIN_SIZE} to {MAX_SIZE}")
    spec = fig.to_dict()  # a deep copy: the caller's figure is never touched
    layout = spec.setdefault("layout", {})
    layout.pop("template", None)
    for trace in spec.get("data", []):
        _recolour_trace(trace)
    _recolour(layout, ())
    scale = height / 900
    top, bottom = round(150 * scale), round(90 * scale)
    margin = layout.get("margin") or {}
    layout.update(
        template=PRINT_TEMPLATE, paper_bgcolor=PAPER, plot_bgcolor=PAPER, width=width, height=height, autosize=False,
        margin=dict(l=max(int(margin.get("l") or 0), round(40 * scale)), r=max(int(margin.get("r") or 0),
                    round(40 * scale)), t=top, b=bottom, pad=0),
        title=dict(text=f"<b>{plotly_text(title)}</b>", xref="container", x=0.025, xanchor="left", yref="container",
                   y=1 - 22 * scale / height, yanchor="top", font=dict(family=FONT, size=max(18, round(28 * scale)),
                                                                            color=INK),
                   subtitle=dict(text=plotly_text(subtitle), font=dict(family=FONT, size=max(13, round(17 * scale)),
                                                                       color=INK_MUTED))),
    )
    notes = list(layout.get("annotations") or [])
    notes.append(dict(text=plotly_text(t("print_source", lang, source=source)), showarrow=False, xref="paper", x=0,
                      xanchor="left", yref="paper", y=0, yanchor="bottom", yshift=-(bottom - round(14 * scale)),
                      font=dict(family=FONT, size=max(12, round(14 * scale)), color=INK_MUTED), align="left"))
    if simulated:
        mark = plotly_text(t("print_simulated_mark", lang))
        notes.append(dict(text=f"<b>{mark}</b>", showarrow=False, xref="paper", x=1, xanchor="right", yref="paper",
                          y=1, yanchor="top", yshift=top - round(20 * scale), bgcolor="#fef2f2",
                          bordercolor=SIMULATED_RED, borderwidth=2, borderpad=round(6 * scale),
                          font=dict(family=FONT, size=max(13, round(18 * scale)), color=SIMULATED_RED)))
        notes.append(dict(text=f"<b>{mark}</b>", showarrow=False, xref="paper", x=0.5, yref="paper", y=0.5,
                          textangle=-18, opacity=0.12, font=dict(family=FONT, size=round(96 * scale),
                                                                 color=SIMULATED_RED)))
    layout["annotations"] = notes
    return go.Figure(spec)


def render_png(fig: go.Figure, width: int, height: int) -> bytes:
    """``fig`` rendered by kaleido in the kept-warm Chromium, as PNG bytes of width × height px."""
    png = _renderer.render(fig, dict(format="png", width=width, height=height, scale=1))
    if not png.startswith(b"\x89PNG"):
        raise RuntimeError("kaleido returned something that is not a PNG")
    return png


class WarmRenderer:
    """One kaleido (one Chromium) kept open on its own event loop in a daemon thread.

    Rather than ``kaleido.start_sync_server``: its calls wait without a time limit, and if
    Chromium fails to start or dies the next call waits for ever; here a call waits at most
    :data:`RENDER_TIMEOUT_S`, and a failed start or render closes the browser, so the next PNG
    starts a new one. Calls are serialised: kaleido's tab answers one figure at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None

    def render(self, fig: go.Figure, opts: dict[str, Any]) -> bytes:
        with self._lock:
            try:
                kaleido = self._open()
                return self._run(kaleido.calc_fig(fig, opts=opts), RENDER_TIMEOUT_S)
            except Exception as exc:  # kaleido's own errors, a timeout, a dead Chromium
                self._close()
                if isinstance(exc, RuntimeError) and "Chromium" in str(exc):
                    raise
                raise RuntimeError(f"kaleido could not render the PNG: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._close()

    def _open(self) -> Any:
        if self._kaleido is not None and self._thread is not None and self._thread.is_alive():
            return self._kaleido
        self._close()
        import kaleido

        path = browser_path()
        os.environ.setdefault("BROWSER_PATH", path)  # choreographer's own look-ups agree with ours

        async def start() -> Any:
            browser = kaleido.Kaleido(n=1, path=path, timeout=RENDER_TIMEOUT_S)
            await browser.open()
            return browser

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
        self._thread.start()
        self._kaleido = self._run(start(), START_TIMEOUT_S)
        return self._kaleido

    def _run(self, coroutine: Any, timeout: float) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=timeout)

    def _close(self) -> None:
        loop, thread, browser = self._loop, self._thread, self._kaleido
        self._loop = self._thread = self._kaleido = None
        if loop is None:
            return
        if browser is not None and thread is not None and thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(browser.close(), loop).result(timeout=10)
            except Exception:  # noqa: BLE001  (closing a browser that is already gone)
                pass
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=10)


START_TIMEOUT_S = 60.0  # a cold Chromium on a busy 2-core machine takes 5–10 s
RENDER_TIMEOUT_S = 30.0
_renderer = WarmRenderer()
atexit.register(_renderer.close)


def browser_path() -> str:
    """The Chromium kaleido drives: ``BROWSER_PATH``, else the first browser on the PATH, else
    Debian's ``/usr/bin/chromium``; ``RuntimeError`` if it is not an executable file."""
    path = os.environ.get("BROWSER_PATH") or next(
        (found for name in _BROWSER_NAMES if (found := shutil.which(name))), "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(f"no Chromium at {path!r} for PNG exports: install chromium or set BROWSER_PATH")
    return path


# --- colours ---------------------------------------------------------------------------------

_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_RGB = re.compile(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)")
_NAMED = {"white": (255, 255, 255), "black": (0, 0, 0)}
_BACKGROUND_KEYS = {"paper_bgcolor", "plot_bgcolor", "bgcolor"}
_GRID_KEYS = {"gridcolor", "zerolinecolor"}
_AXIS_KEYS = {"linecolor", "tickcolor"}
#: the dark theme's own text colours, and what they print as
_THEME_INK = {TEXT.lower(): INK, TARGET.lower(): INK, MUTED.lower(): INK_MUTED}
_SKIP_KEYS = {"colorscale", "colorway", "template"}


def parse_colour(colour: str) -> tuple[float, float, float, float] | None:
    """(r, g, b, alpha) of a CSS colour written as hex, rgb() or rgba(); None for anything else."""
    text = colour.strip().lower()
    if text in _NAMED:
        return (*_NAMED[text], 1.0)
    if match := _HEX.fullmatch(text):
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), 1.0
    if match := _RGB.fullmatch(text):
        r, g, b, a = match.groups()
        return float(r), float(g), float(b), 1.0 if a is None else float(a)
    return None


def _css(r: float, g: float, b: float, a: float) -> str:
    if a >= 1:
        return f"#{round(r):02x}{round(g):02x}{round(b):02x}"
    return f"rgba({round(r)},{round(g)},{round(b)},{a:g})"


def luminance(r: float, g: float, b: float) -> float:
    """WCAG relative luminance of an sRGB colour (0 black … 1 white)."""
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_on_white(r: float, g: float, b: float) -> float:
    """WCAG contrast ratio of the colour against white (1 … 21)."""
    return 1.05 / (luminance(r, g, b) + 0.05)


def darkened(colour: str, ratio: float) -> str:
    """``colour`` with its lightness lowered (hue and alpha kept) until its contrast against
    white is at least ``ratio``; colours that already reach it, and non-colours, unchanged."""
    parsed = parse_colour(colour)
    if parsed is None:
        return colour
    r, g, b, a = parsed
    if contrast_on_white(r, g, b) >= ratio:
        return colour
    h, lightness, s = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    while lightness > 0:
        lightness = max(0.0, lightness - 0.02)
        r, g, b = (c * 255 for c in colorsys.hls_to_rgb(h, lightness, s))
        if contrast_on_white(r, g, b) >= ratio:
            break
    return _css(r, g, b, a)


def _dark(colour: str) -> bool:
    parsed = parse_colour(colour)
    return parsed is not None and parsed[3] > 0 and luminance(*parsed[:3]) < 0.2


def _light_to_white(colour: str) -> str:
    """A dark background (the dark theme's card) as white, its transparency kept."""
    if not _dark(colour):
        return colour
    alpha = parse_colour(colour)[3]  # type: ignore[index]
    return _css(255, 255, 255, alpha)


def _recolour_trace(trace: dict[str, Any]) -> None:
    kind = trace.get("type", "scatter")
    position = trace.get("textposition")
    inside = kind in ("heatmap", "pie", "treemap", "sunburst", "funnelarea", "icicle") or (
        kind in ("bar", "funnel", "waterfall") and position in (None, "inside", "auto"))
    # text inside bars and cells keeps the colour chosen against the bar or cell
    _recolour(trace, (), keep=("insidetextfont", *(("textfont",) if inside else ())))


def _recolour(node: Any, path: tuple[str, ...], keep: tuple[str, ...] = ()) -> Any:
    """Walk a figure's dict, changing colours in place by what they paint (see the module doc)."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if key in _SKIP_KEYS or key in keep:
                continue
            if isinstance(value, dict | list):
                _recolour(value, (*path, key))
            elif isinstance(value, str):
                node[key] = _colour_for((*path, key), value)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict | list):
                _recolour(value, path)
            elif isinstance(value, str) and path and path[-1] in ("color", "colors"):
                node[i] = _colour_for(path, value)
    return node


def _colour_for(path: tuple[str, ...], value: str) -> str:
    key = path[-1]
    if key in _BACKGROUND_KEYS:
        return _light_to_white(value)
    if key in _GRID_KEYS:
        return GRID_LIGHT if parse_colour(value) is not None and not _is_light(value) else value
    if key in _AXIS_KEYS:
        return AXIS_LINE if _dark(value) else value
    if key not in ("color", "colors", "fillcolor", "bordercolor", "fgcolor", "outlinecolor"):
        return value
    if key != "fillcolor" and value.lower() in _THEME_INK:
        return _THEME_INK[value.lower()]
    if "marker" in path and "line" in path and _dark(value):
        return PAPER  # the gaps the dark theme drew between slices and bars in the card's colour
    if key == "fillcolor":
        parsed = parse_colour(value)
        if parsed is not None and parsed[3] < 1 and luminance(*parsed[:3]) > 0.5:
            return _css(100, 116, 139, parsed[3])  # a light veil on dark paper: a slate veil on white
        return value
    return darkened(value, TEXT_CONTRAST if "font" in path or "textfont" in path else MARK_CONTRAST)


def _is_light(colour: str) -> bool:
    parsed = parse_colour(colour)
    return parsed is not None and luminance(*parsed[:3]) > 0.6
