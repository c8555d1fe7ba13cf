"""Alerts of every family (thông tin cảnh báo): evaluation, acknowledgement, reading.

All episodes live in the shared ``alerts`` table (family, kind, key, severity, started_at,
ended_at NULL while active, details JSON). The environment family writes its own kinds
(``aqi_bad``, ``no_data``) on ingest; :func:`evaluate` owns the others
(:data:`~ioc.domain.alert_rules.MANAGED_KINDS`, rules in :mod:`ioc.domain.alert_rules`) and
never touches environment's rows. Times are naive UTC.

An evaluation, in one transaction: a condition that starts opens a row; while it holds, the
row's severity and details follow it; when it stops, ``ended_at`` is set — to when it really
ended where that is known (a source's next successful run, the end of the last surging traffic
hour), else to the evaluation's ``now``. The same condition again later is a new row. Evaluating
twice with nothing new changes nothing; the data version of family ``"alerts"`` is bumped only
when a row changed (acknowledgements bump it too).

Cost: source health reads the last runs per source; ``overdue_surge`` counts the last hour
through the partial index of open reports (``ix_feedback_open``) and its 7-day baseline once an
hour (cached in ``meta``; closed reports are reached through ``ix_feedback_received``, looking
back :data:`DEADLINE_REACH` before the window); ``violation_surge`` reads two hours of
``traffic_hour_rollup``; a spec's ``[[alerts]]`` (``spec_rule``) read the system's raw events
of the rule's window and of the same window a week before through ``ix_system_events_time``
(system, occurred_at), one grouped query per system and window, whatever the number of rules.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Select, and_, func, or_, select, text, update
from sqlalchemy.engine import Connection

from ioc.config import Settings
from ioc.domain import alert_rules as rules
from ioc.domain.alert_rules import Finding, Thresholds
from ioc.domain.feedback import CLOSED_STATUSES
from ioc.domain.stage import Stage, city_stage
from ioc.store import bulk, schema, schema_feedback
from ioc.store.db import bump_version, get_meta, json_dumps, set_meta, sql_ts, utcnow
from ioc.store.runs import NO_VERDICT, SourceHealth, source_health
from ioc.store.schema_alerts import MAX_ACK_NAME, MAX_ACK_NOTE, alert_acks
from ioc.store.schema_environment import alerts, env_stations
from ioc.store.schema_systems import system_events
from ioc.store.schema_traffic import traffic_hour_rollup

FAMILY = "alerts"  # the data version the wall polls
H = timedelta(hours=1)
#: how long before its deadline a closed report may have been received and still be found in
#: the overdue baseline (the default deadline is 7 working days: ≤ 18 calendar days over Tết)
DEADLINE_REACH = timedelta(days=60)
SEEN_META = "alerts:sources_first_seen"
BASELINE_META = "alerts:overdue_baseline"
REPORTS = schema_feedback.feedback_reports
OPEN_REPORTS = text(schema_feedback.OPEN_REPORT_SQL)  # literal: SQLite then uses the partial index
CLOSED_REPORTS = text("status IN ({})".format(", ".join(f"'{s}'" for s in CLOSED_STATUSES)))
RUNS = schema.collector_runs


@dataclass(frozen=True)
class Alert:
    """One episode, with its level on the common scale and its acknowledgement."""

    id: int
    family: str
    kind: str
    key: str
    severity: str  # as stored by the family
    rank: int  # 1 info … 5 emergency
    level: str  # info, warning, high, critical, emergency
    started_at: datetime
    ended_at: datetime | None
    details: dict[str, Any] = field(default_factory=dict)
    acked_by: str | None = None
    acked_at: datetime | None = None
    ack_note: str | None = None
    subject: str | None = None  # display name of ``key`` (station, unit), when there is one

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def acked(self) -> bool:
        return self.acked_by is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, times as ISO 8601 UTC (``Z``)."""
        out = asdict(self)
        for name in ("started_at", "ended_at", "acked_at"):
            out[name] = iso_utc(out[name])
        return out


