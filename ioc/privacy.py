"""Personal data at the boundary: the one place that decides what of a citizen's data is shown.

Personal data under Decree 13/2023/NĐ-CP that the store holds:

- **plates** of traffic violations (``plate_raw``, ``plate``): shown as ``75A-123.**``;
- **citizens' free text** (feedback descriptions and addresses, traffic reports' descriptions,
  addresses and notes): phone numbers, e-mail addresses and plates written inside the text are
  masked; the rest of the text stays readable (it is what the operators work with).

Every function takes ``reveal``: whether the viewer has the right to see the data unmasked
(today ``settings.show_plates`` for plates and ``False`` for text; the sign-in work passes the
role's right). Pages, map popups, grids, CSV/XLSX exports, the CLI and logs all go through
here, so one rule holds everywhere.

Text is normalised before it is searched: NFKC (fullwidth ``７５Ａ－１２３．４５`` becomes
``75A-123.45``, ``＠`` becomes ``@``) and then every Unicode decimal digit NFKC leaves alone
(Arabic-Indic ``٧٥``, Devanagari, Thai…) becomes its ASCII digit, so a digit form cannot slip a
number past the patterns. Masked text is returned in that normalised form; revealed text is
returned exactly as stored.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ioc.domain.traffic import parse_plate

MASK = "*"

#: columns of citizens' free text, in any family's frames (masked by :func:`mask_frame`)
FREE_TEXT_COLUMNS = ("description", "address", "note")
#: plate columns of a traffic frame (masked by :func:`mask_frame` unless plates are revealed)
PLATE_COLUMNS = ("plate_raw", "plate")

#: how many leading digits of a phone number stay visible (the network or area code: not personal)
PHONE_VISIBLE_DIGITS = 3

# A Vietnamese phone number: national (0…) or international (+84 / 84) prefix, then digits with at
# most one separator (space, dot, dash) between any two, and the area code optionally in
# parentheses: 0905 123 456, 0905.123.456, +84 905123456, 0234.3822.123, (0234) 3822 123.
# The digit count is checked afterwards (:func:`_is_phone`), so amounts and dates are left alone.
_PHONE_RE = re.compile(
    r"(?<![\w+])"
    r"(?:\(\s?(?:\+?84|0)\d{1,3}\s?\)|\+?84|0)"
    r"(?:[ .\-]?\(?\d\)?){7,11}"
    r"(?!\d)"
)
_EMAIL_RE = re.compile(r"(?<![\w.+\-])([\w.+\-]+)@([\w\-]+(?:\.[\w\-]+)+)")
# A plate written inside text: province code, series, number, with the usual separators. The
# candidate is confirmed by the plate parser before it is masked.
_PLATE_IN_TEXT_RE = re.compile(
    r"(?<![\w.])\d{2}[ \-]?[A-ZĐ][A-ZĐ0-9]?[ \-.]?\d{3}[ .]?\d{1,2}(?![\w])", re.IGNORECASE)


# a decimal digit other than 0-9 (``\d`` matches every Unicode decimal digit in a str pattern)
_OTHER_DIGIT_RE = re.compile(r"(?![0-9])\d")


def normalise(text: str) -> str:
    """``text`` in NFKC with every Unicode decimal digit written as an ASCII digit."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return _OTHER_DIGIT_RE.sub(lambda m: str(unicodedata.digit(m.group(0))), text)


