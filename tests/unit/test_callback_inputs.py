"""The checks a value from the browser passes before a callback uses it (callbacks.common) and
the envelope check of a callback request (callbacks.request_guard)."""

from __future__ import annotations

import pytest

from callbacks.common import MAX_COUNTER, counter, text, texts, whole_number
from callbacks.request_guard import envelope_problem, location_value


@pytest.mark.parametrize(("value", "expected"), [
    ("474", "474"), ("", ""), (None, None), (7, None), (["474"], None), ({"a": 1}, None), (True, None)])
def test_text_is_the_value_only_when_it_is_a_string(value, expected) -> None:  # noqa: ANN001
    assert text(value) == expected
    assert text(value, "d") == (expected if expected is not None else "d")


@pytest.mark.parametrize(("value", "expected"), [
    (["a", "b"], ["a", "b"]), ("a", ["a"]), (["a", 1, None, ["b"], {"c": 1}], ["a"]), (None, []), (-1, []),
    ({"a": "b"}, [])])
def test_texts_keeps_the_strings_of_a_multi_select(value, expected) -> None:  # noqa: ANN001
    assert texts(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (0, 0), (5, 5), (MAX_COUNTER - 1, MAX_COUNTER - 1), (MAX_COUNTER, 0), (-1, 0), (10**30, 0), (True, 0),
    (1.5, 0), ("3", 0), ([1], 0), (None, 0)])
def test_counter_is_a_whole_number_a_browser_keeps_exactly(value, expected) -> None:  # noqa: ANN001
    assert counter(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (1, 1), (2**63 - 1, 2**63 - 1), (2**63, None), (0, None), (-5, None), (True, None), (1.0, None), ("7", None),
    (None, None)])
def test_whole_number_is_a_database_id_or_none(value, expected) -> None:  # noqa: ANN001
    assert whole_number(value) == expected


KNOWN = {"al-who.value"}


@pytest.mark.parametrize(("body", "problem"), [
    ({"output": "al-who.value", "inputs": [{"id": "x", "property": "value", "value": 1}],
      "state": [[{"id": {"type": "t", "id": 1}, "property": "n_clicks", "value": None}]],
      "outputs": {"id": "al-who", "property": "value"}, "changedPropIds": ["x.value"]}, None),
    ([], "the body must be a JSON object"),
    ({"output": "other.value"}, "'output' must name a callback of this app"),
    ({"output": "al-who.value", "inputs": {}}, "'inputs' must be a list"),
    ({"output": "al-who.value", "state": [{"id": "x"}]}, "state: each entry must be an object with 'id' and 'property'"),
    ({"output": "al-who.value", "inputs": [{"id": None, "property": "v"}]},
     "inputs: a component id is a string or an object"),
    ({"output": "al-who.value", "outputs": 3}, "'outputs' must be an object or a list"),
    ({"output": "al-who.value", "changedPropIds": "x.value"}, "'changedPropIds' must be a list of strings"),
])
def test_envelope_problem_names_what_dash_could_not_dispatch(body, problem) -> None:  # noqa: ANN001
    assert envelope_problem(body, KNOWN) == problem


@pytest.mark.parametrize(("prop", "value", "expected"), [
    ("pathname", "/traffic", "/traffic"), ("pathname", "", "/"), ("pathname", "traffic", "/"), ("pathname", 7, "/"),
    ("pathname", None, "/"), ("search", "?lang=en", "?lang=en"), ("search", -1, ""), ("search", None, ""),
    ("hash", 7, 7)])
def test_location_value_is_a_path_and_a_query_string(prop, value, expected) -> None:  # noqa: ANN001
    assert location_value(prop, value) == expected
