"""``python -m ioc``: the command line. Exit 0 on success; on bad input one line on stderr
and a non-zero code (2 for usage and input errors, 1 for a failed run)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from ioc.cli_access import AccessCliError
from ioc.config import ConfigError, add_speed_argument, settings, use_simulator_speed
from ioc.domain.local_time import utcnow
from ioc.kpi.periods import FilterError, Period, parse_date, to_local
from ioc.privacy import install_log_masking
from ioc.sources import ConfigurationError


class CliError(Exception):
    """A one-line message for the user; exit code 2."""


def _context():  # noqa: ANN202
    from ioc.context import context

    return context()


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def cmd_reset_watermark(args: argparse.Namespace) -> int:
    from ioc.store.runs import reset_watermark

    ctx = _context()
    if args.name not in {s.name for s in ctx.sources}:
        raise CliError(f"no configured source named {args.name!r} (see `python -m ioc sources`)")
    old = reset_watermark(ctx.engine, args.name)
    print(f"{args.name}: watermark {'reset (was ' + old[:200] + ')' if old else 'was not set'}")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from ioc.store.db import utcnow
    from ioc.store.runs import source_health

    ctx = _context()
    now = utcnow()
    health = {h.name: h for h in source_health(ctx.engine)}
    rows = []
    for spec in ctx.sources:
        h = health.get(spec.name)
        lag = h.lag_seconds(now) if h else None
        rows.append({
            "name": spec.name, "type": spec.type, "family": spec.family, "every_seconds": spec.every_seconds,
            "last_run": to_local(h.last_run_at, ctx.tz).isoformat(sep=" ", timespec="seconds")
            if h and h.last_run_at else None,
            "status": h.last_status if h else None,
            "freshness": h.freshness(now) if h else "never",
            "lag_seconds": round(lag) if lag is not None else None,
            "lag_vs_cadence": round(lag / spec.every_seconds, 1) if lag is not None else None,
            "consecutive_failures": h.consecutive_failures if h else 0,
            **(h.last_counts if h else {}),
            "error": h.last_error if h else None,
        })
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    header = f"{'name':<24} {'type':<10} {'family':<9} {'every':>6} {'last run (local)':<20} {'status':<7} " \
             f"{'fresh':<6} {'lag×':>6} {'fetched':>8} {'ins':>6} {'upd':>6} {'same':>6} {'rej':>5}  error"
    print(header)
    for r in rows:
        print(f"{r['name']:<24} {r['type']:<10} {r['family']:<9} {r['every_seconds']:>5}s {_fmt(r['last_run']):<20} "
              f"{_fmt(r['status']):<7} {r['freshness']:<6} {_fmt(r['lag_vs_cadence']):>6} "
              f"{r.get('fetched', 0):>8} {r.get('inserted', 0):>6} {r.get('updated', 0):>6} "
              f"{r.get('unchanged', 0):>6} {r.get('rejected', 0):>5}  {r['error'] or ''}")
    return 0


def _print_outcome(outcome: Any, as_json: bool, extra: dict[str, Any] | None = None) -> int:
    data = {"source": outcome.source, "status": outcome.status, **outcome.counts, "error": outcome.error,
            **(extra or {})}
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        counts = " ".join(f"{k}={v}" for k, v in outcome.counts.items())
        print(f"{outcome.source}: {outcome.status} {counts}" + (f" error: {outcome.error}" if outcome.error else ""))
    return 0 if outcome.status == "ok" else 1


def cmd_collect(args: argparse.Namespace) -> int:
    from ioc.collect import run_source

    ctx = _context()
    try:
        spec = ctx.source(args.name)
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None
    return _print_outcome(run_source(ctx, spec), args.json)


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    from ioc.collect import ids_under_other_imports, import_file

    ctx = _context()
    outcome = import_file(ctx, args.family, path, source_name=args.source, show_progress=not args.quiet)
    twice = ids_under_other_imports(ctx, args.family, outcome.source) if outcome.status == "ok" else {}
    code = _print_outcome(outcome, args.json, {"also_under": twice} if args.json else None)
    for other, count in sorted(twice.items()):
        print(f"warning: {count} record(s) of {outcome.source} are also stored under {other} and are counted "
              f"twice; import the file under that name again (--source {other.removeprefix('import:')}) "
              "to update them instead", file=sys.stderr)
    if outcome.counts.get("rejected") and not args.json:
        from ioc.privacy import mask_text
        from ioc.store.runs import quarantined

        for row in quarantined(_context().engine, outcome.source, limit=20):
            if row["run_id"] == outcome.run_id:
                print(f"  rejected {mask_text(row['location'])}: {mask_text(row['reason'])}", file=sys.stderr)
    return code


def cmd_simulate(args: argparse.Namespace) -> int:
    from ioc.registry import registry
    from ioc.runtime import backfill_source, simulator_sources
    from ioc.sources import parse_sources

    if args.days < 1 or args.days > 3660:
        raise CliError("--days must be between 1 and 3660")
    ctx = _context()
    specs = simulator_sources(ctx, args.family) or [
        s for s in parse_sources({"sources": registry().default_sources()}, "default sources")
        if s.type == "simulator" and args.family in (None, s.family)
    ]
    if not specs:
        raise CliError(f"no simulator for family {args.family!r}")
    for spec in specs:
        stored = backfill_source(ctx, spec, args.days, args.seed)
        print(f"simulated {args.days} days of {spec.family} (seed {args.seed}, source {spec.name}): "
              f"{stored} records stored or updated")
    return 0


def _period(args: argparse.Namespace, tz: Any) -> Period:
    """``--from`` / ``--to``: the first and the last local date, both included (as a page's
    ``?from=…&to=…``); the period is [from, to + 1 day). Default: the last 365 days, today included."""
    from ioc.kpi.periods import default_period
    from ioc.store.db import utcnow

    default = default_period(to_local(utcnow(), tz).date())  # "today" in IOC_TIMEZONE, not the machine's
    try:
        start = parse_date(args.date_from, "--from") if args.date_from else default.start
        last = parse_date(args.date_to, "--to") if args.date_to else default.end - timedelta(days=1)
        if last < start:
            raise FilterError(f"--to {last} is before --from {start} (both days are included)")
        return Period(start, last + timedelta(days=1))
    except FilterError as exc:
        raise CliError(str(exc)) from None


def cmd_kpi(args: argparse.Namespace) -> int:
    from ioc.family import UnsupportedFilter
    from ioc.registry import registry
    from ioc.store.db import utcnow

    family = registry().family(args.family)
    ctx = _context()
    period = _period(args, ctx.tz)
    try:
        filters = family.check_filters({name: getattr(args, name) for name in _filter_names()})
    except UnsupportedFilter as exc:
        raise CliError(str(exc)) from None
    kpis = family.kpis(ctx.engine, period, filters, ctx.tz, utcnow())
    if args.json:
        print(json.dumps(kpis, ensure_ascii=False, default=str))
    else:
        print(f"{args.family} KPIs for {period.start} → {period.end - timedelta(days=1)} (both included), "
              f"local time {ctx.tz}")
        for key, value in kpis.items():
            print(f"  {key:<26} {_fmt(value)}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """A brief of every family's KPIs for --from … --to … as a PDF or an XLSX (ioc/brief.py)."""
    from ioc.brief import BriefError, collect_brief, make_report
    from ioc.store.db import utcnow

    out = Path(args.out)
    if out.is_dir():
        raise CliError(f"--out {out}: a directory; give the file to write, e.g. {out / ('brief.' + args.format)}")
    if not out.parent.is_dir():
        raise CliError(f"--out {out}: no such directory {out.parent}")
    ctx = _context()
    period = _period(args, ctx.tz)
    lang = args.lang or ctx.settings.lang
    filters = {name: getattr(args, name) for name in _filter_names()}
    try:
        brief = collect_brief(ctx.engine, ctx.settings, period, filters, simulated=ctx.simulated, now=utcnow())
        data = make_report(brief, args.format, lang)
    except BriefError as exc:
        raise CliError(str(exc)) from None
    out.write_bytes(data)
    print(f"{out}: {args.format} brief for {period.start} → {period.end - timedelta(days=1)} (both included), "
          f"{lang}, {len(data)} bytes")
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from ioc.scheduler import build_scheduler, stop_scheduler

    if args.speed is not None:
        use_simulator_speed(args.speed)
    ctx = _context()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if args.backfill:
        from ioc.runtime import backfill_simulators

        stored = backfill_simulators(ctx)
        print(f"scheduler: simulated history {'written: ' + str(stored) + ' records' if stored else 'already there'}",
              flush=True)
    print(f"scheduler: {len(ctx.sources)} source(s): {', '.join(s.name for s in ctx.sources)}; "
          f"alerts every {ctx.settings.alerts_every_s} s (0: off)", flush=True)
    if ctx.simulated and ctx.settings.simulator_speed > 1:
        print(f"scheduler: live simulators at {ctx.settings.simulator_speed:g} × the city's pace", flush=True)
    cancel = threading.Event()  # this process's shutdown: every running collector sees it
    scheduler = build_scheduler(ctx, blocking=True, cancel=cancel)

    def stop(signum: int, _frame: Any) -> None:
        if cancel.is_set():
            return  # already stopping: a second signal must not break off the orderly shutdown
        print(f"scheduler: {signal.Signals(signum).name}: stopping the running collectors", flush=True)
        cancel.set()
        raise SystemExit(0)  # out of start() below, into the orderly shutdown

    # systemctl stop / docker stop send SIGTERM, Ctrl-C SIGINT: the cancel event stops the running
    # fetches at their next check, their runs are recorded as stopped and their locks released,
    # so a restarted scheduler runs its sources at once.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop_scheduler(scheduler, cancel)
    print("scheduler: stopped", flush=True)
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from ioc.registry import registry

    ctx = _context()
    for family in registry().families:
        if family.rebuild is not None:
            print(f"rebuilt {family.code} from {family.rebuild(ctx.engine, ctx.tz)} records "
                  f"(local time {ctx.tz})", flush=True)
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """The store's schema: ``upgrade`` (then rebuild the rollups a migration left stale),
    ``current``, ``history``. Never opens the store through init_db, which refuses an outdated
    one."""
    from ioc.store import migrate

    if args.action == "history":
        head = migrate.head()
        for script in migrate.history():
            mark = " (head)" if script.revision == head else ""
            print(f"{script.revision}{mark}: {(script.doc or '').strip().splitlines()[0] if script.doc else ''}")
        return 0
    from ioc.store.db import make_engine

    cfg = settings()
    engine = make_engine(cfg.database_url)
    try:
        if args.action == "current":
            return _db_current(engine)
        return _db_upgrade(engine, args.revision, cfg.tz)
    finally:
        engine.dispose()