def _text(value: Any) -> str:
    """A cell as text: ``None``, NaN and NA are empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return value if isinstance(value, str) else str(value)


# --- plates ---------------------------------------------------------------------------------


def mask_plate(text: Any, reveal: bool = False) -> str:
    """A plate as it may be shown: ``75A-123.**`` (the last two digits hidden) unless ``reveal``.

    Any digit form is read (fullwidth, Arabic-Indic…). A plate that cannot be parsed even after
    normalisation is hidden entirely: every letter and digit becomes ``*``."""
    raw = _text(text)
    if reveal or not raw:
        return raw
    normal = normalise(raw)
    plate = parse_plate(normal)
    if plate is not None:
        return plate.masked
    if _already_masked(normal):  # masked at the query, shown by a page: stays as it is
        return normal
    return "".join(MASK if ch.isalnum() else ch for ch in normal)


def _already_masked(text: str) -> bool:
    """Whether ``text`` is a plate masked by :func:`mask_plate` (``75A-123.**``)."""
    if not text.endswith(MASK * 2):
        return False
    plate = parse_plate(text[:-2] + "00")
    return plate is not None and plate.masked == text


def display_plate(raw: Any, canonical: Any, status: Any, reveal: bool) -> str:
    """A violation's plate for screens and exports: the canonical form of a valid plate (else
    what was received) when ``reveal``, else masked (:func:`mask_plate`)."""
    raw = _text(raw)
    if not raw:
        return ""
    canonical = canonical if isinstance(canonical, str) and canonical else None
    if reveal:
        return canonical if status == "valid" and canonical else raw
    return mask_plate(canonical or raw)


# --- free text ------------------------------------------------------------------------------


def _is_phone(digits: str) -> bool:
    """Whether a digit string is a Vietnamese phone number: 10 digits (mobile, 0 + 9) or 11
    (landline, 0 + area code + number), or the same with 84 instead of the leading 0."""
    if digits.startswith("0"):
        return len(digits) in (10, 11)
    if digits.startswith("84"):
        return len(digits) in (11, 12)
    return False


def _mask_phone(match: re.Match[str]) -> str:
    found = match.group(0)
    if not _is_phone(re.sub(r"\D", "", found)):
        return found
    seen, out = 0, []
    for ch in found:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= PHONE_VISIBLE_DIGITS else MASK)
        else:
            out.append(ch)
    return "".join(out)


def _mask_email(match: re.Match[str]) -> str:
    local, domain = match.group(1), match.group(2)
    return f"{local[0]}{MASK * 3}@{domain}"


def _mask_plate_in_text(match: re.Match[str]) -> str:
    found = match.group(0)
    plate = parse_plate(found)
    return found if plate is None else plate.masked


def mask_text(text: Any, reveal: bool = False) -> str:
    """Citizen's free text as it may be shown: phone numbers (``0905 *** ***`` keeps the first
    three digits), e-mail addresses (``n***@example.vn``) and plates (``75A-123.**``) inside it
    masked, unless ``reveal``. ``None``/NaN give ``''``."""
    raw = _text(text)
    if reveal or not raw:
        return raw
    out = normalise(raw)
    if "@" in out:
        out = _EMAIL_RE.sub(_mask_email, out)
    out = _PLATE_IN_TEXT_RE.sub(_mask_plate_in_text, out)
    return _PHONE_RE.sub(_mask_phone, out)


def mask_frame(frame: pd.DataFrame, *, reveal_text: bool = False, reveal_plates: bool = False,
               text_columns: Iterable[str] = FREE_TEXT_COLUMNS) -> pd.DataFrame:
    """``frame`` with its personal columns masked: the free-text ``text_columns`` unless
    ``reveal_text``; ``plate_raw`` / ``plate`` unless ``reveal_plates`` (``plate`` keeps its
    validity: a masked canonical plate where there was one, missing where there was none). Returns a
    copy; columns it lacks are skipped."""
    out = frame.copy()
    if not reveal_text:
        for col in text_columns:
            if col in out:
                values = out[col].tolist()
                masked = {v: mask_text(v) for v in set(map(_text, values))}  # each distinct text once
                out[col] = [masked[_text(v)] for v in values]
    if not reveal_plates:
        for col in PLATE_COLUMNS:
            if col in out:
                out[col] = out[col].map(lambda v: mask_plate(v) if _text(v) else v)
    return out


def hide_frame(frame: pd.DataFrame, text_columns: Iterable[str] = FREE_TEXT_COLUMNS) -> pd.DataFrame:
    """``frame`` without its personal data at all (readers who may not see it, even masked): the
    free-text columns emptied, the plate columns missing (``plate_status`` stays: it is not personal)."""
    out = frame.copy()
    for col in text_columns:
        if col in out:
            out[col] = ""
    for col in PLATE_COLUMNS:
        if col in out:
            out[col] = None
    return out


@dataclass(frozen=True)
class Exposure:
    """What one reader may see of personal data, for the queries and the shaping code:
    ``level`` is ``hidden``, ``masked`` or ``clear`` (:class:`ioc.access.Personal`)."""

    level: str
    reveal_text: bool
    reveal_plates: bool

    @classmethod
    def of(cls, level: str, show_plates: bool = False) -> Exposure:
        """For a reader at ``level``; ``show_plates`` (``IOC_SHOW_PLATES``): plates in full for
        readers who see masked data."""
        level = str(level)
        return cls(level, reveal_text=level == "clear",
                   reveal_plates=level == "clear" or (level == "masked" and show_plates))

    @property
    def hidden(self) -> bool:
        return self.level == "hidden"

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A frame the queries masked (or revealed) as :attr:`reveal_text` says, made fit for
        this reader: emptied of personal data when it is hidden to them."""
        return hide_frame(frame) if self.hidden else frame


# --- logs -----------------------------------------------------------------------------------

_LOG_MASKING = {"installed": False}


def install_log_masking() -> None:
    """Mask phones, e-mails and plates (:func:`mask_text`) in every log message of this process.

    Done in the log record factory, not in a handler's filter, so records of every logger reach
    every handler masked: gunicorn's, the CLI's ``basicConfig`` one and Python's last-resort one
    alike. The message is formatted here (``msg % args``); a record whose arguments do not fit
    its format is left as it is, so logging still reports the mistake where it happens.
    Idempotent."""
    if _LOG_MASKING["installed"]:
        return
    previous = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return record

    logging.setLogRecordFactory(masked_record)
    _LOG_MASKING["installed"] = True
