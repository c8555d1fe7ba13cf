"""Schema migrations (Alembic, ``ioc/store/migrations``) on real stores, SQLite and PostgreSQL.

An "older store" is made the way the release before migrations left one: every revision up to
``0001_baseline`` run on an empty database (its frozen schema and seed), rows written in that
schema's format (reflected from the database, never from the live metadata), and the
``alembic_version`` table removed where a test needs a store that release made.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from ioc import cli
from ioc.cap import read_alert
from ioc.config import settings
from ioc.domain.units import UnitMap
from ioc.store import migrate
from ioc.store import warnings as warnings_store
from ioc.store.db import init_db, make_engine
from tests.cap_samples import cap_message

BASELINE = migrate.BASELINE
UTC_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh, the default IOC_TIMEZONE


def utc(local: str) -> datetime:
    """A local wall time in Huế as the store keeps it: naive UTC."""
    return datetime.fromisoformat(local) - UTC_OFFSET


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # noqa: ANN201
    """``python -m ioc ARGS`` in process (cli.main) on ``url``: (exit code, stdout, stderr)."""
    from ioc.context import context

    def run(url: str, *args: str) -> tuple[int, str, str]:
        for name in [k for k in os.environ if k.startswith("IOC_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("IOC_DATABASE_URL", url)
        settings.cache_clear()
        context.cache_clear()
        capsys.readouterr()
        code = cli.main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    settings.cache_clear()
    context.cache_clear()


def other_store(request: pytest.FixtureRequest, store_url: str, tmp_path) -> str:  # noqa: ANN001
    """A second empty store of the same dialect as ``store_url``."""
    if store_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'other.db'}"
    return request.getfixturevalue("pg_url")


def baseline_store(url: str) -> Engine:
    """An empty database upgraded to ``0001_baseline``: the schema and seed of the release before
    migrations."""
    engine = make_engine(url)
    assert migrate.upgrade(engine, BASELINE) == (None, BASELINE)
    return engine


def forget_alembic(engine: Engine) -> None:
    """Make the store look as the release before migrations left it: no ``alembic_version``."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")


