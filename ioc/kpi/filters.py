"""Declarative filters: one :class:`Filter` declaration per filter, one :class:`Selection` per view.

A family lists its filters once, as a tuple in its KPI module (``FEEDBACK_FILTERS = (PERIOD,
DISTRICT, CATEGORY, FEEDBACK_CHANNEL)``). Everything else is derived from that tuple:

- the URL: :func:`parse_params` reads ``?from=…&to=…&district=…`` into a :class:`Selection`
  and a list of :class:`Problem` (a bad value falls back to its default and is reported by
  name; the page never breaks), and :meth:`Selection.search` writes it back. ``from`` and
  ``to`` are the first and the *last* local date shown (``to`` included, as the date picker,
  the period note, the CSV file names and ``python -m ioc kpi --to`` read it); inside, a
  period is the half-open ``[from, to + 1 day)``;
- the CLI: ``kpi FAMILY --<name> VALUE`` (``Filter.name`` is the flag and the dict key),
  checked with :meth:`Filter.parse`, which raises :class:`FilterError` naming the key and the
  bad value;
- the SQL: :meth:`Selection.dims` gives ``{column: value}`` for the rollup / raw columns the
  filters constrain (``Filter.column``);
- the controls (:mod:`layouts.controls`): label, placeholder and options (a static vocabulary
  with its labels, or options handed in from data).

The model is vizro's ``models/_controls/filter.py``: one declaration gives the control, its
options and its action. No Dash here, no store: plain values in, plain values out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from ioc.domain.units import unit_column
from ioc.kpi.periods import FilterError, Period, default_period, parse_date

CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
KINDS = ("period", "choice", "multi")

# Why a value was refused: the i18n key of the page's message, and the CLI's plain-text reason.
REASONS = {
    "reason_code": "is not a code (letters, digits, '_', '.', '-'; at most 64)",
    "reason_choice": "is not one of {choices}",
    "reason_date": "is not a date from 2000 to 2100 (expected YYYY-MM-DD)",
    "reason_order": "is before from",
    "reason_order_from": "is after the default end",
    "reason_too_long": "gives a period longer than 20 years",
}


class BadFilterValue(FilterError):
    """A filter value that cannot be used: the URL / CLI key, the value as given, and why (an
    i18n key of :data:`REASONS`). ``str()`` names the key and the value."""

    def __init__(self, key: str, value: object, reason: str, choices: Sequence[str] = ()) -> None:
        self.key, self.value, self.reason = key, value, reason
        if reason == "reason_choice" and not choices:  # checked against codes handed in from data
            text = "is not a known value"
        else:
            text = REASONS.get(reason, reason).format(choices=", ".join(choices))
        super().__init__(f"{key}: {value!r} {text}")


@dataclass(frozen=True)
class Filter:
    """One filter, declared once.

    ``name`` is the CLI flag (``--name``), the key of :class:`Selection` values and of the
    families' ``filters`` dicts; ``url_key`` the query-string parameter (default: ``name``;
    the period uses ``from`` and ``to``); ``label`` / ``placeholder`` i18n keys of the control;
    ``kind`` ``period`` | ``choice`` (one code) | ``multi`` (several codes); ``choices`` the
    static vocabulary (``None``: any code, options come from data handed in); ``column`` the
    rollup / raw column it constrains (``None``: not a SQL dimension, e.g. a view setting);
    ``default`` the value when none is given (reported as "all" when ``None``).
    """

    name: str
    label: str
    kind: str = "choice"
    url_key: str = ""
    column: str | None = None
    choices: tuple[str, ...] | None = None
    default: Any = None
    placeholder: str = "all"
    aliases: tuple[str, ...] = ()  # other CLI names accepted for it (traffic: --category = --violation-type)
    url_aliases: tuple[str, ...] = ()  # older query-string keys still read (``district`` for ``unit``)
    # the column a value constrains when it depends on the value (units: by the code's level)
    column_of: Callable[[str], str] | None = field(default=None, compare=False, repr=False)
    option_label: Callable[[str, str], str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"filter {self.name}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not self.url_key:
            object.__setattr__(self, "url_key", "from" if self.kind == "period" else self.name)

    @property
    def url_keys(self) -> tuple[str, ...]:
        return ("from", "to") if self.kind == "period" else (self.url_key,)

    @property
    def default_text(self) -> str:
        """What a refused value falls back to, for the message (an i18n key or a value)."""
        if self.kind == "period":
            return "default_period"
        return "default_all" if self.default is None else str(self.default)

    # -- values ---------------------------------------------------------------------------

    def parse(self, raw: Any, known: Iterable[str] | None = None) -> Any:
        """The value of ``raw`` (a string, or for ``multi`` a list or comma-separated string,
        for ``period`` a ``(from, to)`` pair or ``"from/to"``, ``to`` the last day included);
        ``None`` when empty.

        Raises :class:`BadFilterValue` (a :class:`FilterError`) naming the key and the value.
        ``known``: codes the value must be one of besides ``choices`` (e.g. the units in the store).
        """
        if self.kind == "period":
            return self._parse_period(raw)
        if self.kind == "multi":
            return tuple(dict.fromkeys(self._parse_code(v, known) for v in all_values(raw))) or None
        text = single_value(raw)
        return None if text is None else self._parse_code(text, known)

    def _parse_code(self, text: str, known: Iterable[str] | None) -> str:
        if not CODE.match(text):
            raise BadFilterValue(self.url_key, text[:80], "reason_code")
        if self.choices is not None and text not in self.choices:
            raise BadFilterValue(self.url_key, text, "reason_choice", self.choices)
        if known is not None and text not in (known if isinstance(known, StoreCodes) else set(known)):
            raise BadFilterValue(self.url_key, text, "reason_choice")
        return text

    def _parse_period(self, raw: Any) -> Period:
        if isinstance(raw, Period):
            return raw
        if isinstance(raw, str):
            raw = raw.split("/", 1) if "/" in raw else (raw, "")
        start_raw, end_raw = raw
        start, last = _date(start_raw, "from"), _date(end_raw, "to")
        if last < start:
            raise BadFilterValue("to", str(end_raw), "reason_order")
        try:
            return Period(start, last + timedelta(days=1))
        except FilterError:
            raise BadFilterValue("from", str(start_raw), "reason_too_long") from None

    def check(self, value: Any) -> Any:
        """A value given in code (not parsed from text) checked against ``choices``."""
        if value is None or self.kind == "period" or self.choices is None:
            return value
        for v in (value if self.kind == "multi" else (value,)):
            if v not in self.choices:
                raise FilterError(f"{self.name}: {v!r} is not one of {', '.join(self.choices)}")
        return value

    def serialise(self, value: Any) -> str:
        """The value as text: ``parse(serialise(v)) == v`` (a period: ``first/last day``)."""
        if self.kind == "period":
            return f"{value.start.isoformat()}/{last_day(value).isoformat()}"
        if self.kind == "multi":
            return ",".join(value)
        return str(value)

    def url_pairs(self, value: Any) -> list[tuple[str, str]]:
        """The query-string parameters of ``value`` (none for ``None``)."""
        if value is None or value == ():
            return []
        if self.kind == "period":  # ``to``: the last day included
            return [("from", value.start.isoformat()), ("to", last_day(value).isoformat())]
        if self.kind == "multi":
            return [(self.url_key, v) for v in value]
        return [(self.url_key, str(value))]

    # -- options ----------------------------------------------------------------------------

    def options(self, lang: str, data: Iterable[Any] | None = None, current: Any = None,
                label: Callable[[str, str], str] | None = None) -> list[dict[str, str]]:
        """``[{"label", "value"}]`` for the control: the static ``choices``, or ``data`` handed
        in (codes, ``(code, label)`` pairs or option dicts); a current value missing from them
        is kept (labelled by its code) so the control shows what the URL asked for."""
        label = label or self.option_label or (lambda code, _lang: code)
        if data is not None:
            opts = [d if isinstance(d, dict) else
                    {"label": d[1], "value": d[0]} if isinstance(d, tuple) else
                    {"label": label(str(d), lang), "value": str(d)} for d in data]
        elif self.choices is not None:
            opts = [{"label": label(c, lang), "value": c} for c in self.choices]
        else:
            opts = []
        values = {o["value"] for o in opts}
        for v in (current if isinstance(current, tuple) else (current,)) if current is not None else ():
            if v not in values:
                opts.append({"label": v, "value": v})
        return opts


PERIOD = Filter("period", "date_range", kind="period")
# One administrative unit: a current commune (the 40 since 1 July 2025, history mapped to them)
# or, for periods before the change, a district-level unit of that time (3-digit GSO code).
UNIT = Filter("unit", "unit_filter", aliases=("district",), url_aliases=("district",), column="commune_code",
              column_of=unit_column, placeholder="unit_all")


# --- the view: a period and the filters' values ----------------------------------------------


@dataclass(frozen=True)
class Selection:
    """What a view shows: a period of local dates ``[start, end)`` (``None`` for views that are
    not a period) and the filters' values, ``None`` ones left out.

    It replaces the four families' Query / Filter dataclass pairs: the KPI functions read
    :meth:`dims` and ``period``; the pages read ``start`` / ``last_day`` and :meth:`search`.
    A filter's value reads as an attribute (``selection.district``; ``None`` when unset). Its
    ``repr`` (the cache key) holds only the period and the values.
    """

    period: Period | None
    values: tuple[tuple[str, Any], ...] = ()
    filters: tuple[Filter, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def of(cls, filters: Sequence[Filter], period: Period | None, *args: Any, **values: Any) -> Selection:
        """A selection over ``filters``; values by name (or positionally, in declaration order)
        and checked against the filters' ``choices`` (:class:`FilterError` otherwise)."""
        named = [f for f in filters if f.kind != "period"]
        if len(args) > len(named):
            raise TypeError(f"at most {len(named)} filter values after the period, got {len(args)}")
        given = dict(zip((f.name for f in named), args, strict=False))
        for name, value in values.items():
            if name in given:
                raise TypeError(f"filter {name!r} given twice")
            given[name] = value
        by_name = {f.name: f for f in named}
        unknown = [n for n in given if n not in by_name]
        if unknown:
            raise TypeError(f"unknown filter {unknown[0]!r} (filters: {', '.join(by_name)})")
        pairs = tuple((f.name, f.check(_frozen(given[f.name]))) for f in named if given.get(f.name) is not None)
        return cls(period, pairs, tuple(filters))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        for f in self.__dict__.get("filters", ()):
            if f.name == name:
                return self.get(name)
        raise AttributeError(f"{type(self).__name__!s} has no filter {name!r}")

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.values).get(name, default)

    def as_dict(self) -> dict[str, Any]:
        """``{name: value}`` of the filters that are set (the families' ``filters`` dicts)."""
        return dict(self.values)

    def dims(self) -> dict[str, Any]:
        """``{column: value}`` of the set filters that are SQL dimensions, in declaration order."""
        values = dict(self.values)
        return {(f.column_of(values[f.name]) if f.column_of else f.column): values[f.name]
                for f in self.filters if f.column and values.get(f.name) is not None}

    # the page's view of the period
    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return self.period.end

    @property
    def last_day(self) -> date:
        """The last local date included (what the date picker, the URL's ``to`` and the file names show)."""
        return last_day(self.period)

    def shifted(self, period: Period) -> Selection:
        """The same filters over another period."""
        return replace(self, period=period)

    def replaced(self, **values: Any) -> Selection:
        """The same view with some values changed (``None`` clears one)."""
        merged = {**dict(self.values), **values}
        return Selection.of(self.filters, self.period, **{k: v for k, v in merged.items()})

    def search(self, lang: str | None = None) -> str:
        """The query string (with its ``?``) that reproduces this view."""
        values = dict(self.values)
        params: list[tuple[str, str]] = []
        for f in self.filters:
            params += f.url_pairs(self.period if f.kind == "period" else values.get(f.name))
        if lang:
            params.append(("lang", lang))
        return "?" + urlencode(params)