def iso_utc(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(settings.alert_failures_high, settings.alert_overdue_min_count, settings.alert_overdue_factor,
                      settings.alert_violation_factor, settings.alert_violation_min_delta,
                      settings.alert_violation_high_factor)


# --------------------------------------------------------------------------- evaluation


def evaluate(engine: Engine, settings: Settings, now: datetime | None = None, *,
             sources: Collection[str] | None = None) -> dict[str, Any]:
    """Evaluate every rule at ``now`` (naive UTC) and write the episodes; see the module docstring.

    ``sources``: names of the configured sources (default: those of ``settings``); a source
    that is no longer configured raises no alert, and its open ones end. Returns counts of rows
    ``opened``/``updated``/``closed``, the ``active`` managed alerts, and the new ``version``
    of family ``"alerts"`` (None: nothing changed).
    """
    now = now or utcnow()
    th = thresholds(settings)
    if sources is None:
        from ioc.sources import load_sources

        sources = [s.name for s in load_sources(settings.sources_path)]
    configured = set(sources)
    health = [h for h in source_health(engine) if h.name in configured]
    with engine.begin() as conn:
        bulk.advisory_lock(conn, "alerts:evaluate")
        findings, ends = _source_findings(conn, health, now, th)
        findings += _overdue_findings(conn, now, th)
        findings += _traffic_findings(conn, now, settings.tz, th)
        findings += _spec_findings(conn, _spec_rules(), now, settings.tz)
        findings += _family_findings(conn, now)
        counts = _sync(conn, findings, ends, now)
        version = bump_version(conn, FAMILY) if any(counts.values()) else None
    return {**counts, "active": len(findings), "version": version, "at": iso_utc(now)}


def _source_findings(conn: Connection, health: list[SourceHealth], now: datetime, th: Thresholds
                     ) -> tuple[list[Finding], dict[str, datetime]]:
    """Findings per source, and when each source's problems ended if they did (its last success)."""
    seen = json.loads(get_meta(conn, SEEN_META) or "{}")
    if any(h.name not in seen for h in health):
        seen.update({h.name: now.isoformat() for h in health if h.name not in seen})
        set_meta(conn, SEEN_META, json_dumps(seen))
    out: list[Finding] = []
    for h in health:
        if h.last_status == "failed":
            first = _streak_start(conn, h.name, h.consecutive_failures) or now
            found = rules.source_failed(h.family, h.name, h.last_status, h.consecutive_failures, h.last_error,
                                        first, th)
            out += [found] if found else []
        configured = None
        if h.last_success_at is None:
            first_run = conn.execute(select(func.min(RUNS.c.started_at)).where(RUNS.c.source == h.name)).scalar()
            configured = min(t for t in (datetime.fromisoformat(seen[h.name]), first_run) if t is not None)
        stale = rules.source_stale(h.family, h.name, h.every_seconds, h.last_success_at, configured, now)
        out += [stale] if stale else []
    return out, {h.name: h.last_success_at for h in health if h.last_success_at is not None}


def _streak_start(conn: Connection, source: str, failures: int) -> datetime | None:
    """End of the first failed run of the current streak (the ``failures`` latest finished runs)."""
    rows = conn.execute(select(RUNS.c.finished_at).where(RUNS.c.source == source, RUNS.c.status.not_in(NO_VERDICT))
                        .order_by(RUNS.c.started_at.desc(), RUNS.c.id.desc()).limit(max(failures, 1))).all()
    return rows[-1][0] if rows else None


def baseline_window(now: datetime) -> tuple[datetime, datetime]:
    """The 168 whole hours whose overdue reports make the baseline: they end with the hour
    before the one holding ``now − 1 h``, so they never overlap the last 60 minutes."""
    hi = now.replace(minute=0, second=0, microsecond=0) - H
    return hi - rules.BASELINE_HOURS * H, hi


def overdue_statements(now: datetime) -> dict[str, Select]:
    """The three counts of ``overdue_surge`` (plans checked in tests/integration/test_alerts.py):
    ``last_hour`` and ``baseline_open`` read the partial index of open reports,
    ``baseline_closed`` the received_at index over the window plus :data:`DEADLINE_REACH`."""
    lo, hi = baseline_window(now)
    count = select(func.count()).select_from(REPORTS)
    in_window = and_(REPORTS.c.due_at >= lo, REPORTS.c.due_at < hi)
    return {
        "last_hour": count.where(OPEN_REPORTS, REPORTS.c.due_at >= now - H, REPORTS.c.due_at < now),
        "baseline_open": count.where(OPEN_REPORTS, in_window),
        "baseline_closed": count.where(CLOSED_REPORTS, REPORTS.c.received_at >= lo - DEADLINE_REACH,
                                       REPORTS.c.received_at < hi, in_window,
                                       REPORTS.c.resolved_at > REPORTS.c.due_at),
    }


def _overdue_findings(conn: Connection, now: datetime, th: Thresholds) -> list[Finding]:
    stmts = overdue_statements(now)
    count = int(conn.execute(stmts["last_hour"]).scalar_one())
    if count < th.overdue_min_count:  # below the floor whatever the baseline: skip the baseline
        return []
    found = rules.overdue_surge(count, _overdue_baseline(conn, now, stmts), now, th)
    return [found] if found else []


def _overdue_baseline(conn: Connection, now: datetime, stmts: dict[str, Select]) -> int:
    """Reports that went overdue in :func:`baseline_window` (cached in ``meta`` for the hour)."""
    hi = baseline_window(now)[1].isoformat()
    cached = json.loads(get_meta(conn, BASELINE_META) or "{}")
    if cached.get("until") == hi:
        return int(cached["count"])
    total = int(conn.execute(stmts["baseline_open"]).scalar_one()) + int(conn.execute(stmts["baseline_closed"])
                                                                         .scalar_one())
    set_meta(conn, BASELINE_META, json_dumps({"until": hi, "count": total}))
    return total


def last_complete_hour(now: datetime, tz: ZoneInfo) -> tuple[date, int, datetime]:
    """The last whole local hour before ``now`` (naive UTC): local date, local hour, UTC start."""
    local = now.replace(tzinfo=UTC).astimezone(tz)
    start = (local.replace(minute=0, second=0, microsecond=0).astimezone(UTC) - H).astimezone(tz)
    return start.date(), start.hour, start.astimezone(UTC).replace(tzinfo=None)


def _traffic_findings(conn: Connection, now: datetime, tz: ZoneInfo, th: Thresholds) -> list[Finding]:
    day, hour, start = last_complete_hour(now, tz)
    week_before = day - timedelta(days=7)
    r = traffic_hour_rollup
    # by current commune: a key that means the same place a week before, across the 2025 change
    rows = conn.execute(select(r.c.bucket, r.c.commune_code, func.sum(r.c.violations))
                        .where(r.c.bucket.in_([day, week_before]), r.c.hour == hour)
                        .group_by(r.c.bucket, r.c.commune_code)).all()
    now_by: dict[str, int] = {}
    before_by: dict[str, int] = {}
    for bucket, unit, n in rows:
        target = now_by if _as_date(bucket) == day else before_by
        for key in (rules.CITY, unit):
            if key:
                target[key] = target.get(key, 0) + int(n or 0)
    label = f"{day.isoformat()} {hour:02d}:00"
    out = [rules.violation_surge(key, n, before_by.get(key, 0), start, label, th) for key, n in sorted(now_by.items())]
    return [f for f in out if f is not None]


def _spec_rules() -> list[Any]:
    """The events specs of the registered families that declare ``[[alerts]]``."""
    from ioc.registry import registry

    specs = (f.spec for f in registry().families if f.spec is not None)
    return [s for s in specs if s.kind == "events" and s.alerts]


def local_window(day: date, hour: int | None, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Naive UTC bounds of local hour ``hour`` of ``day``, or of the whole local ``day`` (None)."""
    start = datetime.combine(day, time(hour or 0), tzinfo=tz)
    end = start + H if hour is not None else datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return tuple(x.astimezone(UTC).replace(tzinfo=None) for x in (start, end))  # type: ignore[return-value]


def spec_windows(window: str, now: datetime, tz: ZoneInfo) -> tuple[str, tuple[datetime, datetime],
                                                                      tuple[datetime, datetime]]:
    """A rule's last complete local ``window`` ("hour" or "day") before ``now`` (naive UTC): its
    local label, its UTC bounds, and those of the same local window seven days earlier."""
    if window == "hour":
        day, hour, _ = last_complete_hour(now, tz)
        label = f"{day.isoformat()} {hour:02d}:00"
    else:
        day, hour = now.replace(tzinfo=UTC).astimezone(tz).date() - timedelta(days=1), None
        label = day.isoformat()
    return label, local_window(day, hour, tz), local_window(day - timedelta(days=7), hour, tz)


def spec_window_statement(code: str, start: datetime, end: datetime) -> Select:
    """Events of system ``code`` in ``[start, end)`` (naive UTC) per (d1, d2, d3): count and sum of
    value, read through ``ix_system_events_time`` (plan checked in tests/integration/test_alerts_systems.py)."""
    e = system_events
    return (select(e.c.d1, e.c.d2, e.c.d3, func.count(), func.sum(e.c.value))
            .where(e.c.system == code, e.c.occurred_at >= start, e.c.occurred_at < end)
            .group_by(e.c.d1, e.c.d2, e.c.d3))


def _family_kinds() -> tuple[str, ...]:
    from ioc.registry import registry

    return tuple(kind for f in registry().families if f.alert_rules is not None for kind in f.alert_rules.kinds)


def replay(engine: Engine, start: datetime, end: datetime, step: timedelta = timedelta(hours=1),
           families: Collection[str] | None = None) -> dict[str, int]:
    """Evaluate the rules of the families whose findings can be computed for any past moment
    (:attr:`ioc.family.AlertRules.replayable`: warnings, rivers) at every ``step`` from
    ``start`` to ``end`` (naive UTC), so that history written at once (a first start's
    simulated year, an import of past observations) has the alerts it would have raised, each
    with its start and end. ``families``: only theirs (default: every replayable family's). One
    transaction per day of steps. Returns the rows opened and closed, and the steps evaluated."""
    from ioc.registry import registry

    owners = [f.alert_rules for f in registry().families if f.alert_rules is not None and f.alert_rules.replayable
              and (families is None or f.code in families)]
    kinds = tuple(k for r in owners for k in r.kinds)
    totals = {"opened": 0, "updated": 0, "closed": 0, "steps": 0}
    if not owners or end <= start:
        return totals
    at = start
    while at <= end:
        with engine.begin() as conn:
            bulk.advisory_lock(conn, "alerts:evaluate")
            stop = min(end, at + timedelta(days=1))
            changed = 0
            while at <= stop:
                found = [f for r in owners for f in r.find(conn, at)]
                counts = _sync(conn, found, {}, at, managed=kinds, past=True)
                changed += sum(counts.values())
                for name, n in counts.items():
                    totals[name] += n
                totals["steps"] += 1
                at += step
            if changed:
                bump_version(conn, FAMILY)
    return totals


def _family_findings(conn: Connection, now: datetime) -> list[Finding]:
    """What the families that declare alert rules of their own (:attr:`ioc.family.Family.alert_rules`) find."""
    from ioc.registry import registry

    return [found for f in registry().families if f.alert_rules is not None for found in f.alert_rules.find(conn, now)]


def _spec_findings(conn: Connection, specs: list[Any], now: datetime, tz: ZoneInfo) -> list[Finding]:
    out: list[Finding] = []
    for spec in specs:
        read: dict[tuple[datetime, datetime], list[Any]] = {}  # a window's groups, read once for all rules
        for rule in spec.alerts:
            label, current, week_before = spec_windows(rule.window, now, tz)
            for bounds in (current, week_before):
                if bounds not in read:
                    read[bounds] = conn.execute(spec_window_statement(spec.code, *bounds)).all()
            wanted = {spec.dimension(name).column: set(codes) for name, codes in rule.where.items()}
            found = rules.spec_rule(spec.code, rule, _measure(read[current], wanted, rule.measure),
                                    _measure(read[week_before], wanted, rule.measure), *current, label)
            out += [found] if found else []
    return out


def _measure(groups: list[Any], wanted: dict[str, set[str]], measure: str) -> float:
    """A rule's count (or value sum) over the (d1, d2, d3, count, sum) groups matching ``wanted``."""
    total = 0.0
    for d1, d2, d3, n, value_sum in groups:
        codes = {"d1": d1, "d2": d2, "d3": d3}
        if all(codes[column] in allowed for column, allowed in wanted.items()):
            total += (n or 0) if measure == "count" else float(value_sum or 0.0)
    return total


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


def _end_of(row: Any, ends: dict[str, datetime], now: datetime) -> datetime:
    """When an episode that no longer holds ended (never before it started, never after now)."""
    end = now
    if row.kind in rules.SOURCE_KINDS and ends.get(row.key) is not None:
        end = ends[row.key]
    elif row.kind == "violation_surge":
        hour_end = json.loads(row.details or "{}").get("hour_end_utc")
        end = datetime.fromisoformat(hour_end) if hour_end else now
    elif row.kind == "spec_rule":  # the end of the last window the rule held in
        window_end = json.loads(row.details or "{}").get("window_end_utc")
        end = datetime.fromisoformat(window_end) if window_end else now
    elif json.loads(row.details or "{}").get("ends_utc"):  # a family's rule that knows its end (a warning's expiry)
        end = datetime.fromisoformat(json.loads(row.details)["ends_utc"])
    return max(row.started_at, min(end, now))


def _sync(conn: Connection, findings: list[Finding], ends: dict[str, datetime], now: datetime,
          managed: tuple[str, ...] | None = None, past: bool = False) -> dict[str, int]:
    """Write ``findings`` as the active alerts of the ``managed`` kinds at ``now``. ``past``: a
    replay of an earlier moment, which leaves alone the episodes that started after it (the
    live evaluation's)."""
    managed = managed or (*rules.MANAGED_KINDS, *_family_kinds())
    stmt = select(alerts).where(alerts.c.kind.in_(managed), alerts.c.ended_at.is_(None))
    if past:
        stmt = stmt.where(alerts.c.started_at <= now)
    active = conn.execute(stmt.order_by(alerts.c.started_at)).all()
    by_key = {(r.family, r.kind, r.key): r for r in active}  # a duplicate (never expected) ends below
    stray = [r for r in active if by_key[(r.family, r.kind, r.key)] is not r]
    opened = updated = 0
    for f in findings:
        row = by_key.pop((f.family, f.kind, f.key), None)
        if row is not None:
            if row.severity != f.severity or json.loads(row.details or "{}") != f.details:
                conn.execute(update(alerts).where(alerts.c.id == row.id).values(
                    severity=f.severity, details=json_dumps(f.details), updated_at=now))
                updated += 1
            continue
        same = and_(alerts.c.family == f.family, alerts.c.kind == f.kind, alerts.c.key == f.key,
                    alerts.c.started_at == f.started_at)
        values = {"severity": f.severity, "ended_at": None, "details": json_dumps(f.details), "updated_at": now}
        if not conn.execute(update(alerts).where(same).values(**values)).rowcount:  # the same episode, re-opened
            conn.execute(alerts.insert().values(family=f.family, kind=f.kind, key=f.key, started_at=f.started_at,
                                                **values))
        opened += 1
    closing = [*by_key.values(), *stray]
    for row in closing:
        conn.execute(update(alerts).where(alerts.c.id == row.id).values(ended_at=_end_of(row, ends, now),
                                                                        updated_at=now))
    return {"opened": opened, "updated": updated, "closed": len(closing)}


# --------------------------------------------------------------------------- acknowledgement


def acknowledge(engine: Engine, alert_id: int, who: str, note: str | None = None,
                now: datetime | None = None) -> Alert:
    """Record that ``who`` acknowledged alert ``alert_id`` at ``now`` (naive UTC); returns the alert.

    The first acknowledgement stands: a second one changes nothing and the alert returned
    carries the first (``acked_by``, ``acked_at``, ``ack_note``). Raises ``ValueError`` naming
    the problem for an unknown id, an empty name, or a name or note that is too long.
    """
    if isinstance(alert_id, bool) or not isinstance(alert_id, int):
        raise ValueError(f"alert id must be a whole number, not {alert_id!r}")
    name = (who or "").strip()
    if not name:
        raise ValueError("the name of who acknowledges is empty")
    if len(name) > MAX_ACK_NAME:
        raise ValueError(f"the name of who acknowledges is {len(name)} characters long (at most {MAX_ACK_NAME})")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_ACK_NOTE:
        raise ValueError(f"the note is {len(note)} characters long (at most {MAX_ACK_NOTE})")
    now = now or utcnow()
    with engine.begin() as conn:
        if conn.execute(select(alerts.c.id).where(alerts.c.id == alert_id)).first() is None:
            raise ValueError(f"no alert with id {alert_id}")
        created = conn.execute(text(
            "INSERT INTO alert_acks (alert_id, acked_by, acked_at, note) VALUES (:a, :b, :t, :n) "
            "ON CONFLICT (alert_id) DO NOTHING"),
            {"a": alert_id, "b": name, "t": sql_ts(conn, now), "n": note}).rowcount == 1
        if created:
            bump_version(conn, FAMILY)
        return _alerts(conn, conn.execute(_select().where(alerts.c.id == alert_id)).all())[0]


# --------------------------------------------------------------------------- reading


def _select():  # noqa: ANN202 - SQLAlchemy statement
    return select(alerts, alert_acks.c.acked_by, alert_acks.c.acked_at, alert_acks.c.note.label("ack_note")).select_from(
        alerts.outerjoin(alert_acks, alert_acks.c.alert_id == alerts.c.id))


def _subject_of(row: Any) -> tuple[str, str] | None:
    """Which table names the row's key: ("station", id), ("unit", code) or None (a source name, "city")."""
    if row.family == "environment" and row.kind in ("aqi_bad", "no_data"):
        return ("station", row.key)
    if row.kind == "violation_surge" and row.key != rules.CITY:
        return ("unit", row.key)
    return None


def _subjects(conn: Connection, rows: list[Any]) -> dict[tuple[str, str], str]:
    wanted = {s for s in map(_subject_of, rows) if s is not None}
    out: dict[tuple[str, str], str] = {}
    for table, id_col, what in ((env_stations, env_stations.c.station_id, "station"),
                                (schema.units, schema.units.c.code, "unit")):
        keys = sorted(k for w, k in wanted if w == what)
        if keys:
            order = (schema.units.c.valid_from,) if what == "unit" else ()  # a code's latest version names it
            for key, name in conn.execute(select(id_col, table.c.name).where(id_col.in_(keys)).order_by(*order)):
                out[(what, key)] = name
    return out


def _alerts(conn: Connection, rows: list[Any]) -> list[Alert]:
    names = _subjects(conn, rows)
    out = []
    for r in rows:
        try:
            details = json.loads(r.details or "{}")
        except ValueError:
            details = {"raw": r.details}
        level = rules.level_of(r.family, r.kind, r.severity)
        subject = _subject_of(r)
        out.append(Alert(int(r.id), r.family, r.kind, r.key, r.severity, rules.RANK[level], level, r.started_at,
                         r.ended_at, details if isinstance(details, dict) else {"value": details},
                         r.acked_by, r.acked_at, r.ack_note, names.get(subject) if subject else None))
    return out


def current_alerts(engine: Engine, now: datetime | None = None, limit: int | None = 200) -> list[Alert]:
    """Alerts active at ``now`` (default: those without an end), every family's, worst first then newest."""
    stmt = _select()
    if now is None:
        stmt = stmt.where(alerts.c.ended_at.is_(None))
    else:
        stmt = stmt.where(alerts.c.started_at <= now, or_(alerts.c.ended_at.is_(None), alerts.c.ended_at > now))
    with engine.connect() as conn:
        found = _alerts(conn, conn.execute(stmt).all())
    found.sort(key=lambda a: (a.started_at, a.id), reverse=True)
    found.sort(key=lambda a: -a.rank)  # stable: newest first within a level
    return found if limit is None else found[:limit]


def alert_by_id(engine: Engine, alert_id: int) -> Alert | None:
    """One episode by its id (None: no such alert)."""
    with engine.connect() as conn:
        found = _alerts(conn, conn.execute(_select().where(alerts.c.id == alert_id)).all())
    return found[0] if found else None


def recent_alerts(engine: Engine, since: datetime, until: datetime | None = None, family: str | None = None,
                  limit: int = 500) -> list[Alert]:
    """Episodes overlapping [since, until) (naive UTC; until default: open-ended), ended ones too, newest first."""
    stmt = _select().where(or_(alerts.c.ended_at.is_(None), alerts.c.ended_at > since))
    if until is not None:
        stmt = stmt.where(alerts.c.started_at < until)
    if family is not None:
        stmt = stmt.where(alerts.c.family == family)
    stmt = stmt.order_by(alerts.c.started_at.desc(), alerts.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return _alerts(conn, conn.execute(stmt).all())


def current_stage(engine: Engine, now: datetime | None = None) -> Stage:
    """The city's operational stage from every active alert (:func:`ioc.domain.stage.city_stage`)."""
    return city_stage(current_alerts(engine, now, limit=None))