def insert(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows into ``table`` as the database defines it now (reflected), not the live metadata."""
    with engine.begin() as conn:
        reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
        conn.execute(sa.insert(reflected), rows)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def column_values(engine: Engine, table: str, column: str, order: str = "external_id") -> list[Any]:
    with engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(f"SELECT {column} FROM {table} ORDER BY {order}")]


# --- rows in the baseline's format ----------------------------------------------------------

#: (external_id, old unit code, lat, lon, local received time): two old districts, either side of
#: the 2025-07-01 changeover, and one a year before.
FEEDBACK = [
    ("fb-1", "474", 16.4690, 107.5800, "2024-03-05 09:30"),   # Thành phố Huế, 2024
    ("fb-2", "483", 16.1600, 107.6900, "2024-11-20 14:00"),   # Huyện Nam Đông, 2024
    ("fb-3", "474", 16.4650, 107.5900, "2025-06-30 23:59"),   # last minute before the changeover
    ("fb-4", "474", 16.4650, 107.5900, "2025-07-01 00:00"),   # first minute after it
    ("fb-5", "478", 16.4900, 107.7000, "2025-06-30 23:59"),
    ("fb-6", "483", 16.1600, 107.6900, "2025-07-01 00:00"),
]


def feedback_rows(now: datetime) -> list[dict[str, Any]]:
    rows = []
    for i, (ext, unit, lat, lon, local) in enumerate(FEEDBACK):
        received = utc(local)
        closed = i % 2 == 0
        rows.append({
            "source": "legacy", "external_id": ext, "category_code": "moi_truong", "category_name": "Môi trường",
            "description": "", "address": "", "unit_code": unit, "lat": lat, "lon": lon, "channel": "hue_s",
            "status": "resolved" if closed else "received", "handling_unit": "",
            "received_at": received, "due_at": received + timedelta(days=5),
            "resolved_at": received + timedelta(days=1) if closed else None, "rating": None,
            "updated_at": now, "ingested_at": now,
        })
    return rows


TRAFFIC = [  # (external_id, camera, old unit code, lat, lon, local detection time)
    ("tv-1", "CAM-1", "474", 16.4700, 107.5850, "2024-06-01 08:15"),
    ("tv-2", "", "479", 16.3300, 107.6500, "2025-06-30 23:59"),
    ("tv-3", "CAM-1", "474", 16.4700, 107.5850, "2025-07-01 00:00"),
]


def traffic_rows(now: datetime) -> list[dict[str, Any]]:
    rows = []
    for ext, camera, unit, lat, lon, local in TRAFFIC:
        detected = utc(local)
        rows.append({
            "source": "legacy", "external_id": ext, "detected_at": detected, "violation_type": "red_light",
            "vehicle_class": "car", "status": "detected", "channel": "camera" if camera else "citizen",
            "camera_code": camera,
            "unit_code": unit, "lat": lat, "lon": lon, "address": "", "description": "", "plate_raw": "75A-123.45",
            "plate": "75A-123.45", "plate_status": "valid", "evidence_url": "", "fine_vnd": None, "fine_flag": "none",
            "decree": None, "fine_min_vnd": None, "fine_max_vnd": None, "verified_at": None, "notice_sent_at": None,
            "paid_at": None, "rating": None,
            "hour_of_week": datetime.fromisoformat(local).weekday() * 24 + datetime.fromisoformat(local).hour,
            "updated_at": now, "ingested_at": now,
        })
    return rows


ADMIN = [
    ("ad-1", "district", "474", "2024-09-10 08:00"),
    ("ad-2", "district", "483", "2025-06-30 15:00"),
    ("ad-3", "province", "46.TTPVHCC", "2025-07-01 08:00"),
]


def admin_rows(now: datetime) -> list[dict[str, Any]]:
    rows = []
    for ext, level, unit, local in ADMIN:
        received = utc(local)
        rows.append({
            "source": "legacy", "external_id": ext, "procedure_code": "H.CN.01", "field": "cong_thuong",
            "level": level, "unit_code": unit, "channel": "online", "online_mode": "full_process",
            "status": "resolved", "received_at": received, "due_at": received + timedelta(days=20),
            "effective_due_at": received + timedelta(days=20), "resolved_at": received + timedelta(days=3),
            "returned_at": None, "pauses": None, "pause_count": 0, "paid_online": True, "fee_required": True,
            "digitised": False, "rating": None, "bucket": "early", "elapsed_hours": 24.0,
            "updated_at": now, "ingested_at": now,
        })
    return rows


def camera_rows() -> list[dict[str, Any]]:
    return [{"code": "CAM-1", "name": "Ngã tư Hùng Vương", "lat": 16.4700, "lon": 107.5850, "unit_code": "474",
             "kind": "junction", "road": "Hùng Vương", "installed_at": None, "active": True, "source": "legacy",
             "generated": False}]


def station_rows(now: datetime) -> list[dict[str, Any]]:
    return [{"station_id": "hue-1", "name": "Trạm Huế", "lat": 16.4637, "lon": 107.5909, "unit_code": "474",
             "provider": "legacy", "parameters": "pm25", "simulated": False, "source": "legacy",
             "first_hour": None, "last_hour": None, "updated_at": now}]


RECORD_TABLES = ("feedback_reports", "traffic_violations", "admin_dossiers", "env_stations", "traffic_cameras")


def older_store(url: str) -> Engine:
    """A store at ``0001_baseline`` holding records in that schema's format."""
    engine = baseline_store(url)
    now = datetime(2025, 7, 2, 3, 0)
    insert(engine, "feedback_reports", feedback_rows(now))
    insert(engine, "traffic_cameras", camera_rows())
    insert(engine, "traffic_violations", traffic_rows(now))
    insert(engine, "admin_dossiers", admin_rows(now))
    insert(engine, "env_stations", station_rows(now))
    insert(engine, "units", [{"code": "46.TEST", "name": "Trung tâm thử nghiệm", "level": "province",
                              "parent_code": "46", "lat": None, "lon": None, "generated": False}])
    return engine


def rollup_total(engine: Engine, table: str, measure: str) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT coalesce(sum({measure}), 0) FROM {table} WHERE grain = 'd'")
                   .scalar_one())


# --- the schema a store ends with -----------------------------------------------------------


