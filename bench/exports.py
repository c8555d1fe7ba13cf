"""Time and memory of the printed exports: an XLSX of N rows, and a chart as PNG (cold and warm).

    .venv/bin/python bench/exports.py [--rows 100000] [--png-repeat 5] [--skip-png]

The XLSX is written from a frame shaped like the feedback reports' export (``layouts.exports.
reports_export``: 15 columns, citizen text, local times as ``dd/mm/yyyy HH:MM`` text, codes,
coordinates, a rate), made up with a fixed seed. CPU time is printed beside the wall time: on a busy machine
the wall time measures the neighbours too. The peak memory is the process's peak resident
set (interpreter, pandas and the frame included) and the extra Python allocations of the call
(tracemalloc, on a second run: tracing slows it). The PNG is the feedback trend chart of a
simulated year through ``layouts.print_figure.figure_png``: the first call starts Chromium (cold),
the next ones reuse it (warm). Targets: XLSX of 100,000 rows ≤ 10 s and ≤ 300 MB; a PNG ≤ 2 s warm.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd
from common import TZ  # noqa: F401  (puts the project on sys.path)

from layouts.xlsx import xlsx_bytes

WORDS = ("đường", "hư hỏng", "rác", "thải", "chiếu sáng", "ngập", "nước", "cây", "đổ", "lấn chiếm", "vỉa hè",
         "ồn ào", "=SUM(A1)", "-", "kiệt", "phường", "Phú Xuân", "Thuận Hóa", "Hương Thủy")


def reports_frame(rows: int, seed: int = 16) -> pd.DataFrame:
    """``rows`` made-up report rows with the columns and kinds of the reports' export."""
    rng = np.random.default_rng(seed)
    received = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, rows), unit="min")
    due = received + pd.to_timedelta(rng.integers(1, 15, rows), unit="D")
    words = np.array(WORDS, dtype=object)
    descriptions = [" ".join(words[rng.integers(0, len(WORDS), 14)]) for _ in range(rows)]
    cats = np.array(["Hạ tầng đô thị", "Môi trường", "Trật tự đô thị", "Giao thông", "An ninh"], dtype=object)
    status = np.array(["Đang xử lý", "Đã xử lý", "Quá hạn", "Từ chối"], dtype=object)
    units = np.array(["Phường Phú Xuân", "Phường Thuận Hóa", "Xã Phú Vang", "Phường Hương Thủy"], dtype=object)
    return pd.DataFrame({
        "Mã": [f"PA-{i:07d}" for i in range(rows)],
        "Lĩnh vực": cats[rng.integers(0, len(cats), rows)],
        "Trạng thái": status[rng.integers(0, len(status), rows)],
        "Đơn vị": units[rng.integers(0, len(units), rows)],
        "Mã đơn vị": rng.integers(19700, 19900, rows).astype(str),
        "Xã/phường": units[rng.integers(0, len(units), rows)],
        "Đơn vị xử lý": units[rng.integers(0, len(units), rows)],
        "Thời điểm nhận": received.strftime("%d/%m/%Y %H:%M"),
        "Hạn xử lý": due.strftime("%d/%m/%Y %H:%M"),
        "Địa chỉ": [f"{n} Lê Lợi" for n in rng.integers(1, 300, rows)],
        "Nội dung": descriptions,
        "Số ngày quá hạn": np.round(rng.exponential(2.0, rows), 2),
        "Vĩ độ": np.round(16.46 + rng.normal(0, 0.03, rows), 5),
        "Kinh độ": np.round(107.59 + rng.normal(0, 0.03, rows), 5),
        "on_time_rate": rng.random(rows),
    })


def bench_xlsx(rows: int) -> None:
    frame = reports_frame(rows)
    meta = {"Kỳ": "2025-01-01 – 2025-12-31", "Nguồn": "bench", "Số liệu mô phỏng": True}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start, cpu = time.perf_counter(), time.process_time()
    body = xlsx_bytes(frame, meta, "vi", "Phản ánh")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    xlsx_bytes(frame, meta, "vi", "Phản ánh")
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"XLSX {rows:,} rows × {frame.shape[1]} columns: {seconds:5.2f} s (CPU {cpu:5.2f} s), {len(body) / 1e6:5.1f} MB file; "
          f"process peak RSS {rss_after:5.0f} MB (before the call {rss_before:.0f} MB), "
          f"Python allocations of the call peak {traced_peak / 1e6:5.0f} MB   [targets ≤ 10 s, ≤ 300 MB]")


def bench_png(repeat: int) -> None:
    from common import YEAR_END, YEAR_START, simulated_year

    from layouts.figures import trend_figure
    from layouts.print_figure import figure_png

    year = simulated_year(20_000)
    year["bucket"] = pd.to_datetime(year["received_at"]).dt.to_period("W").dt.start_time
    series = year.groupby("bucket").agg(received=("external_id", "size")).reset_index()
    series["satisfaction_rate"] = 0.9 + 0.05 * np.sin(np.arange(len(series)) / 5)
    series["on_time_rate"] = 0.95 - 0.03 * np.cos(np.arange(len(series)) / 7)
    fig = trend_figure(series, 0.9, "vi", "week", span=(YEAR_START, YEAR_END))
    kwargs = dict(title="Phản ánh hiện trường: xu hướng", subtitle="01/01/2025 – 31/12/2025 · số phản ánh, %",
                  source="Nguồn: mô phỏng", simulated=True, lang="vi")
    start = time.perf_counter()
    body = figure_png(fig, **kwargs)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeat):
        start = time.perf_counter()
        figure_png(fig, **kwargs)
        warm.append(time.perf_counter() - start)
    print(f"PNG 1600×900 ({len(body) / 1e3:.0f} kB): cold {cold:5.2f} s (starts Chromium), warm median "
          f"{float(np.median(warm)):5.2f} s, best {min(warm):5.2f} s over {repeat}   [target ≤ 2 s warm]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--png-repeat", type=int, default=5)
    parser.add_argument("--skip-png", action="store_true")
    args = parser.parse_args()
    bench_xlsx(args.rows)
    if not args.skip_png:
        bench_png(args.png_repeat)


if __name__ == "__main__":
    main()