def _db_current(engine: Any) -> int:
    from ioc.store import migrate

    head = migrate.head()
    with engine.connect() as conn:
        rev, stamped = migrate.current(conn), migrate.stamped(conn)
    if rev is None:
        print(f"empty database: no store yet (head {head}; `{migrate.UPGRADE_COMMAND}` creates it)")
    elif rev == head:
        print(f"{rev} (head)")
    else:
        pre = "" if stamped else ", a store of the release before migrations"
        print(f"{rev} (behind head {head}{pre}: run `{migrate.UPGRADE_COMMAND}`)")
    return 0


def _db_upgrade(engine: Any, revision: str, tz: Any) -> int:
    import time

    from alembic.util import CommandError

    from ioc.registry import registry
    from ioc.store import migrate, schema
    from ioc.store.db import get_meta, init_db

    started = time.monotonic()
    head = migrate.head()
    before = migrate.current(engine)
    try:
        if before is None and revision in ("head", head):
            init_db(engine)  # a new store: create_all + seed + stamped at head
            after = migrate.current(engine)
            print(f"db upgrade: new store created at {after} (head)", flush=True)
        else:
            before, after = migrate.upgrade(engine, revision, tz)
            if before == after:
                print(f"db upgrade: already at {after}{' (head)' if after == head else ''}, no migration to run",
                      flush=True)
            else:
                print(f"db upgrade: {before or 'empty database'} → {after}{' (head)' if after == head else ''}",
                      flush=True)
    except CommandError as exc:
        raise CliError(f"db upgrade: {exc}") from None
    with engine.connect() as conn:
        stale = get_meta(conn, migrate.ROLLUPS_STALE)
    if stale is not None:
        if after != head:
            print(f"rollups are stale ({stale}): they are rebuilt once the store is at head {head}", flush=True)
        else:
            for family in registry().families:
                if family.rebuild is not None:
                    print(f"rebuilt the rollups of {family.code} from {family.rebuild(engine, tz)} records "
                          f"(local time {tz})", flush=True)
            with engine.begin() as conn:
                conn.execute(schema.meta.delete().where(schema.meta.c.key == migrate.ROLLUPS_STALE))
    print(f"db upgrade: done in {time.monotonic() - started:.1f} s", flush=True)
    return 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    from ioc.privacy import mask_text
    from ioc.store.runs import quarantined

    # A reason can quote the rejected value (a validation error names its input): the one rule
    # for citizens' text applies here too.
    for row in quarantined(_context().engine, args.source, args.limit):
        print(f"{row['quarantined_at']:%Y-%m-%d %H:%M:%S} {row['source']} {mask_text(row['location'])}: "
              f"{mask_text(row['reason'])}")
    return 0