def schema_of(engine: Engine) -> dict[str, Any]:
    """Tables, columns (type, nullability), keys and indexes (with their predicate) as the
    database reports them, and on SQLite whether a table is WITHOUT ROWID or AUTOINCREMENT;
    ``alembic_version`` left out."""
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        insp = sa.inspect(conn)
        for table in sorted(set(insp.get_table_names()) - {"alembic_version"}):
            columns = {c["name"]: (str(c["type"]), c["nullable"]) for c in insp.get_columns(table)}
            pk = insp.get_pk_constraint(table)["constrained_columns"]
            uniques = sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table))
            if conn.dialect.name == "sqlite":
                rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                            "AND tbl_name = ? AND sql IS NOT NULL", (table,)).all()
                ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                           (table,)).scalar_one().rstrip().upper()
                without_rowid = ddl.endswith("WITHOUT ROWID")
                autoincrement = "AUTOINCREMENT" in ddl
            else:
                rows = conn.exec_driver_sql(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                    "(SELECT conname FROM pg_constraint)", (table,)).all()
                without_rowid = autoincrement = None
            indexes = sorted((name, " ".join(sql.split())) for name, sql in rows)
            out[table] = {"columns": columns, "pk": pk, "uniques": uniques, "indexes": indexes,
                          "without_rowid": without_rowid, "autoincrement": autoincrement}
    return out


# --- tests ----------------------------------------------------------------------------------


def test_a_new_store_is_at_head(engine: Engine) -> None:
    with engine.connect() as conn:
        assert migrate.stamped(conn) == migrate.head()
    assert migrate.current(engine) == migrate.head()
    init_db(engine)  # opens again, nothing to do
    assert migrate.current(engine) == migrate.head()


def test_an_empty_database_upgraded_to_head_has_the_schema_of_a_new_store(
        request: pytest.FixtureRequest, store_url: str, tmp_path) -> None:  # noqa: ANN001
    migrated = make_engine(store_url)
    created = make_engine(other_store(request, store_url, tmp_path))
    try:
        assert migrate.upgrade(migrated) == (None, migrate.head())
        init_db(created)
        assert schema_of(migrated) == schema_of(created)
        assert "ix_feedback_open" in dict(schema_of(migrated)["feedback_reports"]["indexes"])
    finally:
        migrated.dispose()
        created.dispose()


def test_the_baseline_has_the_partial_indexes_with_their_predicate(store_url: str) -> None:
    engine = baseline_store(store_url)
    try:
        indexes = {**dict(schema_of(engine)["feedback_reports"]["indexes"]),
                   **dict(schema_of(engine)["admin_dossiers"]["indexes"])}
        for name, statuses in (("ix_feedback_open", ("received", "verified", "assigned", "in_progress")),
                               ("ix_admin_open", ("new", "in_progress", "supplement_requested"))):
            assert " WHERE " in indexes[name]
            assert all(f"'{s}'" in indexes[name].split(" WHERE ", 1)[1] for s in statuses), indexes[name]
        assert count(engine, "holidays") > 300 and count(engine, "categories") > 0  # the baseline's seed
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'schema_version'").scalar() == "1"
    finally:
        engine.dispose()


def test_a_store_behind_head_refuses_to_open(store_url: str, run_cli) -> None:  # noqa: ANN001
    assert migrate.head() != BASELINE  # there is a revision after the baseline
    engine = baseline_store(store_url)
    try:
        with pytest.raises(migrate.StoreOutdated) as raised:
            init_db(engine)
        message = str(raised.value)
        assert BASELINE in message and migrate.head() in message and "python -m ioc db upgrade" in message
        assert isinstance(raised.value, RuntimeError)

        code, out, err = run_cli(store_url, "sources")  # any command that opens the store
        assert code == 2 and out == ""
        assert err.startswith("error: ") and "python -m ioc db upgrade" in err and len(err.splitlines()) == 1

        code, out, _ = run_cli(store_url, "db", "current")
        assert code == 0 and out.startswith(f"{BASELINE} (behind head {migrate.head()}")
        with engine.connect() as conn:
            assert migrate.stamped(conn) == BASELINE  # refusing changed nothing
    finally:
        engine.dispose()


