"""A generic JSON-over-HTTP collector whose field mapping lives in the sources file.

A camera platform, a traffic-police export, a one-stop system or an air-quality portal is
wired without code: the ``[[sources]]`` table says where the list of items is in a response,
which item path feeds which store field, how values translate, and how to page.

    [[sources]]
    name = "camera-platform"
    type = "json"
    family = "feedback"            # any connected family (its validator checks each record)
    url = "http://10.0.0.5/api/events"
    every_seconds = 60
    start_date = 2026-01-01
    items = "data.items"           # dotted path of the list ("" = the response is the list)
    times_are_local = false        # offset-less times are UTC (true: IOC_TIMEZONE)
    next = "links.next"            # optional: dotted path of the next page's URL
    page_param = "page"            # optional instead: page number parameter, 1, 2, … until empty
    watermark_field = "updated_at" # store field whose largest value resumes the next pull
    [sources.query]                # query parameters; {since} / {until} become ISO 8601 UTC
    from = "{since}"
    [sources.fields]               # store field = dotted path in an item, or "=constant"
    external_id = "id"
    received_at = "created"
    status = "state"
    [sources.values.status]        # optional translation of source values
    "1" = "received"
    "9" = "resolved"

A system declared by a spec file (docs/systems.md) is fed the same way: its validator takes
the spec's *source* field names (the right-hand sides of the spec's ``[fields]`` and each
dimension's ``field``), so those are the keys of ``[sources.fields]`` and ``[sources.values]``
(``ticket = "id"``, ``reported = "meta.created"``, ``fault = "kind.code"``). Its
``watermark_field`` may be the spec's time or updated field by either name (``reported`` or
``occurred_at``; ``updated_at``), and a rejected item is listed under the item's value of the
spec's ``id`` field.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urljoin

import httpx

from data_sources.http import HttpJsonClient
from ioc.domain.records import problem
from ioc.secrets import secret_values
from ioc.sources import Batch, Collector, ConfigurationError, Reject, SourceError, check_watermark

MAX_PAGES = 10_000
_MISSING = object()


def dig(item: Any, path: str) -> Any:
    """The value at a dotted ``path`` (list indexes allowed: ``photos.0.url``), or _MISSING."""
    if path == "":
        return item
    value = item
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.removeprefix("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def map_item(item: Any, fields: dict[str, str], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Apply the declared mapping to one item: a dict of store field names."""
    if not isinstance(item, dict):
        raise ValueError(f"item is a {type(item).__name__}, not an object")
    out: dict[str, Any] = {}
    for field, path in fields.items():
        value = path[1:] if path.startswith("=") else dig(item, path)
        if value is _MISSING:
            continue
        table = values.get(field)
        if table is not None and value is not None:
            key = str(value)
            if key not in table:
                raise ValueError(f"{field}: source value {value!r} has no translation in [sources.values.{field}]")
            value = table[key]
        out[field] = value
    return out


def _events_spec(family: Any) -> bool:
    return getattr(family.spec, "kind", None) == "events"


def _record_attribute(family: Any, name: Any) -> str | None:
    """The record attribute a ``watermark_field`` names: itself, or for a spec's events the
    record's ``occurred_at`` / ``updated_at`` named by the spec's source field (``time`` / ``updated``)."""
    if not name:
        return None
    name = str(name)
    if _events_spec(family):
        fields = family.spec.fields
        by_source = {fields["time"]: "occurred_at", **({fields["updated"]: "updated_at"} if "updated" in fields else {})}
        return by_source.get(name, name)
    return name