def cmd_aqi(args: argparse.Namespace) -> int:  # environment
    """VN_AQI calculator (Decision 1459): daily, hourly or a NowCast; no store needed."""
    from ioc import aqi_calculator as calc

    try:
        if args.nowcast:
            if args.hours is None:
                raise CliError("--nowcast needs --hours (hourly means, newest first, e.g. 20.6,19.6,,22.4)")
            result = calc.nowcast(args.nowcast, args.hours)
        elif args.hours is not None:
            raise CliError("--hours goes with --nowcast pm25|pm10")
        else:
            result = calc.daily(args.daily) if args.daily else calc.hourly(args.hourly)
    except calc.CalculatorError as exc:
        raise CliError(str(exc)) from None
    print(json.dumps(result, ensure_ascii=False) if args.json else calc.as_text(result))
    return 0


# --- alerts: every family's, the city stage, acknowledgement ---------------------------------


def _alert_row(alert: Any, lang: str, tz: Any) -> dict[str, Any]:
    from ioc.i18n_alerts import describe

    return {**alert.as_dict(), "text": describe(alert, lang, tz)}


def _local(value: Any, tz: Any) -> str:
    return "—" if value is None else to_local(value, tz).isoformat(sep=" ", timespec="minutes")


def cmd_alerts(args: argparse.Namespace) -> int:
    """Current alerts and the city stage, or the history with --all; ``ack`` and ``evaluate`` actions."""
    from datetime import UTC, datetime, time, timedelta

    from ioc.alerts import current_alerts, recent_alerts
    from ioc.domain.stage import city_stage
    from ioc.store.db import utcnow

    if args.action == "ack":
        return _alerts_ack(args)
    if args.action == "evaluate":
        return _alerts_evaluate(args)
    if args.since and not args.all:
        raise CliError("--since goes with --all (the history, ended alerts included)")
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    ctx = _context()
    lang = args.lang or ctx.settings.lang
    active = current_alerts(ctx.engine, limit=None)
    stage = city_stage(active)
    if args.all:
        today = to_local(utcnow(), ctx.tz).date()
        day = parse_date(args.since, "--since") if args.since else today - timedelta(days=7)
        since = datetime.combine(day, time(0), tzinfo=ctx.tz).astimezone(UTC).replace(tzinfo=None)
        listed = recent_alerts(ctx.engine, since, family=args.family, limit=args.limit)
    else:
        listed = [a for a in active if args.family in (None, a.family)][:args.limit]
    if args.json:
        print(json.dumps({"stage": {"level": stage.level, "code": stage.code, "name": stage.name(lang),
                                    "colour": stage.colour, "reasons": [a.id for a in stage.reasons]},
                          "alerts": [_alert_row(a, lang, ctx.tz) for a in listed]}, ensure_ascii=False, indent=2))
        return 0
    why = ", ".join(f"#{a.id}" for a in stage.reasons[:10])
    print(f"{stage.label(lang)} ({stage.code}, {stage.colour})" + (f" set by {why}" if why else ""))
    print(f"{len(listed)} alert(s){' since ' + str(since) + ' UTC' if args.all else ' active'}, local time {ctx.tz}")
    print(f"{'id':>6} {'level':<9} {'family':<11} {'kind':<15} {'started':<16} {'ended':<16} {'ack':<20} text")
    for a in listed:
        ack = f"{a.acked_by[:19]}" if a.acked_by else "—"
        print(f"{a.id:>6} {a.level:<9} {a.family:<11} {a.kind:<15} {_local(a.started_at, ctx.tz):<16} "
              f"{_local(a.ended_at, ctx.tz):<16} {ack:<20} {_alert_row(a, lang, ctx.tz)['text']}")
    return 0