@pytest.mark.parametrize("made_by", ["alembic", "release_before_migrations"])
def test_db_upgrade_of_an_older_store_keeps_its_rows_places_them_and_rebuilds_the_rollups(
        store_url: str, made_by: str, run_cli) -> None:  # noqa: ANN001
    engine = older_store(store_url)
    if made_by == "release_before_migrations":
        forget_alembic(engine)
    counts = {t: count(engine, t) for t in RECORD_TABLES}
    try:
        assert migrate.current(engine) == BASELINE

        code, out, err = run_cli(store_url, "db", "upgrade")

        assert code == 0, err
        assert f"db upgrade: {BASELINE} → {migrate.head()} (head)" in out
        for family in ("feedback", "traffic", "admin"):
            assert f"rebuilt the rollups of {family} from" in out
        assert "db upgrade: done in" in out
        with engine.connect() as conn:
            assert migrate.stamped(conn) == migrate.head()
            assert conn.exec_driver_sql("SELECT count(*) FROM meta WHERE key = 'rollups_stale'").scalar() == 0
        init_db(engine)  # opens now

        # every row kept
        assert {t: count(engine, t) for t in RECORD_TABLES} == counts
        assert column_values(engine, "feedback_reports", "external_id") == [f[0] for f in FEEDBACK]

        # placed: the current commune for every record with a position, the district only before 1 July 2025
        current = {u.code for u in UnitMap.default().current_communes()}
        assert len(current) == 40
        for table in ("feedback_reports", "traffic_violations"):
            assert set(column_values(engine, table, "commune_code")) <= current, table
        fb = dict(zip(column_values(engine, "feedback_reports", "external_id"),
                      zip(column_values(engine, "feedback_reports", "district_code"),
                          column_values(engine, "feedback_reports", "unit_code"), strict=True), strict=True))
        assert fb["fb-1"][0] == "474" and fb["fb-2"][0] == "483"  # 2024: the old districts
        assert fb["fb-3"][0] == "474" and fb["fb-5"][0] == "478"  # 30 June 2025, 23:59 local
        assert fb["fb-4"][0] == "" and fb["fb-6"][0] == ""  # 1 July 2025, 00:00 local: no districts
        assert all(len(unit) == 5 for _, unit in fb.values())  # the commune in force that day
        assert fb["fb-4"][1] in current and fb["fb-6"][1] in current
        assert column_values(engine, "admin_dossiers", "district_code") == ["474", "", ""]
        assert column_values(engine, "admin_dossiers", "unit_code") == ["474", "483", "46.TTPVHCC"]  # kept
        assert column_values(engine, "env_stations", "commune_code", "station_id")[0] in current
        # points: the district-level unit they lay in on 30 June 2025 (Thành phố Huế had become
        # Quận Thuận Hóa 474 and Quận Phú Xuân 475)
        assert column_values(engine, "env_stations", "district_code", "station_id") == ["474"]
        assert column_values(engine, "traffic_cameras", "commune_code", "code")[0] in current
        assert column_values(engine, "traffic_cameras", "district_code", "code")[0] in {"474", "475"}

        # units: the shipped versions, the city centre's two, and the deployment's own unit
        assert count(engine, "units") == len(UnitMap.default().units) + 2 + 1
        with engine.connect() as conn:
            carried = conn.execute(sa.text("SELECT valid_from, valid_to, generated FROM units WHERE code = '46.TEST'")
                                   .columns(valid_from=sa.Date, valid_to=sa.Date, generated=sa.Boolean)).one()
            assert tuple(carried) == (datetime.min.date(), None, False)
            assert conn.exec_driver_sql("SELECT count(*) FROM units WHERE generated = "
                                        + ("1" if conn.dialect.name == "sqlite" else "true")).scalar() == 0

        # rollups rebuilt, consistent with the raw rows
        assert rollup_total(engine, "feedback_rollup", "received") == counts["feedback_reports"]
        assert rollup_total(engine, "feedback_rollup_all", "received") == counts["feedback_reports"]
        assert rollup_total(engine, "traffic_rollup", "violations") == counts["traffic_violations"]
        assert rollup_total(engine, "traffic_camera_rollup", "violations") == sum(1 for t in TRAFFIC if t[1])
        assert rollup_total(engine, "admin_rollup", "received") == counts["admin_dossiers"]
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT sum(violations) FROM traffic_hour_rollup").scalar() == \
                counts["traffic_violations"]
            by_commune = dict(conn.exec_driver_sql(
                "SELECT commune_code, sum(received) FROM feedback_rollup WHERE grain = 'd' GROUP BY commune_code").all())
            raw = dict(conn.exec_driver_sql(
                "SELECT commune_code, count(*) FROM feedback_reports GROUP BY commune_code").all())
            assert {k: int(v) for k, v in by_commune.items()} == {k: int(v) for k, v in raw.items()}
            by_district = dict(conn.exec_driver_sql(
                "SELECT district_code, sum(violations) FROM traffic_rollup WHERE grain = 'm' GROUP BY district_code").all())
            raw = dict(conn.exec_driver_sql(
                "SELECT district_code, count(*) FROM traffic_violations GROUP BY district_code").all())
            assert {k: int(v) for k, v in by_district.items()} == {k: int(v) for k, v in raw.items()}
    finally:
        engine.dispose()


