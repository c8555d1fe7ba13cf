"""Charts rendered to PNG by kaleido in the machine's Chromium (layouts/print_figure.py): a real
PNG of the size asked, on white, with dark text, the chart's colours and, for simulated data,
the red mark. The PNG is decoded here (zlib and the five PNG filters) to look at its pixels."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pandas as pd
import pytest

from layouts.figures import breakdown_figure
from layouts.print_figure import figure_png


def decode_png(png: bytes) -> np.ndarray:
    """An 8-bit RGB or RGBA PNG (not interlaced) as an array of shape (height, width, channels)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert (depth, interlace) == (8, 0) and colour in (2, 6), header
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + width * bpp)
    out = np.zeros((height, width * bpp), dtype=np.int32)
    prior = np.zeros(width * bpp, dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 0:
            row = line
        elif kind == 1:  # Sub: a running sum per channel
            row = np.cumsum(line.reshape(width, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:  # Up
            row = (line + prior) % 256
        else:  # Average, Paeth: pixel by pixel
            row = np.zeros_like(line)
            for x in range(len(line)):
                a = row[x - bpp] if x >= bpp else 0
                b, c = prior[x], (prior[x - bpp] if x >= bpp else 0)
                if kind == 3:
                    row[x] = (line[x] + (a + b) // 2) % 256
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    row[x] = (line[x] + pred) % 256
        out[y], prior = row, row
    return out.reshape(height, width, bpp)[:, :, :3].astype(np.uint8)


@pytest.fixture(scope="module")
def chart():  # noqa: ANN201
    frame = pd.DataFrame({"label": ["Hạ tầng", "Môi trường", "Trật tự đô thị"], "received": [320, 210, 95],
                          "processed_rate": [0.9, 0.8, 0.7], "on_time_rate": [0.95, 0.85, 0.75],
                          "satisfaction_rate": [0.9, 0.92, 0.88]})
    return breakdown_figure(frame, "vi")


@pytest.mark.parametrize("simulated", [True, False])
def test_png_has_the_size_asked_and_shows_the_chart_on_white(chart, simulated: bool) -> None:  # noqa: ANN001
    png = figure_png(chart, title="Phản ánh theo lĩnh vực", subtitle="01/11/2026 – 30/11/2026 · số phản ánh",
                     source="mô phỏng", simulated=simulated, lang="vi", width=640, height=360)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (640, 360)
    pixels = decode_png(png).reshape(-1, 3).astype(int)
    white = (pixels >= 250).all(axis=1).mean()
    assert 0.5 < white < 0.98  # a white page with something drawn on it
    dark_text = (pixels.max(axis=1) < 80).sum()
    bars = ((abs(pixels - (59, 130, 246))).sum(axis=1) < 30).sum()  # the bars' #3b82f6
    red = ((pixels[:, 0] > 150) & (pixels[:, 1] < 80) & (pixels[:, 2] < 80)).sum()  # the mark's #b91c1c
    assert dark_text > 200 and bars > 5_000
    assert (red > 200) if simulated else (red == 0)
    assert len({tuple(p) for p in pixels[::7]}) > 20  # text edges, bars, grid: many colours