def _alerts_ack(args: argparse.Namespace) -> int:
    from ioc.alerts import acknowledge
    from ioc.store.db import utcnow

    ctx = _context()
    now = utcnow()
    try:
        alert = acknowledge(ctx.engine, args.id, args.by, args.note, now=now)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    created = alert.acked_at == now and alert.acked_by == args.by.strip()
    if created:
        from ioc import audit
        from ioc.cli_access import cli_actor

        audit.record(ctx.engine, cli_actor(), "acknowledge", target=f"alert {alert.id}",
                     detail={"by": alert.acked_by, **({"note": args.note} if args.note else {})})
    if args.json:
        print(json.dumps({**_alert_row(alert, ctx.settings.lang, ctx.tz), "created": created}, ensure_ascii=False))
    elif created:
        print(f"alert {alert.id} acknowledged by {alert.acked_by} at {_local(alert.acked_at, ctx.tz)} ({ctx.tz})")
    else:
        print(f"alert {alert.id} was already acknowledged by {alert.acked_by} at {_local(alert.acked_at, ctx.tz)} "
              f"({ctx.tz}); the first acknowledgement is kept")
    return 0


def _alerts_evaluate(args: argparse.Namespace) -> int:
    from ioc.alerts import evaluate

    ctx = _context()
    result = evaluate(ctx.engine, ctx.settings, sources=[s.name for s in ctx.sources])
    if result["version"] is not None:
        ctx.notifier.publish("alerts", result["version"])
    print(json.dumps(result) if args.json else
          "alerts evaluated: {opened} opened, {updated} updated, {closed} closed, {active} active".format(**result))
    return 0


