"""A spec-declared system's events or indicator values from a file (CSV UTF-8 or the first
sheet of an XLSX), with the spec's source field names as headers.

The header names are the right-hand sides of the spec's ``[fields]`` and each dimension's
``field`` (case-insensitive, spaces around them ignored); unknown columns are ignored; a missing
required column (``id`` and ``time`` for events; ``indicator``, ``period`` and ``value`` for
indicators) fails the run. Each row is checked by the spec
(:func:`ioc.systems.records.validate_event` / ``validate_indicator``): a bad row is
quarantined with its spreadsheet row number and the reason, the others are stored. Times are
ISO 8601 or ``dd/mm/yyyy [HH:MM[:SS]]``; a time without an offset (and every Excel date cell)
is local time in ``IOC_TIMEZONE``. A unit code, when the spec maps one, must be a unit of the
deployment in force on the event's date (as for every family's files); the reason then names
the spec's unit column.
"""

from __future__ import annotations

from typing import Any, ClassVar

from data_sources.tabular import TabularFileCollector
from ioc.domain.records import RecordError
from ioc.systems.records import validate_event, validate_indicator
from ioc.systems.spec import REQUIRED_EVENT_FIELDS, REQUIRED_INDICATOR_FIELDS, SystemSpec


class SystemFileCollector(TabularFileCollector):
    """Base of the per-spec classes made by :func:`file_collector_for`."""

    type = "file"
    system: ClassVar[SystemSpec]

    def column_name(self, cell: Any) -> str | None:
        if cell in (None, ""):
            return None
        name = str(cell).strip()
        return self._columns_by_fold().get(name.lower(), name.lower())

    @classmethod
    def _columns_by_fold(cls) -> dict[str, str]:
        spec = cls.system
        names = [*spec.fields.values(), *(d.field for d in spec.dimensions)]
        return {n.lower(): n for n in names}

    def missing_columns(self, named: list[str]) -> list[str]:
        spec = self.system
        required = REQUIRED_EVENT_FIELDS if spec.kind == "events" else REQUIRED_INDICATOR_FIELDS
        return [spec.fields[k] for k in required if spec.fields[k] not in named]

    def reject_id(self, raw: dict[str, Any]) -> str | None:
        key = self.system.fields.get("id") or self.system.fields.get("indicator")
        return str(raw.get(key) or "").strip()[:128] or None

    def record(self, raw: dict[str, Any]) -> Any:
        spec = self.system
        if spec.kind == "indicator":
            return validate_indicator(spec, raw, self.ctx.tz)
        record = validate_event(spec, raw, self.ctx.tz)
        if not record.unit_code:
            return record
        try:
            return self.with_known_unit(record)
        except RecordError as exc:  # name the file's column (the spec's), not the store's unit_code
            reason = str(exc).removeprefix(f"{exc.field}: ")
            raise RecordError(spec.fields["unit"], reason) from None


def file_collector_for(spec: SystemSpec) -> type[SystemFileCollector]:
    """The file collector of ``spec`` (serves ``python -m ioc import CODE FILE``)."""
    name = "".join(p.title() for p in spec.code.split("_")) + "FileCollector"
    return type(name, (SystemFileCollector,), {"family": spec.code, "system": spec, "__module__": __name__,
                                               "__doc__": f"{spec.label.en} from a CSV/XLSX file."})
