"""UI strings in Vietnamese and English, and locale-aware formatting (pure, no Dash).

Every string the dashboard shows goes through :func:`t`, which reads the gettext catalogues
in ``ioc/locale/<lang>/LC_MESSAGES/<domain>.po`` (the browser gets its strings from the same
files, through ``layouts/browser.py``). Numbers, percentages, money and
times go through the ``fmt_*`` functions so Vietnamese screens read ``9.143``, ``93,8 %``,
``296.050.000 ₫`` and English ones ``9,143``, ``93.8%``, ``296,050,000 VND``. Times are
stored as naive UTC and always shown in local time (Asia/Ho_Chi_Minh by default).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from ioc.domain.feedback import CATEGORIES, CHANNEL_LABELS, RATING_LABELS, STATUS_LABELS
from ioc.kpi.periods import to_local

LANGS = ("vi", "en")
NBSP = "\u00a0"
DASH = "–"

#: ``<lang>/LC_MESSAGES/<domain>.po``: one gettext catalogue per language and domain (``core``,
#: ``alerts``, ``wall`` and one per family). msgid = the key given to :func:`t`, msgstr = the text.
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def domains(lang: str = "vi") -> tuple[str, ...]:
    """The catalogue domains present for ``lang``: discovered from the files, no list to edit."""
    return tuple(sorted(p.stem for p in (LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")))


def read_catalogue(lang: str, domain: str) -> dict[str, str]:
    """One ``.po`` file as ``{msgid: msgstr}`` (the header entry left out)."""
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
        catalog = read_po(f, locale=lang, domain=domain)
    return {message.id: message.string for message in catalog if message.id}


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every UI string in ``lang`` (vi or en), all domains merged; a key may be defined once only.

    Read from the ``.po`` files at first use: with about 500 keys that takes a few tens of
    milliseconds once per process, and needs no compiled ``.mo`` that could fall behind."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    for domain in domains(lang):
        for key, text in read_catalogue(lang, domain).items():
            if key in merged:
                raise RuntimeError(f"{lang}/{domain}.po redefines UI string {key!r} (already in {owner[key]}.po)")
            merged[key], owner[key] = text, domain
    return merged


#: Strings that come from configuration rather than a catalogue file: the labels of systems
#: declared by spec files (:mod:`ioc.systems.spec`), added when the registry loads them.
_CONFIGURED: dict[str, dict[str, str]] = {"vi": {}, "en": {}}


def add_strings(strings: dict[str, dict[str, str]], owner: str) -> None:
    """Add configured strings (``{lang: {key: text}}``) from ``owner`` (a spec file, for the
    message); a key a catalogue or another owner defines already is an error."""
    for lang, texts in strings.items():
        for key, text in texts.items():
            if key in catalogue(lang):
                raise RuntimeError(f"{owner}: UI string {key!r} is already defined by a catalogue")
            known = _CONFIGURED[lang].get(key)
            if known is not None and known != text:
                raise RuntimeError(f"{owner}: UI string {key!r} is already defined with another text")
            _CONFIGURED[lang][key] = text


def has(key: str, lang: str = "vi") -> bool:
    """Whether ``key`` is a UI string (a catalogue's or a configured one)."""
    lang = "en" if lang == "en" else "vi"
    return key in catalogue(lang) or key in _CONFIGURED[lang]


def resolve_lang(*candidates: str | None, default: str = "vi") -> str:
    """The first candidate that is a supported language, else ``default``."""
    for lang in candidates:
        if isinstance(lang, str) and lang.lower() in LANGS:
            return lang.lower()
    return default if default in LANGS else "vi"


def t(key: str, lang: str, /, **values: object) -> str:
    """The UI string ``key`` in ``lang`` (vi or en), with ``values`` filled in (any names, even
    ``key``: the first two parameters are positional-only)."""
    lang = "en" if lang == "en" else "vi"
    text = catalogue(lang).get(key)
    if text is None:
        text = _CONFIGURED[lang][key]
    return text.format(**values) if values else text


def _locale(lang: str) -> str:
    return "en" if lang == "en" else "vi"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_int(value: float | None, lang: str) -> str:
    """A count: ``9.143`` (vi), ``9,143`` (en)."""
    if _missing(value):
        return DASH
    return format_decimal(round(value), format="#,##0", locale=_locale(lang))


def fmt_number(value: float | None, lang: str, decimals: int = 1) -> str:
    """A decimal number: ``54,5`` (vi), ``54.5`` (en)."""
    if _missing(value):
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def fmt_pct(ratio: float | None, lang: str, decimals: int = 1) -> str:
    """A ratio (0.938) as a percentage: ``93,8 %`` (vi, non-breaking space), ``93.8%`` (en)."""
    if _missing(ratio):
        return DASH
    number = fmt_number(ratio * 100, lang, decimals)
    return f"{number}{NBSP}%" if lang != "en" else f"{number}%"


def fmt_vnd(amount: float | None, lang: str) -> str:
    """Money in VND (no minor unit): ``296.050.000 ₫`` (vi), ``296,050,000 VND`` (en)."""
    if _missing(amount):
        return DASH
    number = fmt_int(amount, lang)
    return f"{number}{NBSP}₫" if lang != "en" else f"{number}{NBSP}VND"


def fmt_hours(hours: float | None, lang: str) -> str:
    """A duration in hours: ``54,5 giờ`` (vi), ``54.5 h`` (en)."""
    if _missing(hours):
        return DASH
    return f"{fmt_number(hours, lang, 1)}{NBSP}{t('hours_unit', lang)}"


def fmt_local_datetime(utc_naive: datetime | None, tz: ZoneInfo, lang: str, seconds: bool = False) -> str:
    """A stored (naive UTC) instant in local time: ``26/11/2026 14:05`` (both languages)."""
    if not isinstance(utc_naive, datetime) or utc_naive != utc_naive:  # None or NaT
        return DASH
    if utc_naive.tzinfo is not None:
        utc_naive = utc_naive.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    local = to_local(utc_naive, tz)
    return local.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def fmt_date(day: date | None, lang: str) -> str:
    """A local date: ``26/11/2026`` (the format Vietnamese offices use; kept in English too)."""
    if day is None:
        return DASH
    return day.strftime("%d/%m/%Y")


def status_label(code: str, lang: str) -> str:
    pair = STATUS_LABELS.get(code)
    return code if pair is None else pair[1 if lang == "en" else 0]


def category_label(code: str, lang: str, stored_name: str | None = None) -> str:
    """A category's name; a code we do not know keeps the name its source gave."""
    pair = CATEGORIES.get(code)
    if pair is None:
        return stored_name or code
    return pair[1 if lang == "en" else 0]


def channel_label(code: str, lang: str) -> str:
    pair = CHANNEL_LABELS.get(code)
    return code if pair is None else pair[1 if lang == "en" else 0]


def rating_label(code: str | None, lang: str) -> str:
    pair = RATING_LABELS.get(code or "")
    return DASH if pair is None else pair[1 if lang == "en" else 0]


def unit_label(code: str | None, names: dict[str, str], lang: str) -> str:
    """A unit code shown as its name; an unknown code as ``Không xác định (999)``."""
    if not code:
        return t("no_unit", lang)
    name = names.get(code)
    return name if name else t("unknown_unit", lang, code=code)