@dataclass(frozen=True)
class StoreCodes:
    """Codes a filter accepts that only the store knows: a cached list, and the fresh read it
    comes from, made again before a value is refused. A file imported a moment ago names a
    category the cached list (kept per data version, which a page may see up to a refresh
    late) has not seen yet; the link that names it must not fall back to "all"."""

    cached: tuple[str, ...]
    fresh: Callable[[], Iterable[str]]

    def __iter__(self):  # noqa: ANN204
        return iter(self.cached)

    def __len__(self) -> int:
        return len(self.cached)

    def __contains__(self, code: object) -> bool:
        return code in self.cached or code in set(self.fresh())


SHOWN_VALUE = 40  # characters of a refused value the banner repeats (then "…")


@dataclass(frozen=True)
class Problem:
    """A URL parameter we could not use: its name, what it said, why (an i18n key), the
    default used instead (an i18n key ``default_…`` or a value), and ``what``: the i18n key of
    the filter's label, when the value is not one of its vocabulary ("no such category")."""

    param: str
    value: str
    reason: str
    default: str
    what: str = ""

    def message(self, lang: str) -> str:
        """«Bỏ qua tham số category=zzz: không có lĩnh vực này. Đang dùng: tất cả.» (plain
        text: the page renders it as text, so a value cannot inject markup)."""
        from ioc.i18n import t

        default = t(self.default, lang) if self.default.startswith("default_") else self.default
        if self.reason == "reason_choice" and self.what:
            reason = t("reason_no_such", lang, what=_lower_first(t(self.what, lang)))
        else:
            reason = t(self.reason, lang)
        return t("bad_param", lang, name=self.param, value=shown_value(self.value), reason=reason, default=default)


