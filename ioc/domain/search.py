"""What a search box may hold, and how a plate typed in it is read (issue #16).

Pure functions, no I/O. A query is an id of a record (a citizen's report, a traffic violation, a
dossier: the ``external_id`` its source gave, e.g. an Open311 ``service_request_id``; or the
store's key ``source/external_id``, ``source|external_id``), and it may also be a licence plate.
The same text is tried as both: ``75A12345`` is not likely an id, but nothing forbids one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ioc.domain.traffic import parse_plate

#: the longest query taken, in characters (an ``external_id`` holds at most 128; a store key
#: ``source/external_id`` at most 64 + 1 + 128)
MAX_QUERY = 200
#: the store's lengths of ``source`` and ``external_id``
MAX_SOURCE, MAX_EXTERNAL_ID = 64, 128
# what may stand between the parts of a plate (as the plate parser accepts them)
_PLATE_SEPARATORS = re.compile(r"[\s.\-_·/]+")
_KEY_SEPARATORS = ("/", "|")


class QueryError(ValueError):
    """A query that cannot be searched; ``reason`` is ``empty``, ``too_long`` or ``control``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class SearchQuery:
    """A checked query. ``ids``: (source or None, external_id) pairs to look up (the text as a
    whole, and the text split as a store key when it holds one); ``plates``: the canonical
    readings of the text as a plate (empty when it is not one)."""

    text: str
    ids: tuple[tuple[str | None, str], ...]
    plates: tuple[str, ...]

    @property
    def is_plate(self) -> bool:
        return bool(self.plates)


def parse_query(raw: object) -> SearchQuery:
    """``raw`` (what was typed) checked and read. Surrounding spaces are dropped and the text is
    put in NFC (a Vietnamese id typed with combining accents matches the stored one).

    Raises :class:`QueryError`: ``empty`` (nothing but spaces, or not text), ``too_long`` (more
    than :data:`MAX_QUERY` characters), ``control`` (a control character: a line break, a tab)."""
    if not isinstance(raw, str):
        raise QueryError("empty")
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        raise QueryError("empty")
    if len(text) > MAX_QUERY:
        raise QueryError("too_long", f"{len(text)} characters, at most {MAX_QUERY}")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise QueryError("control")
    ids: list[tuple[str | None, str]] = []
    if len(text) <= MAX_EXTERNAL_ID:
        ids.append((None, text))
    for sep in _KEY_SEPARATORS:
        source, found, external_id = text.partition(sep)
        source, external_id = source.strip(), external_id.strip()
        if found and source and external_id and len(source) <= MAX_SOURCE and len(external_id) <= MAX_EXTERNAL_ID:
            ids.append((source, external_id))
    return SearchQuery(text, tuple(dict.fromkeys(ids)), plate_readings(text))


def compact_plate(text: str) -> str:
    """``text`` in upper case without the separators a plate may be written with (spaces, dots,
    dashes, underscores, slashes): ``75a-123.45`` → ``75A12345``. Fullwidth forms are read (NFKC)."""
    return _PLATE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text).upper())


def plate_readings(text: str | None) -> tuple[str, ...]:
    """Every canonical plate ``text`` can be read as, whatever its case, spaces, dots and dashes:
    ``75a 123-45`` and ``75A12345`` → ``('75A-123.45', '75-A1 2345')`` (a car's layout, then a
    motorbike's, whose series holds a digit); ``75A1234`` → ``('75A-1234',)``. Empty when it is
    no plate at all (``PA-1``, province code 10).

    The store keeps the canonical plate its source's text was read as; a plate typed without
    separators may be read the other way, so a search matches every reading."""
    if not isinstance(text, str):
        return ()
    compact = compact_plate(text)
    if not 6 <= len(compact) <= 10 or not compact[:2].isdigit():
        return ()
    attempts = [f"{compact[:2 + k]}-{compact[2 + k:]}" for k in (1, 2)]  # car: 75A-…, 75LD-…
    attempts.append(f"{compact[:2]}-{compact[2:4]} {compact[4:]}")  # motorbike: 75-B1 …
    readings: list[str] = []
    for attempt in attempts:
        plate = parse_plate(attempt)
        if plate is not None and compact_plate(plate.canonical) == compact and plate.canonical not in readings:
            readings.append(plate.canonical)
    return tuple(readings)
