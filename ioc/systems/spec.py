"""A system declared by configuration: one TOML spec file → a validated :class:`SystemSpec`.

A province adds a service (press monitoring, e-cards, network security, …) by writing a spec
file, documented field by field in ``docs/systems.md``; the shipped ones are in
``ioc/systems/specs/``, and ``IOC_SYSTEMS`` names a folder of extra ones. Two kinds:

- ``events``: a stream of events, each with a time, optional unit, up to three coded
  dimensions (category, status, outlet, …), optional position, value and handling time;
- ``indicator``: periodic values (month, quarter or year) of named indicators, per unit, each
  with an optional plan (target) and rank among provinces.

Every problem found while loading raises :class:`SpecError`, whose text names the file, the
line and the field (``press.toml:42: kpis[3].where.sentiment: 'negatve' is not a value of
dimension sentiment (negative, neutral, positive)``). Pure code: reads files, no store, no web.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

KINDS = ("events", "indicator")
CODE = re.compile(r"^[a-z][a-z0-9_]{1,23}$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
VALUE_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
#: Canonical event fields a spec maps from its sources' field names (``[fields]``).
EVENT_FIELDS = ("id", "time", "updated", "unit", "lat", "lon", "value", "handled", "duration_hours", "title")
REQUIRED_EVENT_FIELDS = ("id", "time")
#: Canonical indicator fields (``[fields]`` of an ``indicator`` spec).
INDICATOR_FIELDS = ("indicator", "period", "unit", "value", "target", "rank", "rank_of", "source")
REQUIRED_INDICATOR_FIELDS = ("indicator", "period", "value")
MAX_DIMENSIONS = 3
#: KPI types and what each needs; see docs/systems.md.
EVENT_KPI_TYPES = ("count", "sum", "share", "rate", "median", "p90", "latest", "change")
INDICATOR_KPI_TYPES = ("latest", "change", "rank", "sum")
RATE_PER = ("hour", "day", "week")
DIRECTIONS = ("higher", "lower")
PANELS = ("tiles", "trend", "by_category", "by_unit", "map", "latest", "ranking")
ALERT_TYPES = ("threshold", "surge")
ALERT_WINDOWS = ("hour", "day")
SEVERITIES = ("info", "warning", "high", "critical")
FREQUENCIES = ("month", "quarter", "year")


class SpecError(ValueError):
    """A spec that cannot be used: ``file:line: field: reason``."""

    def __init__(self, path: Path | str, line: int | None, where: str, reason: str) -> None:
        self.path, self.line, self.where, self.reason = Path(path), line, where, reason
        at = f"{Path(path).name}:{line}" if line else Path(path).name
        super().__init__(f"{at}: {where}: {reason}" if where else f"{at}: {reason}")

    @property
    def full(self) -> str:
        """The message with the file's whole path (for the one line a start that stops prints)."""
        return f"{self.path.parent}/{self}"


@dataclass(frozen=True)
class Label:
    vi: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True)
class Term:
    """One coded value of a dimension (or one indicator of an ``indicator`` spec)."""

    code: str
    label: Label
    # indicator specs: the indicator's unit of measure, direction, frequency and yearly target
    unit: Label | None = None
    direction: str | None = None
    frequency: str | None = None
    target: float | None = None


@dataclass(frozen=True)
class Dimension:
    """A coded field of the events (topic, sentiment, severity, status, …): stored as ``d1..d3``."""

    name: str
    field: str  # the source's field name
    label: Label
    values: tuple[Term, ...]
    open: bool = False  # accept codes outside ``values`` (shown as given)
    column: str = "d1"  # the store's column

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.values)

    def term(self, code: str) -> Term | None:
        return next((v for v in self.values if v.code == code), None)


@dataclass(frozen=True)
class Kpi:
    name: str
    label: Label
    type: str
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)  # dimension → codes
    of: dict[str, tuple[str, ...]] = field(default_factory=dict)  # share: the denominator's filter
    per: str | None = None  # rate: hour | day | week
    kpi: str | None = None  # change: the KPI compared with the previous period
    indicator: str | None = None  # indicator specs: which indicator
    unit: Label | None = None  # shown after the value (%, ₫, h, …)
    target: float | None = None
    direction: str | None = None  # higher | lower is better

    @property
    def percent(self) -> bool:
        return self.type == "share"