def shown_value(value: str) -> str:
    """A refused value as the banner repeats it: control characters and runs of blanks as one
    space, at most :data:`SHOWN_VALUE` characters (then "…")."""
    text = " ".join("".join(c if c.isprintable() else " " for c in str(value)).split())
    return text if len(text) <= SHOWN_VALUE else text[:SHOWN_VALUE - 1] + "…"


def _lower_first(label: str) -> str:
    """"Lĩnh vực" → "lĩnh vực" for the middle of a sentence; an acronym ("TTHC") stays."""
    return label[:1].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def parse_params(filters: Sequence[Filter], params: Mapping[str, object], today: date | None = None,
                 known: Mapping[str, Iterable[str]] | None = None) -> tuple[Selection, list[Problem]]:
    """Validate a page's query parameters (as Dash pages passes them) against ``filters``.

    ``today`` is the local date (the default period is the last 365 days up to today);
    ``known``: per filter name, the codes its value must be one of (handed in from data).
    Returns the selection to show and the problems found (empty when every parameter was good).
    """
    problems: list[Problem] = []
    period = None
    values: dict[str, Any] = {}
    for f in filters:
        if f.kind == "period":
            period = _url_period(params, today, problems)
            continue
        raw, key = params.get(f.url_key), f.url_key
        for alias in f.url_aliases:  # an older link (a problem names the parameter as it was given)
            if raw is None and params.get(alias) is not None:
                raw, key = params.get(alias), alias
        value = f.default
        if f.kind == "multi":
            good = []
            for item in all_values(raw):
                try:
                    good.append(f.parse(item, (known or {}).get(f.name)))
                except BadFilterValue as exc:
                    problems.append(Problem(key, str(exc.value)[:80], exc.reason, f.default_text, f.label))
            value = tuple(dict.fromkeys(v for g in good if g for v in g)) or f.default
        elif single_value(raw) is not None:
            try:
                value = f.parse(raw, (known or {}).get(f.name))
            except BadFilterValue as exc:
                problems.append(Problem(key, str(exc.value)[:80], exc.reason, f.default_text, f.label))
        if value is not None and value != ():
            values[f.name] = value
    return Selection(period, tuple(values.items()), tuple(filters)), problems