def test_a_failed_upgrade_leaves_the_store_as_it_was(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = older_store(store_url)
    units_before = count(engine, "units")

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("placement failed half-way")

    monkeypatch.setattr(UnitMap, "place_many", broken)
    try:
        with pytest.raises(RuntimeError, match="placement failed half-way"):
            migrate.upgrade(engine, tz=ZoneInfo("Asia/Ho_Chi_Minh"))
        with engine.connect() as conn:
            assert migrate.stamped(conn) == BASELINE
            columns = {c["name"] for c in sa.inspect(conn).get_columns("units")}
            assert "valid_from" not in columns  # units not recreated (its DDL ran before the failure)
            assert "commune_code" not in {c["name"] for c in sa.inspect(conn).get_columns("feedback_reports")}
        assert count(engine, "units") == units_before
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(store_url: str, run_cli) -> None:  # noqa: ANN001
    engine = older_store(store_url)
    try:
        assert run_cli(store_url, "db", "upgrade")[0] == 0
        before = {t: count(engine, t) for t in (*RECORD_TABLES, "feedback_rollup", "units")}

        code, out, err = run_cli(store_url, "db", "upgrade")

        assert code == 0, err
        assert f"already at {migrate.head()} (head), no migration to run" in out
        assert "rebuilt" not in out
        assert {t: count(engine, t) for t in before} == before
        assert before["feedback_rollup"] > 0
        assert migrate.upgrade(engine) == (migrate.head(), migrate.head())
    finally:
        engine.dispose()


def test_db_upgrade_creates_a_new_store_at_head_and_db_current_says_so(store_url: str, run_cli) -> None:  # noqa: ANN001
    code, out, _ = run_cli(store_url, "db", "current")
    assert code == 0 and out.startswith("empty database")

    code, out, err = run_cli(store_url, "db", "upgrade")
    assert code == 0, err
    assert f"new store created at {migrate.head()} (head)" in out

    code, out, _ = run_cli(store_url, "db", "current")
    assert (code, out) == (0, f"{migrate.head()} (head)\n")
    engine = make_engine(store_url)
    try:
        assert count(engine, "units") > 0 and count(engine, "holidays") > 300  # seeded
    finally:
        engine.dispose()


def test_db_history_lists_every_revision_oldest_first(tmp_path, run_cli) -> None:  # noqa: ANN001
    code, out, _ = run_cli(f"sqlite:///{tmp_path / 'unused.db'}", "db", "history")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{BASELINE}:") or lines[0].startswith(f"{BASELINE} (head):")
    assert lines[-1].startswith(f"{migrate.head()} (head):")
    assert len(lines) == len(migrate.history())
    assert not (tmp_path / "unused.db").exists()  # history reads the revisions, not the store


def test_a_store_of_an_unknown_revision_is_refused(store_url: str, run_cli) -> None:  # noqa: ANN001
    engine = make_engine(store_url)
    try:
        init_db(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        with pytest.raises(migrate.UnknownStore, match="9999_from_the_future"):
            init_db(engine)
        code, _, err = run_cli(store_url, "db", "upgrade")
        assert code == 2
        assert "9999_from_the_future" in err and "newer version" in err
    finally:
        engine.dispose()


def test_the_alert_ids_revision_keeps_the_alerts_and_never_gives_an_id_again(store_url: str) -> None:
    """0004_alert_ids: a store at 0002 whose highest alert was deleted (its acknowledgement left
    behind) keeps its alerts as they were, and the next alert gets a new id, unacknowledged."""
    engine = make_engine(store_url)
    try:
        assert migrate.upgrade(engine, "0002_units_dated") == (None, "0002_units_dated")
        now = datetime(2026, 3, 9, 2, 0)
        insert(engine, "alerts", [
            {"family": "feedback", "kind": "source_failed", "key": f"src-{i}", "severity": "high",
             "started_at": now + timedelta(minutes=i), "ended_at": None, "details": "{}", "updated_at": now}
            for i in range(3)])
        ids = column_values(engine, "alerts", "id", order="id")
        insert(engine, "alert_acks", [{"alert_id": i, "acked_by": "Lan", "acked_at": now, "note": None}
                                      for i in ids[1:]])
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM alerts WHERE id = {ids[-1]}")
        kept = column_values(engine, "alerts", "id, key, started_at", order="id")

        assert migrate.upgrade(engine) == ("0002_units_dated", migrate.head())
        assert column_values(engine, "alerts", "id, key, started_at", order="id") == kept
        insert(engine, "alerts", [{"family": "feedback", "kind": "source_failed", "key": "src-new", "severity": "high",
                                   "started_at": now + timedelta(hours=1), "ended_at": None, "details": "{}",
                                   "updated_at": now}])
        with engine.connect() as conn:
            new_id, acked = conn.exec_driver_sql(
                "SELECT a.id, k.acked_by FROM alerts a LEFT JOIN alert_acks k ON k.alert_id = a.id "
                "WHERE a.key = 'src-new'").one()
        assert new_id > ids[-1] and acked is None
    finally:
        engine.dispose()


def test_the_cap_english_revision_keeps_the_warnings_and_a_new_import_fills_their_english_texts(
        store_url: str) -> None:
    """0009_cap_english: a warning stored at 0008 keeps its row, with "" as its English
    description and instruction; the same message imported again (it has an English info) gets
    them, in place."""
    sent = datetime(2026, 10, 20, 1, 0)
    engine = make_engine(store_url)
    try:
        assert migrate.upgrade(engine, "0008_cameras") == (None, "0008_cameras")
        insert(engine, "cap_warnings", [{
            "source": "kttv-hue", "sender": "kttv.hue.gov.vn", "identifier": "m1", "sent": sent, "status": "Actual",
            "msg_type": "Alert", "scope": "Public", "category": "Met", "event": "Lũ trên sông Hương",
            "event_en": "Flood on the Hương river", "headline": "Lũ trên sông Hương",
            "headline_en": "Flood on the Hương river", "description": "Mực nước vượt báo động", "instruction": "",
            "severity": "Severe", "urgency": "Expected", "certainty": "Likely", "onset": sent, "expires": None,
            "area_desc": "Sông Hương tại Kim Long", "areas": "{}", "in_city": True, "ended_at": None,
            "ended_by": None, "refs": "", "updated_at": sent, "ingested_at": sent}])

        def stored() -> list[tuple[Any, ...]]:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.exec_driver_sql(
                    "SELECT id, identifier, description, instruction, description_en, instruction_en "
                    "FROM cap_warnings ORDER BY id")]

        assert migrate.upgrade(engine) == ("0008_cameras", migrate.head())
        [(row_id, *texts)] = stored()
        assert texts == ["m1", "Mực nước vượt báo động", "", "", ""]

        message = read_alert(cap_message("m1", sent.replace(tzinfo=UTC), instruction="Sơ tán vùng trũng",
                                         instruction_en="Evacuate low-lying areas"))
        assert warnings_store.ingest(engine, "kttv-hue", [message]).updated == 1
        assert stored() == [(row_id, "m1", "Mực nước vượt báo động", "Sơ tán vùng trũng", "Water above alarm level",
                             "Evacuate low-lying areas")]
    finally:
        engine.dispose()