@dataclass(frozen=True)
class AlertRule:
    name: str
    label: Label
    type: str  # threshold | surge
    window: str  # hour | day: the last complete local hour or day
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    measure: str = "count"  # count | sum (of value)
    threshold: float | None = None  # threshold: fire when the measure ≥ this
    factor: float = 2.0  # surge: fire when measure ≥ factor × same window a week earlier …
    min_count: float = 10.0  # … and ≥ this
    severity: str = "warning"


@dataclass(frozen=True)
class Simulation:
    """How the simulated source behaves (its data is labelled simulated)."""

    per_day: float = 0.0  # events a day on average (events specs)
    hourly: tuple[float, ...] = ()  # 24 relative weights (local hour)
    weekly: tuple[float, ...] = ()  # 7 relative weights, Monday first
    monthly: tuple[float, ...] = ()  # 12 relative weights, January first
    weights: dict[str, dict[str, float]] = field(default_factory=dict)  # dimension → code → weight
    flow: dict[str, Any] = field(default_factory=dict)  # status flow: dimension, open code, closed codes
    handling_hours: tuple[float, float] | None = None  # median and p90 of the handling time
    value: tuple[float, float] | None = None  # median and p90 of the value (lognormal)
    value_integer: bool = False
    located_share: float = 0.0  # share of events with a position
    indicators: dict[str, tuple[float, float]] = field(default_factory=dict)  # indicator → (level, change a year)
    base_year: int = 2023  # the year of the indicators' levels
    snapshots: tuple[Snapshot, ...] = ()  # daily snapshot events (accounts to date, screens online, …)


@dataclass(frozen=True)
class Snapshot:
    """A daily snapshot the simulator writes: one event a day with the codes ``where`` and a
    value interpolated linearly between the dated ``points`` (flat before the first and after
    the last), at local ``hour``."""

    where: dict[str, str]
    points: tuple[tuple[date, float], ...]
    hour: int = 0

    def value_on(self, day: date) -> float:
        points = self.points
        if day <= points[0][0]:
            return points[0][1]
        for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
            if day <= d1:
                return v0 + (v1 - v0) * (day - d0).days / max((d1 - d0).days, 1)
        return points[-1][1]


@dataclass(frozen=True)
class SystemSpec:
    code: str
    kind: str
    label: Label
    description: Label
    nav: Label
    sources: tuple[str, ...]  # citations: where its fields and KPIs come from
    fields: dict[str, str]  # canonical field → the sources' field name
    dimensions: tuple[Dimension, ...]
    kpis: tuple[Kpi, ...]
    alerts: tuple[AlertRule, ...]
    panels: tuple[str, ...]
    overview: tuple[str, ...]  # KPI names on the Overview card and wall panel
    ranking: str | None  # KPI ranked by unit (``ranking`` panel)
    value: Label | None  # what ``value`` measures
    value_unit: Label | None
    simulation: Simulation
    path: Path
    simulated_every_s: int = 60
    wall: bool = False  # its panel is on the operations wall's grid (beside the four families')

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    def kpi(self, name: str) -> Kpi:
        return next(k for k in self.kpis if k.name == name)

    @property
    def indicators(self) -> tuple[Term, ...]:
        """The indicators of an ``indicator`` spec (its dimension ``indicator``)."""
        return self.dimension("indicator").values if self.kind == "indicator" else ()

    def strings(self) -> dict[str, dict[str, str]]:
        """UI strings this spec brings, per language (``family_<code>``, navigation, KPI labels)."""
        out: dict[str, dict[str, str]] = {"vi": {}, "en": {}}
        for lang in ("vi", "en"):
            s = out[lang]
            s[f"family_{self.code}"] = self.label(lang)
            s[f"sys_{self.code}_nav"] = self.nav(lang)
            for k in self.kpis:
                s[f"sys_{self.code}_kpi_{k.name}"] = k.label(lang)
            for a in self.alerts:
                s[f"sys_{self.code}_alert_{a.name}"] = a.label(lang)
        return out


# --------------------------------------------------------------------------- loading