def _unit_json(unit: Any, parent: str | None) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "short_name": unit.short_name, "kind": unit.kind,
            "level": unit.level, "parent": parent, "lat": unit.lat, "lon": unit.lon, "area_km2": unit.area_km2,
            "valid_from": None if unit.valid_from.year == 1 else unit.valid_from.isoformat(),
            "valid_to": unit.valid_to.isoformat() if unit.valid_to else None, "source": unit.source}


def cmd_units(args: argparse.Namespace) -> int:
    """The administrative units in force on a local date (the store's units table)."""
    from ioc.domain.units import LEVELS
    from ioc.store.db import load_units

    ctx = _context()
    day = parse_date(args.on, "--on") if args.on else to_local(utcnow(), ctx.tz).date()
    with ctx.engine.connect() as conn:
        units = load_units(conn)
    rows = [u for u in units.on(day)
            if u.administrative and u.level in LEVELS and (args.level is None or u.level == args.level)]
    if args.json:
        print(json.dumps([_unit_json(u, u.parent_code) for u in rows], ensure_ascii=False, indent=1))
        return 0
    counts = {level: sum(1 for u in rows if u.level == level) for level in LEVELS}
    print(f"{day.isoformat()}: " + ", ".join(f"{n} {level}" for level, n in counts.items() if n))
    for u in rows:
        print(f"{u.code:>6}  {u.level:<8}  {u.name:<40}  parent {u.parent_code or '—':<4}  "
              f"from {_unit_json(u, None)['valid_from'] or '…':<10}  to {_unit_json(u, None)['valid_to'] or '…'}")
    return 0


def _filter_names() -> dict[str, list[str]]:
    """Every family's KPI filter name → the families that take it (the ``kpi`` flags)."""
    from ioc.registry import registry

    names: dict[str, list[str]] = {}
    for family in registry().families:
        for flag in family.flags:
            names.setdefault(flag, []).append(family.code)
    return names


