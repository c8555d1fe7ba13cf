"""Units as effective-dated data (issue #11): units keyed by (code, valid_from), records placed
in the unit in force on their date, rollups by current commune and former district.

1. ``units`` is recreated with the primary key (code, valid_from) and the columns valid_to,
   short_name, kind, area_km2, source, and seeded from the shipped data
   (``UnitMap.default()``) plus the city's one-stop centre (two dated rows, frozen here). Rows a
   deployment added under codes the data does not know are carried over (in force from the
   beginning, no end); the 141 generated commune reception units (``generated``) are dropped.
2. ``feedback_reports``, ``traffic_violations``, ``admin_dossiers`` gain ``district_code`` and
   ``commune_code``, filled chunk by chunk (by id) from ``UnitMap.place_many`` (the vectorised
   ``UnitMap.place``: same answers) on the record's local date (``IOC_TIMEZONE``), its stored
   ``unit_code`` and position; ``unit_code`` becomes the unit found (finest level known) and is
   kept as it was when none is found. A dossier of a generated commune unit (``474.03``) is
   placed by that unit's district and keeps its code.
3. The map points (``traffic_cameras``, ``env_stations``) gain the same two columns: the
   current commune and the district-level unit they lay in on 30 June 2025, as the live code
   places a station.
4. The rollups whose dimensions changed (``feedback_rollup``, ``traffic_rollup``,
   ``traffic_hour_rollup``, ``traffic_camera_rollup``, ``admin_rollup``) are dropped and created
   empty with the new dimensions, the city-wide ``feedback_rollup_all`` (no unit dimensions) is
   created empty, the feedback open-set index is recreated on the new columns
   (frozen definitions in ``ioc/store/migrations/units_dated/``), and the ``meta`` key
   ``rollups_stale`` is set: ``python -m ioc db upgrade`` then rebuilds every family's rollups.

Self-contained but for the unit lookup (``ioc.domain.units.UnitMap``, the shipped data).
Downgrade: not supported (restore the backup taken before upgrading).

Revision ID: 0002_units_dated
Revises: 0001_baseline
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.engine import Connection

from ioc.domain.units import UnitMap
from ioc.store.migrations.units_dated import statements

revision = "0002_units_dated"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

CHUNK = 10_000
RECORDS = (("feedback_reports", "received_at", True), ("traffic_violations", "detected_at", True),
           ("admin_dossiers", "received_at", False))  # table, local-date column, has lat/lon
POINTS = (("traffic_cameras", "code"), ("env_stations", "station_id"))
ROLLUPS = ("feedback_rollup", "traffic_rollup", "traffic_hour_rollup", "traffic_camera_rollup", "admin_rollup")
ROLLUPS_STALE = "rollups_stale"
CARRIED_SOURCE = "carried over from the store's units before revision 0002"

units_table = sa.table(
    "units",
    sa.column("code", sa.String), sa.column("valid_from", sa.Date), sa.column("valid_to", sa.Date),
    sa.column("name", sa.String), sa.column("short_name", sa.String), sa.column("kind", sa.String),
    sa.column("level", sa.String), sa.column("parent_code", sa.String), sa.column("lat", sa.Float),
    sa.column("lon", sa.Float), sa.column("area_km2", sa.Float), sa.column("generated", sa.Boolean),
    sa.column("source", sa.String),
)

# The provincial (city) public-administration service centre, as the admin seed adds it at this
# revision: its name followed the province becoming a centrally-run city on 1 January 2025.
_CENTRE = {"code": "46.TTPVHCC", "level": "province", "parent_code": "46", "lat": 16.4637, "lon": 107.5909,
           "kind": "Trung tâm", "area_km2": None, "generated": False}
CENTRE_ROWS = (
    {**_CENTRE, "valid_from": date.min, "valid_to": date(2024, 12, 31),
     "name": "Trung tâm Phục vụ hành chính công tỉnh Thừa Thiên Huế", "short_name": "TTPVHCC tỉnh",
     "source": "Trung tâm Phục vụ hành chính công (QĐ 766/QĐ-TTg)"},
    {**_CENTRE, "valid_from": date(2025, 1, 1), "valid_to": None,
     "name": "Trung tâm Phục vụ hành chính công thành phố Huế", "short_name": "TTPVHCC thành phố",
     "source": "NQ 175/2024/QH15"},
)


def _tz() -> ZoneInfo:
    tz = context.config.attributes.get("tz")
    if tz is None:
        from ioc.config import settings

        tz = settings().tz
    return tz


def _local_day(value: datetime | str, tz: ZoneInfo) -> date:
    if isinstance(value, str):  # a driver that hands back text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC).astimezone(tz).date()


def _recreate_units(conn: Connection, units: UnitMap) -> dict[str, str]:
    """Replace ``units``; returns generated code → its district code (the old reception units)."""
    old = conn.execute(sa.text("SELECT code, name, level, parent_code, lat, lon, generated FROM units")
                       .columns(generated=sa.Boolean)).mappings().all()
    generated = {r["code"]: r["parent_code"] or "" for r in old if r["generated"]}
    op.drop_table("units")
    ddl = statements(conn.dialect.name)
    conn.exec_driver_sql(ddl[0])  # CREATE TABLE units
    rows = [{"code": u.code, "valid_from": u.valid_from, "valid_to": u.valid_to, "name": u.name,
             "short_name": u.short_name, "kind": u.kind, "level": u.level, "parent_code": u.parent_code,
             "lat": u.lat, "lon": u.lon, "area_km2": u.area_km2, "generated": False, "source": u.source[:200]}
            for u in units.units]
    rows += list(CENTRE_ROWS)
    known = {r["code"] for r in rows}
    rows += [{"code": r["code"], "valid_from": date.min, "valid_to": None, "name": r["name"], "short_name": "",
              "kind": "", "level": r["level"], "parent_code": r["parent_code"], "lat": r["lat"], "lon": r["lon"],
              "area_km2": None, "generated": False, "source": CARRIED_SOURCE}
             for r in old if not r["generated"] and r["code"] not in known]
    conn.execute(sa.insert(units_table), rows)
    return generated


def _add_placement_columns(table: str) -> None:
    for name in ("district_code", "commune_code"):
        op.add_column(table, sa.Column(name, sa.String(16), nullable=False, server_default=""))


def _place_records(conn: Connection, table: str, day_column: str, positioned: bool, units: UnitMap,
                   generated: dict[str, str], tz: ZoneInfo) -> None:
    position = "lat, lon" if positioned else "NULL AS lat, NULL AS lon"
    select = sa.text(f"SELECT id, unit_code, {position}, {day_column} AS at FROM {table} "
                     "WHERE id > :last ORDER BY id LIMIT :n").columns(at=sa.DateTime)
    update = sa.text(f"UPDATE {table} SET unit_code = :unit, district_code = :district, commune_code = :commune "
                     "WHERE id = :id")
    last = -1
    while rows := conn.execute(select, {"last": last, "n": CHUNK}).all():
        old_codes = [r.unit_code or "" for r in rows]
        unit, district, commune = units.place_many(
            [_local_day(r.at, tz) for r in rows], [generated.get(c, c) for c in old_codes],
            [r.lat for r in rows], [r.lon for r in rows])
        conn.execute(update, [
            {"id": r.id, "unit": u if u and old not in generated else old, "district": d, "commune": c}
            for r, old, u, d, c in zip(rows, old_codes, unit, district, commune, strict=True)])
        last = rows[-1].id


def _place_points(conn: Connection, table: str, key: str, units: UnitMap) -> None:
    rows = conn.execute(sa.text(f"SELECT {key} AS k, unit_code, lat, lon FROM {table}")).all()
    today = max(units.changeover, datetime.now(UTC).date())
    updates: list[dict[str, Any]] = []
    for r in rows:
        now = units.place(today, code=r.unit_code or "", lat=r.lat, lon=r.lon)
        eve = units.place(units.eve, lat=r.lat, lon=r.lon)
        updates.append({"k": r.k, "unit": r.unit_code or now.unit_code, "commune": now.commune_code,
                        "district": eve.district_code})
    if updates:
        conn.execute(sa.text(f"UPDATE {table} SET unit_code = :unit, commune_code = :commune, "
                             f"district_code = :district WHERE {key} = :k"), updates)


def upgrade() -> None:
    conn = op.get_bind()
    units, tz = UnitMap.default(), _tz()
    ddl = statements(conn.dialect.name)

    generated = _recreate_units(conn, units)

    for table, day_column, positioned in RECORDS:
        _add_placement_columns(table)
        _place_records(conn, table, day_column, positioned, units, generated, tz)
    for table, key in POINTS:
        _add_placement_columns(table)
        _place_points(conn, table, key, units)
    if conn.dialect.name == "postgresql":  # as the live schema: no server default (SQLite cannot drop one)
        for table in (*(t for t, _, _ in RECORDS), *(t for t, _ in POINTS)):
            for name in ("district_code", "commune_code"):
                op.alter_column(table, name, server_default=None)

    op.drop_index("ix_feedback_open", table_name="feedback_reports")
    conn.exec_driver_sql(ddl[-1])  # CREATE INDEX ix_feedback_open on the new columns
    for table in ROLLUPS:
        op.drop_table(table)
    for stmt in ddl[1:-1]:  # the rollups, empty, with the new dimensions; feedback_rollup_all
        conn.exec_driver_sql(stmt)
    conn.execute(sa.text("DELETE FROM meta WHERE key = :k"), {"k": ROLLUPS_STALE})
    conn.execute(sa.text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": ROLLUPS_STALE, "v": revision})


def downgrade() -> None:
    raise NotImplementedError("downgrade is not supported: restore the backup taken before upgrading")