def _url_period(params: Mapping[str, object], today: date | None, problems: list[Problem]) -> Period:
    """``from`` / ``to`` (both included) as the period [from, to + 1 day); what is missing or
    bad comes from the default period (the last 365 days, today included)."""
    default = default_period(today or date.today())
    start, last = default.start, last_day(default)
    raw_from, raw_to = single_value(params.get("from")), single_value(params.get("to"))
    for key, raw in (("from", raw_from), ("to", raw_to)):
        if raw is None:
            continue
        try:
            value = parse_date(raw, key)
        except FilterError:
            problems.append(Problem(key, raw[:80], "reason_date",
                                    (default.start if key == "from" else last_day(default)).isoformat()))
            continue
        start, last = (value, last) if key == "from" else (start, value)
    end = last + timedelta(days=1)
    try:
        return Period(start, end)
    except FilterError:
        if end <= start:  # blame 'to' when the URL gave a usable one, else the 'from' past the default end
            bad = "to" if raw_to is not None and not any(p.param == "to" for p in problems) else "from"
            reason = "reason_order" if bad == "to" else "reason_order_from"
        else:
            bad, reason = "from", "reason_too_long"
        problems.append(Problem(bad, str(raw_to if bad == "to" else raw_from)[:80], reason, "default_period"))
        return default


def parse_cli(filters: Sequence[Filter], given: Mapping[str, object]) -> dict[str, Any]:
    """``{name: value}`` from CLI-style ``{name or alias: raw}`` (``None`` ones left out);
    raises :class:`FilterError` naming the flag for an unknown filter or a bad value."""
    by_name = {n: f for f in filters if f.kind != "period" for n in (f.name, *f.aliases)}
    out: dict[str, Any] = {}
    for name, raw in given.items():
        if raw is None:
            continue
        f = by_name.get(name)
        if f is None:
            allowed = ", ".join(f"--{f.name}" for f in filters if f.kind != "period") or "none"
            raise FilterError(f"--{name} does not apply here (filters: {allowed})")
        try:
            value = f.parse(raw)
        except BadFilterValue as exc:
            raise FilterError(f"--{name}: {str(exc).split(': ', 1)[1]}") from None
        if value is not None:
            out[f.name] = value
    return out


def last_day(period: Period) -> date:
    """The last local date of ``period`` (its exclusive end − 1 day): the ``to`` a person reads."""
    return period.end - timedelta(days=1)


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def single_value(raw: object) -> str | None:
    """One value of a parameter (``?a=1&a=2``: the last), stripped; ``None`` when empty."""
    if raw is None:
        return None
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    text = str(raw).strip()
    return text or None


def all_values(raw: object) -> list[str]:
    """Every value of a multi-valued parameter (repeated and/or comma-separated)."""
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    return [p.strip() for item in items for p in str(item).split(",") if p.strip()]


def _date(raw: Any, key: str) -> date:
    try:
        return parse_date(raw, key)
    except FilterError:
        raise BadFilterValue(key, str(raw)[:80], "reason_date") from None