def build_parser() -> argparse.ArgumentParser:
    from ioc.registry import registry

    families = list(registry().codes)
    parser = argparse.ArgumentParser(prog="python -m ioc", description="IOC dashboard: collectors, store and KPIs.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("units", help="the administrative units in force on a date (effective-dated, from the store)")
    p.add_argument("--on", metavar="YYYY-MM-DD", help="local date (default: today)")
    p.add_argument("--level", choices=("province", "district", "commune"), help="only this level")
    p.add_argument("--json", action="store_true", help="a JSON list of {code, name, level, parent, …}")
    p.set_defaults(func=cmd_units)

    p = sub.add_parser("sources", help="configured sources and their health (last run, status, counts, lag)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sources)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    a = actions.add_parser("reset-watermark", help="forget a source's watermark (one left in the future blocks it); "
                           "its next run re-reads from start_date or the default history, upserting")
    a.add_argument("name")
    a.set_defaults(func=cmd_reset_watermark)

    p = sub.add_parser("collect", help="run one source once, now")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("import", help="bulk import of a CSV or XLSX file")
    p.add_argument("family", choices=families)
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--source", metavar="NAME", help="store the records under import:NAME (default: the file's name); "
                                                   "the same NAME again updates them")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("simulate", help="backfill simulated history (labelled as simulated)")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--seed", type=int, default=2023)
    p.add_argument("--family", choices=families,
                   help="only this family (default: every configured simulator)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("kpi", help="the KPI set of a family for local dates from FROM to TO, both included "
                       "(as a page's ?from=…&to=…)")
    p.add_argument("family", choices=families)
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD",
                   help="first local date included (default: 364 days ago)")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD",
                   help="last local date included (default: today); --from 2026-12-02 --to 2026-12-02 is that one day")
    for name, takers in _filter_names().items():
        p.add_argument(f"--{name}", help=f"filter of {', '.join(takers)}")
    p.add_argument("--json", action="store_true", help="one JSON object keyed by KPI name")
    p.set_defaults(func=cmd_kpi)

    p = sub.add_parser("report", help="a brief of every family's KPIs against their targets, for local dates "
                       "FROM to TO (both included), as PDF or XLSX")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD",
                   help="first local date included (default: 364 days ago)")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last local date included (default: today)")
    p.add_argument("--format", choices=("pdf", "xlsx"), default="pdf")
    p.add_argument("--lang", choices=("vi", "en"), help="language of the brief (default: IOC_LANG)")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    for name, takers in _filter_names().items():
        p.add_argument(f"--{name}", help=f"filter of {', '.join(takers)} (the other families are not filtered)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("scheduler", help="run the scheduler alone (production)")
    p.add_argument("--backfill", action="store_true",
                   help="first write the simulated history of simulator sources (once per deployment)")
    add_speed_argument(p)
    p.set_defaults(func=cmd_scheduler)

    p = sub.add_parser("rebuild-rollups", help="recompute what depends on the time zone (rollup buckets, local deadlines) from raw records, every family")
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser("db", help="the store's schema: upgrade (migrations), current revision, history")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("upgrade", help="run the schema migrations the store lacks (creates a new store), "
                                           "then rebuild the rollups they left stale")
    a.add_argument("--revision", default="head", help="stop at this revision (default: head)")
    actions.add_parser("current", help="the store's schema revision, and whether it is the head")
    actions.add_parser("history", help="every schema revision, oldest first")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("quarantine", help="rejected records with their reasons")
    p.add_argument("--source")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_quarantine)

    # --- environment: the VN_AQI calculator ---------------------------------------------------
    p = sub.add_parser("aqi", help="VN_AQI (Decision 1459) of given concentrations, or a PM NowCast")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--daily", nargs="+", metavar="POLLUTANT=VALUE",
                      help="24-h PM means, day max of co/so2/no2/o3_1h, o3_8h max (µg/m³, or …ppb/ppm/mg/m3)")
    mode.add_argument("--hourly", nargs="+", metavar="POLLUTANT=VALUE",
                      help="PM NowCasts and the hour's gas means (µg/m³, or …ppb/ppm/mg/m3)")
    mode.add_argument("--nowcast", metavar="pm25|pm10", help="NowCast of the --hours given")
    p.add_argument("--hours", help="hourly means in µg/m³, newest first, comma-separated; empty = missing hour")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_aqi)

    # --- alerts -------------------------------------------------------------------------------
    p = sub.add_parser("alerts", help="current alerts of every family and the city stage; ack; history with --all")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="the history, ended alerts included (default: the last 7 days)")
    p.add_argument("--since", help="with --all: first local date, YYYY-MM-DD")
    p.add_argument("--family", help="only this family's alerts, e.g. environment")
    p.add_argument("--lang", choices=["vi", "en"], help="language of the text (default: IOC_LANG)")
    p.add_argument("--limit", type=int, default=500)
    p.set_defaults(func=cmd_alerts, action=None)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    a = actions.add_parser("ack", help="acknowledge an alert: who and when are recorded; the first ack stands")
    a.add_argument("id", type=int, help="the alert's id (first column of the list)")
    a.add_argument("--by", required=True, help="who acknowledges (name of the duty officer)")
    a.add_argument("--note", help="optional note")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("evaluate", help="evaluate the alert rules once, now (the scheduler does it every minute)")
    a.add_argument("--json", action="store_true")

    from ioc.cli_access import add_parsers

    add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ioc.systems.spec import SpecError

    try:
        return _main(argv)
    except SpecError as exc:  # a system spec file that does not validate (IOC_SYSTEMS): one line
        print(f"error: {exc.full}", file=sys.stderr)
        return 2


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from ioc.secrets import install_log_redaction

    install_log_redaction()
    install_log_masking()
    try:
        settings()
        return int(args.func(args))
    except (CliError, AccessCliError, ConfigError, ConfigurationError, FilterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except RuntimeError as exc:  # a store to upgrade first (or of a newer version): one line too
        from ioc.store.migrate import StoreOutdated, UnknownStore

        if not isinstance(exc, StoreOutdated | UnknownStore):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