class JsonMappingCollector(Collector):
    type = "json"
    family = "*"  # any declared family; checked against the registry when the run starts
    requires = ("url",)

    def _options(self) -> tuple[dict[str, str], dict[str, dict[str, Any]], dict[str, str]]:
        where = f"source {self.spec.name!r}"
        fields = self.spec.option("fields")
        if not isinstance(fields, dict) or not fields or not all(isinstance(v, str) for v in fields.values()):
            raise ConfigurationError(f"{where}: [sources.fields] must map store fields to item paths (text)")
        values = self.spec.option("values", {})
        if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
            raise ConfigurationError(f"{where}: [sources.values.FIELD] tables must map source values to ours")
        query = self.spec.option("query", {})
        if not isinstance(query, dict):
            raise ConfigurationError(f"{where}: [sources.query] must be a table of query parameters")
        return fields, {k: {str(a): b for a, b in v.items()} for k, v in values.items()}, \
            {k: str(v) for k, v in query.items()}

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        from ioc.registry import registry

        family = registry().get(self.spec.family)
        if family is None:
            raise ConfigurationError(f"source {self.spec.name!r}: family {self.spec.family!r} is not declared")
        fields, values, query = self._options()
        naive_tz = self.ctx.tz if self.spec.option("times_are_local", False) else UTC
        now = datetime.now(UTC).replace(microsecond=0)
        if watermark:
            since = datetime.fromisoformat(watermark)
            check_watermark(self.spec.name, since)
        elif isinstance(self.spec.start_date, date):
            since = datetime.combine(self.spec.start_date, time(0), tzinfo=self.ctx.tz).astimezone(UTC)
        else:
            since = now - timedelta(days=30)
        params = {k: v.replace("{since}", since.isoformat()).replace("{until}", now.isoformat())
                  for k, v in query.items()}
        wm_field = _record_attribute(family, self.spec.option("watermark_field"))
        id_path = fields.get(family.spec.fields["id"] if _events_spec(family) else "external_id", "")
        newest: datetime | None = None
        client = HttpJsonClient(self.ctx.http_timeout_s, attempts=int(self.spec.option("retry_attempts", 3)),
                                backoff_s=float(self.spec.option("retry_backoff_s", 0.5)), budget=self.ctx.budget,
                                secrets=secret_values(self.spec.options))
        try:
            url: str | None = self.spec.url
            page = 1
            page_param = self.spec.option("page_param")
            for _ in range(MAX_PAGES):
                if url is None:
                    break
                page_params = dict(params)
                if page_param:
                    page_params[str(page_param)] = str(page)
                body = client.get_json(url, page_params)
                items = dig(body, str(self.spec.option("items", "")))
                if not isinstance(items, list):
                    raise SourceError(f"{httpx.URL(url).copy_with(query=None)}: no list at {self.spec.option('items', '')!r} in the response")
                batch = Batch(fetched=len(items))
                for n, item in enumerate(items, start=1):
                    where = f"page {page} item {n}"
                    if n % 1000 == 0:  # a huge page must not outlive the run's deadline
                        self.ctx.budget.check(where)
                    try:
                        record = family.validate(map_item(item, fields, values), naive_tz)
                    except Exception as exc:  # noqa: BLE001 - one item never fails the run
                        path = id_path
                        ext = dig(item, path) if isinstance(item, dict) and path and not path.startswith("=") else None
                        ext = None if ext is _MISSING or isinstance(ext, dict | list) else ext
                        batch.rejects.append(Reject(where, problem(exc), item, None if ext is None else str(ext)))
                        continue
                    batch.records.append(record)
                    stamp = getattr(record, wm_field, None) if wm_field else None
                    if isinstance(stamp, datetime) and (newest is None or stamp > newest):
                        newest = stamp
                yield batch
                if self.spec.option("next"):
                    nxt = dig(body, str(self.spec.option("next")))
                    url = urljoin(url, nxt) if isinstance(nxt, str) and nxt else None
                    params = {}
                    page += 1
                elif page_param and items:
                    page += 1
                else:
                    url = None
            else:
                raise SourceError(f"{httpx.URL(self.spec.url or '').copy_with(query=None)}: more than {MAX_PAGES} pages; stopping")
        finally:
            client.close()
        # Never past now: a record stamped a little ahead (clock skew, or a deadline field) would
        # otherwise make the next run skip what changes until then; re-reading it is an upsert.
        mark = min(newest.replace(tzinfo=UTC), now) if wm_field and newest else since if wm_field else now
        yield Batch(watermark=mark.isoformat())