class _Lines:
    """Where keys are in a TOML file: ``path`` (``kpis[2].target``) → line number (1-based).

    tomllib gives no positions; this reads the file's table headers and ``key =`` lines, which
    is enough for the documented format (one key per line, ``[table]`` and ``[[array]]``)."""

    HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
    KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"']+(?:\s*\.\s*[A-Za-z0-9_\-\"']+)*)\s*=")

    def __init__(self, text: str) -> None:
        self.at: dict[str, int] = {}
        counts: dict[str, int] = {}
        prefix = ""
        array: str | None = None  # the key of a multi-line array being read (its items: one per line)
        item = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if array is not None:
                stripped = line.strip()
                if stripped.startswith(("{", '"', "'")) or stripped[:1].isdigit():
                    self.at.setdefault(f"{array}[{item}]", number)
                    item += 1
                if stripped.startswith("]") or stripped.endswith("]"):
                    array = None
                continue
            header = self.HEADER.match(line)
            if header:
                name = header.group(2).replace(" ", "").replace('"', "").replace("'", "")
                if header.group(1) == "[[":
                    index = counts.get(name, 0)
                    counts[name] = index + 1
                    prefix = f"{name}[{index}]"
                else:
                    prefix = name
                self.at.setdefault(prefix, number)
                continue
            key = self.KEY.match(line)
            if key:
                name = key.group(1).replace(" ", "").replace('"', "").replace("'", "")
                path = f"{prefix}.{name}" if prefix else name
                self.at.setdefault(path, number)
                if line.split("#", 1)[0].rstrip().endswith("["):
                    array, item = path, 0

    def line(self, path: str) -> int | None:
        """The line of ``path`` or of its nearest parent found."""
        while path:
            if path in self.at:
                return self.at[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.lines = path, _Lines(text)

    def fail(self, where: str, reason: str) -> SpecError:
        return SpecError(self.path, self.lines.line(where), where, reason)

    def table(self, data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(where, f"expected a table, got {type(data).__name__}")
        return data

    def only(self, data: Mapping[str, Any], where: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in data:
            if key not in allowed:
                raise self.fail(f"{where}.{key}" if where else key,
                                f"unknown key (expected one of: {', '.join(allowed)})")

    def required(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in data:
            raise self.fail(where, f"missing required key {key!r}")
        return data[key]

    def text(self, value: Any, where: str, *, pattern: re.Pattern[str] | None = None, limit: int = 300) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty string, got {value!r}")
        if len(value) > limit:
            raise self.fail(where, f"longer than {limit} characters")
        if pattern is not None and not pattern.match(value):
            raise self.fail(where, f"{value!r} does not match {pattern.pattern}")
        return value

    def label(self, value: Any, where: str) -> Label:
        table = self.table(value, where)
        self.only(table, where, ("vi", "en"))
        return Label(self.text(self.required(table, "vi", where), f"{where}.vi"),
                     self.text(self.required(table, "en", where), f"{where}.en"))

    def number(self, value: Any, where: str, *, positive: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self.fail(where, f"expected a number, got {value!r}")
        if positive and value <= 0:
            raise self.fail(where, f"must be > 0, got {value!r}")
        return float(value)

    def choice(self, value: Any, where: str, choices: Iterable[str]) -> str:
        choices = tuple(choices)
        if value not in choices:
            raise self.fail(where, f"{value!r} is not one of: {', '.join(choices)}")
        return value

    def weights(self, value: Any, where: str, n: int) -> tuple[float, ...]:
        if not isinstance(value, list) or len(value) != n:
            raise self.fail(where, f"expected a list of {n} numbers")
        out = tuple(self.number(v, f"{where}[{i}]") for i, v in enumerate(value))
        if any(v < 0 for v in out) or not sum(out):
            raise self.fail(where, "weights must be ≥ 0 and not all 0")
        return out


def _codes(reader: _Reader, value: Any, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise reader.fail(where, "expected a code or a non-empty list of codes")
    return tuple(reader.text(v, f"{where}[{i}]" if isinstance(value, list) else where, pattern=VALUE_CODE)
                 for i, v in enumerate(items))


def _filter(reader: _Reader, value: Any, where: str, dims: dict[str, Dimension]) -> dict[str, tuple[str, ...]]:
    table = reader.table(value, where)
    out = {}
    for name, codes in table.items():
        at = f"{where}.{name}"
        if name not in dims:
            raise reader.fail(at, f"{name!r} is not a dimension (dimensions: {', '.join(dims) or 'none'})")
        got = _codes(reader, codes, at)
        dim = dims[name]
        if not dim.open:
            for code in got:
                if code not in dim.codes:
                    raise reader.fail(at, f"{code!r} is not a value of dimension {name} ({', '.join(dim.codes)})")
        out[name] = got
    return out


def _terms(reader: _Reader, value: Any, where: str, *, indicator: bool = False) -> tuple[Term, ...]:
    if not isinstance(value, list):
        raise reader.fail(where, "expected a list of {code = …, vi = …, en = …}")
    terms = []
    allowed = ("code", "vi", "en", "unit", "direction", "frequency", "target") if indicator else ("code", "vi", "en")
    for i, item in enumerate(value):
        at = f"{where}[{i}]"
        table = reader.table(item, at)
        reader.only(table, at, allowed)
        code = reader.text(reader.required(table, "code", at), f"{at}.code", pattern=VALUE_CODE)
        label = Label(reader.text(reader.required(table, "vi", at), f"{at}.vi"),
                      reader.text(reader.required(table, "en", at), f"{at}.en"))
        unit = reader.label(table["unit"], f"{at}.unit") if "unit" in table else None
        direction = reader.choice(table["direction"], f"{at}.direction", DIRECTIONS) if "direction" in table else None
        frequency = (reader.choice(table["frequency"], f"{at}.frequency", FREQUENCIES)
                     if "frequency" in table else ("year" if indicator else None))
        target = reader.number(table["target"], f"{at}.target") if "target" in table else None
        terms.append(Term(code, label, unit, direction, frequency, target))
    codes = [t.code for t in terms]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            raise reader.fail(f"{where}[{i}].code", f"{code!r} is listed twice")
    return tuple(terms)


def load_spec(path: Path | str) -> SystemSpec:
    """Read and validate one spec file; :class:`SpecError` names the file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(path, None, "", f"cannot read the file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise SpecError(path, int(line.group(1)) if line else None, "", f"not valid TOML ({exc})") from None
    return parse_spec(data, path, text)


TOP_KEYS = ("code", "kind", "label", "nav", "description", "sources", "fields", "value", "dimensions",
            "indicators", "kpis", "alerts", "panels", "overview", "ranking", "wall", "simulation")


def parse_spec(data: dict[str, Any], path: Path, text: str = "") -> SystemSpec:
    r = _Reader(path, text)
    r.only(data, "", TOP_KEYS)
    code = r.text(r.required(data, "code", "code"), "code", pattern=CODE)
    if path.suffix == ".toml" and path.stem != code:
        raise r.fail("code", f"{code!r} differs from the file name {path.name!r} (name the file {code}.toml)")
    kind = r.choice(r.required(data, "kind", "kind"), "kind", KINDS)
    label = r.label(r.required(data, "label", "label"), "label")
    nav = r.label(data["nav"], "nav") if "nav" in data else label
    description = r.label(data["description"], "description") if "description" in data else label
    sources_value = r.required(data, "sources", "sources")
    if not isinstance(sources_value, list) or not sources_value:
        raise r.fail("sources", "expected a non-empty list of citations (where the fields and KPIs come from)")
    sources = tuple(r.text(s, f"sources[{i}]", limit=500) for i, s in enumerate(sources_value))

    canonical = EVENT_FIELDS if kind == "events" else INDICATOR_FIELDS
    required = REQUIRED_EVENT_FIELDS if kind == "events" else REQUIRED_INDICATOR_FIELDS
    fields_table = r.table(r.required(data, "fields", "fields"), "fields")
    r.only(fields_table, "fields", canonical)
    for key in required:
        r.required(fields_table, key, "fields")
    fields_map = {k: r.text(v, f"fields.{k}", limit=100) for k, v in fields_table.items()}
    if kind == "events":
        if ("lat" in fields_map) != ("lon" in fields_map):
            raise r.fail("fields", "lat and lon come together")
        if "handled" in fields_map and "duration_hours" in fields_map:
            raise r.fail("fields.duration_hours", "give either handled (an end time) or duration_hours, not both")

    value = value_unit = None
    if "value" in data:
        vt = r.table(data["value"], "value")
        r.only(vt, "value", ("label", "unit"))
        value = r.label(r.required(vt, "label", "value"), "value.label")
        value_unit = r.label(vt["unit"], "value.unit") if "unit" in vt else None

    dimensions: list[Dimension] = []
    if kind == "indicator":
        if "dimensions" in data:
            raise r.fail("dimensions", "an indicator spec lists [[indicators]], not dimensions")
        terms = _terms(r, r.required(data, "indicators", "indicators"), "indicators", indicator=True)
        dimensions.append(Dimension("indicator", fields_map["indicator"],
                                    Label("Chỉ tiêu", "Indicator"), terms, False, "d1"))
    else:
        if "indicators" in data:
            raise r.fail("indicators", "only an indicator spec lists indicators")
        raw_dims = data.get("dimensions", [])
        if not isinstance(raw_dims, list) or len(raw_dims) > MAX_DIMENSIONS:
            raise r.fail("dimensions", f"expected at most {MAX_DIMENSIONS} [[dimensions]]")
        for i, item in enumerate(raw_dims):
            at = f"dimensions[{i}]"
            t = r.table(item, at)
            r.only(t, at, ("name", "field", "label", "open", "values"))
            name = r.text(r.required(t, "name", at), f"{at}.name", pattern=NAME)
            if name in {d.name for d in dimensions} or name in EVENT_FIELDS:
                raise r.fail(f"{at}.name", f"{name!r} is already a field or dimension name")
            open_ = t.get("open", False)
            if not isinstance(open_, bool):
                raise r.fail(f"{at}.open", "expected true or false")
            values = _terms(r, t.get("values", []), f"{at}.values")
            if not values and not open_:
                raise r.fail(f"{at}.values", "a closed dimension lists its values (or set open = true)")
            dimensions.append(Dimension(name, r.text(r.required(t, "field", at), f"{at}.field", limit=100),
                                        r.label(r.required(t, "label", at), f"{at}.label"), values, open_,
                                        f"d{i + 1}"))
    dims = {d.name: d for d in dimensions}

    kpis = _kpis(r, r.required(data, "kpis", "kpis"), kind, dims, fields_map)
    names = {k.name for k in kpis}
    alerts = _alerts(r, data.get("alerts", []), kind, dims, fields_map)

    panels_value = data.get("panels", ["tiles", "trend", "by_category", "by_unit", "latest"])
    if not isinstance(panels_value, list) or not panels_value:
        raise r.fail("panels", f"expected a non-empty list of: {', '.join(PANELS)}")
    panels = tuple(r.choice(p, f"panels[{i}]", PANELS) for i, p in enumerate(panels_value))
    if "map" in panels and "lat" not in fields_map and kind == "events":
        raise r.fail("panels", "a map panel needs positions (fields.lat and fields.lon)")
    if "by_category" in panels and not dimensions:
        raise r.fail("panels", "a by_category panel needs a dimension")
    overview_value = data.get("overview", [k.name for k in kpis[:4]])
    if not isinstance(overview_value, list) or not overview_value or len(overview_value) > 6:
        raise r.fail("overview", "expected 1 to 6 KPI names")
    overview = tuple(r.choice(n, f"overview[{i}]", names) for i, n in enumerate(overview_value))
    ranking = r.choice(data["ranking"], "ranking", names) if "ranking" in data else None
    if "ranking" in panels and ranking is None:
        raise r.fail("panels", "a ranking panel needs ranking = \"<KPI name>\"")
    simulation, every = _simulation(r, data.get("simulation", {}), kind, dims, fields_map)
    wall = data.get("wall", False)
    if not isinstance(wall, bool):
        raise r.fail("wall", "expected true or false")
    return SystemSpec(code, kind, label, description, nav, sources, fields_map, tuple(dimensions), kpis, alerts,
                      panels, overview, ranking, value, value_unit, simulation, path, every, wall)


def _kpis(r: _Reader, value: Any, kind: str, dims: dict[str, Dimension], fields_map: dict[str, str]
          ) -> tuple[Kpi, ...]:
    if not isinstance(value, list) or not value:
        raise r.fail("kpis", "expected at least one [[kpis]]")
    types = EVENT_KPI_TYPES if kind == "events" else INDICATOR_KPI_TYPES
    out: list[Kpi] = []
    for i, item in enumerate(value):
        at = f"kpis[{i}]"
        t = r.table(item, at)
        r.only(t, at, ("name", "label", "type", "where", "of", "per", "kpi", "indicator", "unit", "target",
                       "direction"))
        name = r.text(r.required(t, "name", at), f"{at}.name", pattern=NAME)
        if name in {k.name for k in out}:
            raise r.fail(f"{at}.name", f"{name!r} is defined twice")
        type_ = r.choice(r.required(t, "type", at), f"{at}.type", types)
        where = _filter(r, t["where"], f"{at}.where", dims) if "where" in t else {}
        of = _filter(r, t["of"], f"{at}.of", dims) if "of" in t else {}
        if "of" in t and type_ != "share":
            raise r.fail(f"{at}.of", "only a share has a denominator (of)")
        if type_ == "share" and not where:
            raise r.fail(f"{at}.where", "a share needs where = {…} (the part counted)")
        per = r.choice(t["per"], f"{at}.per", RATE_PER) if "per" in t else None
        if type_ == "rate" and per is None:
            raise r.fail(f"{at}.per", f"a rate needs per = one of {', '.join(RATE_PER)}")
        if type_ in ("sum", "latest") and kind == "events" and "value" not in fields_map:
            raise r.fail(f"{at}.type", f"a {type_} needs fields.value")
        if type_ in ("median", "p90") and not ({"handled", "duration_hours"} & set(fields_map)):
            raise r.fail(f"{at}.type", f"a {type_} of the handling time needs fields.handled or fields.duration_hours")
        ref = None
        if type_ == "change":
            ref = r.choice(r.required(t, "kpi", at), f"{at}.kpi", [k.name for k in out if k.type != "change"])
        indicator = None
        if kind == "indicator":
            if type_ != "change":
                codes = dims["indicator"].codes
                indicator = r.choice(r.required(t, "indicator", at), f"{at}.indicator", codes)
            if type_ == "change" and "indicator" in t:
                raise r.fail(f"{at}.indicator", "a change names its kpi, not an indicator")
        unit = r.label(t["unit"], f"{at}.unit") if "unit" in t else None
        target = r.number(t["target"], f"{at}.target") if "target" in t else None
        direction = r.choice(t["direction"], f"{at}.direction", DIRECTIONS) if "direction" in t else None
        if target is not None and direction is None:
            raise r.fail(f"{at}.direction", "a KPI with a target says which direction is better (higher or lower)")
        out.append(Kpi(name, r.label(r.required(t, "label", at), f"{at}.label"), type_, where, of, per, ref,
                       indicator, unit, target, direction))
    return tuple(out)


def _alerts(r: _Reader, value: Any, kind: str, dims: dict[str, Dimension], fields_map: dict[str, str]
            ) -> tuple[AlertRule, ...]:
    if not isinstance(value, list):
        raise r.fail("alerts", "expected [[alerts]] tables")
    if value and kind != "events":
        raise r.fail("alerts", "alert rules apply to events specs")
    out: list[AlertRule] = []
    for i, item in enumerate(value):
        at = f"alerts[{i}]"
        t = r.table(item, at)
        r.only(t, at, ("name", "label", "type", "window", "where", "measure", "threshold", "factor", "min_count",
                       "severity"))
        name = r.text(r.required(t, "name", at), f"{at}.name", pattern=NAME)
        if name in {a.name for a in out}:
            raise r.fail(f"{at}.name", f"{name!r} is defined twice")
        type_ = r.choice(r.required(t, "type", at), f"{at}.type", ALERT_TYPES)
        window = r.choice(t.get("window", "hour"), f"{at}.window", ALERT_WINDOWS)
        where = _filter(r, t["where"], f"{at}.where", dims) if "where" in t else {}
        measure = r.choice(t.get("measure", "count"), f"{at}.measure", ("count", "sum"))
        if measure == "sum" and "value" not in fields_map:
            raise r.fail(f"{at}.measure", "a sum needs fields.value")
        threshold = None
        if type_ == "threshold":
            threshold = r.number(r.required(t, "threshold", at), f"{at}.threshold", positive=True)
        factor = r.number(t.get("factor", 2.0), f"{at}.factor", positive=True)
        if type_ == "surge" and factor <= 1:
            raise r.fail(f"{at}.factor", "a surge factor is > 1")
        min_count = r.number(t.get("min_count", 10), f"{at}.min_count", positive=True)
        severity = r.choice(t.get("severity", "warning"), f"{at}.severity", SEVERITIES)
        out.append(AlertRule(name, r.label(r.required(t, "label", at), f"{at}.label"), type_, window, where,
                             measure, threshold, factor, min_count, severity))
    return tuple(out)


def _simulation(r: _Reader, value: Any, kind: str, dims: dict[str, Dimension], fields_map: dict[str, str]
                ) -> tuple[Simulation, int]:
    at = "simulation"
    t = r.table(value, at)
    r.only(t, at, ("per_day", "hourly", "weekly", "monthly", "weights", "flow", "handling_hours", "value",
                   "value_integer", "located_share", "indicators", "every_s", "snapshots", "base_year"))
    every = int(r.number(t.get("every_s", 60), f"{at}.every_s", positive=True))
    per_day = r.number(t.get("per_day", 0), f"{at}.per_day")
    if kind == "events" and per_day <= 0:
        raise r.fail(f"{at}.per_day", "an events spec's simulator needs per_day > 0 (events a day on average)")
    hourly = r.weights(t["hourly"], f"{at}.hourly", 24) if "hourly" in t else ()
    weekly = r.weights(t["weekly"], f"{at}.weekly", 7) if "weekly" in t else ()
    monthly = r.weights(t["monthly"], f"{at}.monthly", 12) if "monthly" in t else ()
    weights: dict[str, dict[str, float]] = {}
    for name, table in r.table(t.get("weights", {}), f"{at}.weights").items():
        where = f"{at}.weights.{name}"
        if name not in dims:
            raise r.fail(where, f"{name!r} is not a dimension")
        table = r.table(table, where)
        for code in table:
            if code not in dims[name].codes:
                raise r.fail(f"{where}.{code}", f"{code!r} is not a value of dimension {name}")
        weights[name] = {code: r.number(w, f"{where}.{code}") for code, w in table.items()}
        if any(w < 0 for w in weights[name].values()) or not sum(weights[name].values()):
            raise r.fail(where, "weights must be ≥ 0 and not all 0")
    flow: dict[str, Any] = {}
    if "flow" in t:
        ft = r.table(t["flow"], f"{at}.flow")
        r.only(ft, f"{at}.flow", ("dimension", "open", "closed"))
        dim = r.choice(r.required(ft, "dimension", f"{at}.flow"), f"{at}.flow.dimension", dims)
        open_code = r.choice(r.required(ft, "open", f"{at}.flow"), f"{at}.flow.open", dims[dim].codes)
        closed = _codes(r, r.required(ft, "closed", f"{at}.flow"), f"{at}.flow.closed")
        for code in closed:
            r.choice(code, f"{at}.flow.closed", dims[dim].codes)
        flow = {"dimension": dim, "open": open_code, "closed": closed}
    handling = None
    if "handling_hours" in t:
        handling = _pair(r, t["handling_hours"], f"{at}.handling_hours")
    sim_value = _pair(r, t["value"], f"{at}.value") if "value" in t else None
    if sim_value is not None and "value" not in fields_map:
        raise r.fail(f"{at}.value", "the spec has no fields.value")
    integer = t.get("value_integer", False)
    if not isinstance(integer, bool):
        raise r.fail(f"{at}.value_integer", "expected true or false")
    located = r.number(t.get("located_share", 0.0), f"{at}.located_share")
    if not 0 <= located <= 1:
        raise r.fail(f"{at}.located_share", "expected a share from 0 to 1")
    indicators: dict[str, tuple[float, float]] = {}
    if "indicators" in t:
        if kind != "indicator":
            raise r.fail(f"{at}.indicators", "only an indicator spec simulates indicators")
        it = r.table(t["indicators"], f"{at}.indicators")
        for code, pair in it.items():
            where = f"{at}.indicators.{code}"
            r.choice(code, where, dims["indicator"].codes)
            if not isinstance(pair, list) or len(pair) != 2:
                raise r.fail(where, "expected [level, yearly change]")
            indicators[code] = (r.number(pair[0], f"{where}[0]"), r.number(pair[1], f"{where}[1]"))
    snapshots = _snapshots(r, t.get("snapshots", []), f"{at}.snapshots", kind, dims, fields_map)
    base_year = int(r.number(t.get("base_year", 2023), f"{at}.base_year"))
    if not 2000 <= base_year <= 2100:
        raise r.fail(f"{at}.base_year", "expected a year from 2000 to 2100")
    return Simulation(per_day, hourly, weekly, monthly, weights, flow, handling, sim_value, integer, located,
                      indicators, base_year, snapshots), every


def _snapshots(r: _Reader, value: Any, at: str, kind: str, dims: dict[str, Dimension], fields_map: dict[str, str]
               ) -> tuple[Snapshot, ...]:
    if not isinstance(value, list):
        raise r.fail(at, "expected [[simulation.snapshots]] tables")
    if value and (kind != "events" or "value" not in fields_map):
        raise r.fail(at, "snapshots are events with a value (an events spec with fields.value)")
    out = []
    for i, item in enumerate(value):
        where_at = f"{at}[{i}]"
        t = r.table(item, where_at)
        r.only(t, where_at, ("where", "values", "hour"))
        where = _filter(r, r.required(t, "where", where_at), f"{where_at}.where", dims)
        if any(len(codes) != 1 for codes in where.values()):
            raise r.fail(f"{where_at}.where", "a snapshot has one code per dimension")
        points_value = r.required(t, "values", where_at)
        if not isinstance(points_value, list) or not points_value:
            raise r.fail(f"{where_at}.values", "expected [[YYYY-MM-DD, value], …]")
        points = []
        for j, pair in enumerate(points_value):
            p_at = f"{where_at}.values[{j}]"
            if (not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], date)
                    or isinstance(pair[0], datetime)):
                raise r.fail(p_at, "expected [YYYY-MM-DD, value] (a TOML date, unquoted)")
            points.append((pair[0], r.number(pair[1], f"{p_at}[1]")))
        if [d for d, _v in points] != sorted({d for d, _v in points}):
            raise r.fail(f"{where_at}.values", "dates must increase")
        hour = int(r.number(t.get("hour", 0), f"{where_at}.hour"))
        if not 0 <= hour <= 23:
            raise r.fail(f"{where_at}.hour", "expected a local hour 0–23")
        out.append(Snapshot({k: v[0] for k, v in where.items()}, tuple(points), hour))
    return tuple(out)


def _pair(r: _Reader, value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise r.fail(where, "expected [median, p90]")
    median, p90 = (r.number(v, f"{where}[{i}]", positive=True) for i, v in enumerate(value))
    if p90 < median:
        raise r.fail(where, "p90 must be ≥ the median")
    return median, p90


# --------------------------------------------------------------------------- folders


SHIPPED = Path(__file__).resolve().parent / "specs"


def load_folder(folder: Path | str) -> list[SystemSpec]:
    """Every ``*.toml`` of ``folder``, in name order; a folder that does not exist is an error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SpecError(folder, None, "", "IOC_SYSTEMS: not a folder")
    return [load_spec(p) for p in sorted(folder.glob("*.toml"))]


def load_all(extra: Path | str | None = None) -> list[SystemSpec]:
    """The shipped specs, then those of ``extra`` (IOC_SYSTEMS); a code used twice is an error."""
    specs = load_folder(SHIPPED) if SHIPPED.is_dir() else []
    if extra:
        specs += load_folder(extra)
    seen: dict[str, Path] = {}
    for spec in specs:
        if spec.code in seen:
            raise SpecError(spec.path, 1, "code", f"{spec.code!r} is already defined by {seen[spec.code]}")
        seen[spec.code] = spec.path
    return specs
