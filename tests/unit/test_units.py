"""Unit names as map labels."""

from __future__ import annotations

from ioc.domain.units import short_name


def test_short_names_drop_the_kind_of_unit_only() -> None:
    assert [short_name(n) for n in ("Thành phố Huế", "Huyện Phú Vang", "Thị xã Hương Thủy", "Xã Phú Thuận",
                                    "Phường Vĩnh Ninh", "Thị trấn Sịa", "Tỉnh Thừa Thiên Huế")] == [
        "Huế", "Phú Vang", "Hương Thủy", "Phú Thuận", "Vĩnh Ninh", "Sịa", "Thừa Thiên Huế"]
    assert short_name("Huyện ") == "Huyện "  # nothing left: keep the name
    assert short_name("Khu kinh tế Chân Mây") == "Khu kinh tế Chân Mây"
