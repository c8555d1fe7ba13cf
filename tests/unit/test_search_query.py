"""What the search box accepts, and how a plate typed in it is read (ioc/domain/search.py)."""

from __future__ import annotations

import pytest

from ioc.domain.search import MAX_QUERY, QueryError, compact_plate, parse_query, plate_readings


@pytest.mark.parametrize("typed", ["75A-123.45", "75a-123.45", "75A12345", "75 a 123 45", "75A.123.45", "75-A-123-45",
                                   "  75a_123/45 ", "７５Ａ－１２３．４５"])
def test_every_spelling_of_a_car_plate_reads_the_same(typed: str) -> None:
    assert compact_plate(typed) == "75A12345"
    # a series letter then five digits: a car's layout, or a motorbike's whose series holds a digit
    assert plate_readings(typed) == ("75A-123.45", "75-A1 2345")


@pytest.mark.parametrize(("typed", "readings"), [
    ("75A-1234", ("75A-1234",)),  # four digits: a car's layout only (a motorbike's needs five after A1)
    ("75LD-123.45", ("75LD-123.45", "75-LD 123.45")),
    ("75-B1 234.56", ("75-B1 234.56",)),  # six digits after B: only the motorbike reads it
    ("75b123456", ("75-B1 234.56",)),
    ("43A99999", ("43A-999.99", "43-A9 9999")),
])
def test_plate_readings(typed: str, readings: tuple[str, ...]) -> None:
    assert plate_readings(typed) == readings


@pytest.mark.parametrize("typed", ["PA-2026-0001", "10A-123.45", "75", "7A-123.45", "75A-12", "HS-000123", "",
                                   "75A-123.456789", "Lê Lợi"])
def test_what_is_not_a_plate_has_no_reading(typed: str) -> None:
    assert plate_readings(typed) == ()


def test_a_query_is_an_id_and_a_store_key() -> None:
    q = parse_query("  hue_s/PA-2026-0001 ")
    assert q.text == "hue_s/PA-2026-0001"
    assert q.ids == ((None, "hue_s/PA-2026-0001"), ("hue_s", "PA-2026-0001"))
    assert not q.is_plate
    assert parse_query("camera-platform|V-1").ids == ((None, "camera-platform|V-1"), ("camera-platform", "V-1"))
    assert parse_query("/V-1").ids == ((None, "/V-1"),)  # no source: only the text as a whole


def test_a_plate_query_is_also_an_id() -> None:
    q = parse_query("75A12345")
    assert (q.ids, q.plates, q.is_plate) == (((None, "75A12345"),), ("75A-123.45", "75-A1 2345"), True)


def test_combining_accents_are_composed() -> None:
    assert parse_query("Hue\u0301-1").text == "Hué-1"


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "empty"), ("   ", "empty"), (None, "empty"), (42, "empty"),
    ("x" * (MAX_QUERY + 1), "too_long"), ("PA\n1", "control"), ("PA\t1", "control"), ("PA\x001", "control"),
])
def test_bad_queries_say_why(typed: object, reason: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(typed)
    assert caught.value.reason == reason


def test_the_longest_query_is_taken_and_too_long_for_an_id_it_is_a_key_only() -> None:
    q = parse_query("s/" + "x" * 128)
    assert q.ids == (("s", "x" * 128),)
    assert parse_query("x" * MAX_QUERY).ids == ()
