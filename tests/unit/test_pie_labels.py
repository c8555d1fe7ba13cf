"""The donut charts (feedback by channel, violations by vehicle class) on a narrow screen: a small
slice's percentage is drawn outside the ring, and at 390 px it was cut at the card's left edge
("…68%", "…78%"). The pies let their outside labels push the margins (``automargin``)."""

from __future__ import annotations

import pandas as pd

from layouts.figures import channel_figure
from layouts.traffic_figures import vehicle_figure


def test_the_feedback_channels_donut_makes_room_for_its_outside_labels() -> None:
    frame = pd.DataFrame({"key": ["hue_s", "hotline", "web", "social"],
                          "label": ["Ứng dụng Hue-S", "Đường dây nóng", "Cổng thông tin", "Mạng xã hội"],
                          "received": [790, 82, 77, 47]})
    for lang in ("vi", "en"):
        [pie] = channel_figure(frame, lang).data
        assert pie.type == "pie" and pie.automargin is True and pie.textinfo == "percent"


def test_the_vehicle_classes_donut_makes_room_for_its_outside_labels() -> None:
    frame = pd.DataFrame({"key": ["motorbike", "car", "truck", "other"], "violations": [620, 278, 84, 18]})
    for lang in ("vi", "en"):
        fig = vehicle_figure(frame, lang)
        [pie] = fig.data
        assert pie.type == "pie" and pie.automargin is True
        assert fig.layout.margin.l == 8 and fig.layout.showlegend is True  # the wide layout as it was


def test_an_empty_period_draws_no_pie() -> None:
    empty = pd.DataFrame({"key": [], "label": [], "received": [], "violations": []})
    assert all(trace.type != "pie" for trace in channel_figure(empty, "en").data)
    assert all(trace.type != "pie" for trace in vehicle_figure(empty, "vi").data)
