"""Alert rules for every family, and one severity scale across them (pure: no I/O).

**Normalised severity** (``LEVELS``, rank 1..5): ``info < warning < high < critical <
emergency``. Each family stores its own severity string in ``alerts.severity``;
:func:`level_of` maps any stored (family, kind, severity) onto the scale:

* environment ``aqi_bad`` stores the AQI category code of the episode's peak
  (:mod:`ioc.domain.aqi`): ``bad`` Xấu 151–200 → high, ``very_bad`` Rất xấu 201–300 →
  critical, ``hazardous`` Nguy hại ≥ 301 → emergency (a lower category, which the environment
  rules never store, → warning);
* environment ``no_data`` → warning;
* every other kind stores a level name itself; an unknown string counts as warning, so a
  misspelt severity is still seen rather than silently dropped to info.

**Rules.** Each function below receives numbers already queried by :mod:`ioc.alerts` and
returns a :class:`Finding` while its condition holds now (``None`` otherwise). Thresholds are
in :class:`Thresholds` (from ``Settings``, env vars ``IOC_ALERT_*``):

``source_failed`` (key = source name)
    the source's last finished run failed. Severity warning; high from
    ``failures_high`` (default 3) consecutive failed runs. Details: the error text.
``source_stale`` (key = source name)
    no successful run for ≥ 5 × the source's cadence (the ``stale`` freshness of
    :meth:`ioc.store.runs.SourceHealth.freshness`); a source that never succeeded counts once
    it has been configured for ≥ 5 × its cadence. Severity high.
``overdue_surge`` (feedback, key ``city``)
    *Went overdue* means the deadline (``due_at``) passed while the report was unresolved.
    ``count``: open reports whose deadline passed in the last 60 minutes; ``baseline``: reports
    that went overdue (still open, or resolved after their deadline) in the 168 whole hours
    before, divided by 168. Alert when ``count ≥ threshold = max(overdue_min_count,
    overdue_factor × baseline)`` (defaults 10 and 3.0); high when ``count ≥ 2 × threshold``.
    The last hour counts open reports only: one resolved minutes after its deadline is no
    surge to act on, so this errs towards silence, never towards a false alarm. Deadlines
    cluster in working hours (a report received at 10:00 is due at 10:00), which is why the
    factor against an all-hours mean is 3 and the floor is 10 reports in an hour.
``violation_surge`` (traffic, key ``city`` or a current commune code)
    violations detected in the last complete local hour against the same local hour one week
    earlier: alert when ``count ≥ violation_factor × last_week`` **and** ``count − last_week ≥
    violation_min_delta`` (defaults 1.5 and 20); high when ``count ≥ violation_high_factor ×
    last_week`` (default 2; from zero last week any surge is high).
``spec_rule`` (a system declared by a spec file: family = the spec's code, key = the rule's ``name``)
    one per ``[[alerts]]`` rule of an events spec (:class:`ioc.systems.spec.AlertRule`, documented
    in docs/systems.md). The *measure* is, over the rule's *window* — the last complete local
    hour (``window = "hour"``) or local day (``"day"``) in ``IOC_TIMEZONE`` —, the number of the
    system's events that match the rule's ``where`` (``measure = "count"``), or the sum of their
    ``value`` (``"sum"``; events without a value add nothing). *Last week* is the same measure
    over the same local window seven days earlier.

    - ``type = "threshold"``: alert when ``measure ≥ threshold``;
    - ``type = "surge"``: alert when ``measure ≥ factor × last_week`` **and** ``measure ≥
      min_count`` (defaults 2 and 10); from zero last week, ``min_count`` alone decides.

    Severity: the rule's ``severity`` (default warning). The episode starts at the start of the
    first window that held and, once a later window no longer holds, ends at the end of the last
    window that did. Details: the rule's type, the window and its local label, the measure and
    its value, last week's, the threshold the value was held against (for a surge ``max(factor ×
    last_week, min_count)``), and the window's end in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

LEVELS: tuple[str, ...] = ("info", "warning", "high", "critical", "emergency")
RANK: dict[str, int] = {name: i + 1 for i, name in enumerate(LEVELS)}

#: environment ``aqi_bad``: AQI category code of the episode's peak → level
AQI_CATEGORY_LEVEL: dict[str, str] = {"bad": "high", "very_bad": "critical", "hazardous": "emergency"}

SOURCE_KINDS: tuple[str, ...] = ("source_failed", "source_stale")
#: the kinds :func:`ioc.alerts.evaluate` owns (environment's own kinds are never touched)
MANAGED_KINDS: tuple[str, ...] = (*SOURCE_KINDS, "overdue_surge", "violation_surge", "spec_rule")
CITY = "city"
STALE_CADENCES = 5  # as SourceHealth.freshness
BASELINE_HOURS = 7 * 24
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Thresholds:
    """Rule thresholds (see the module docstring); ``Settings`` carries the configured ones."""

    failures_high: int = 3
    overdue_min_count: int = 10
    overdue_factor: float = 3.0
    violation_factor: float = 1.5
    violation_min_delta: int = 20
    violation_high_factor: float = 2.0


@dataclass(frozen=True)
class Finding:
    """A condition holding now: what an active alert row should say."""

    family: str
    kind: str
    key: str
    severity: str
    started_at: datetime  # naive UTC: when the condition began, as far as it is known
    details: dict[str, Any] = field(default_factory=dict)


def level_of(family: str, kind: str, severity: str) -> str:
    """The normalised level name of a stored alert (see the module docstring)."""
    if family == "environment" and kind == "aqi_bad":
        return AQI_CATEGORY_LEVEL.get(severity, "warning")
    if family == "environment" and kind == "no_data":
        return "warning"
    return severity if severity in RANK else "warning"


def rank_of(family: str, kind: str, severity: str) -> int:
    """1 (info) … 5 (emergency)."""
    return RANK[level_of(family, kind, severity)]


# --------------------------------------------------------------------------- sources


def source_failed(family: str, source: str, last_status: str | None, consecutive_failures: int,
                  last_error: str | None, first_failure_at: datetime, th: Thresholds) -> Finding | None:
    """The last finished run of ``source`` failed (``first_failure_at``: end of the streak's first run)."""
    if last_status != "failed" or consecutive_failures < 1:
        return None
    severity = "high" if consecutive_failures >= th.failures_high else "warning"
    error = (last_error or "")[:MAX_ERROR_CHARS]
    return Finding(family, "source_failed", source, severity, first_failure_at,
                   {"error": error, "failures": int(consecutive_failures)})


def source_stale(family: str, source: str, every_seconds: int, last_success_at: datetime | None,
                 configured_since: datetime | None, now: datetime) -> Finding | None:
    """No success for ≥ 5 cadences (never succeeded: configured ≥ 5 cadences ago); times naive UTC."""
    reach = timedelta(seconds=STALE_CADENCES * every_seconds)
    since = last_success_at if last_success_at is not None else configured_since
    if since is None or now - since < reach:
        return None
    return Finding(family, "source_stale", source, "high", since + reach, {
        "last_success_at": None if last_success_at is None else last_success_at.isoformat(),
        "every_seconds": int(every_seconds)})


# --------------------------------------------------------------------------- feedback


def overdue_threshold(baseline_per_hour: float, th: Thresholds) -> float:
    """Reports going overdue in one hour that make a surge."""
    return max(float(th.overdue_min_count), th.overdue_factor * baseline_per_hour)


def overdue_surge(count: int, baseline_total: int, now: datetime, th: Thresholds,
                  baseline_hours: int = BASELINE_HOURS) -> Finding | None:
    """``count`` reports went overdue in the last hour vs ``baseline_total`` over ``baseline_hours``."""
    mean = baseline_total / baseline_hours if baseline_hours else 0.0
    threshold = overdue_threshold(mean, th)
    if count < threshold:
        return None
    severity = "high" if count >= 2 * threshold else "warning"
    return Finding("feedback", "overdue_surge", CITY, severity, now, {
        "count": int(count), "baseline_per_hour": round(mean, 2), "threshold": round(threshold, 2)})


# --------------------------------------------------------------------------- traffic


def violation_surge(key: str, count: int, last_week: int, hour_start: datetime, hour_local: str,
                    th: Thresholds) -> Finding | None:
    """Violations of one complete hour (``hour_start`` naive UTC) against the same hour a week before."""
    if count < th.violation_factor * last_week or count - last_week < th.violation_min_delta:
        return None
    severity = "high" if count >= th.violation_high_factor * last_week else "warning"
    ratio = None if last_week == 0 else round(count / last_week, 2)
    return Finding("traffic", "violation_surge", key, severity, hour_start, {
        "count": int(count), "last_week": int(last_week), "ratio": ratio, "hour": hour_local,
        "hour_end_utc": (hour_start + timedelta(hours=1)).isoformat()})


# --------------------------------------------------------------------------- systems declared by spec files


def spec_rule_threshold(rule: Any, last_week: float) -> float:
    """The value ``rule`` (an :class:`ioc.systems.spec.AlertRule`) fires at, given last week's."""
    if rule.type == "threshold":
        return float(rule.threshold)
    return max(rule.factor * last_week, rule.min_count)


def spec_rule(system: str, rule: Any, value: float, last_week: float, window_start: datetime,
              window_end: datetime, window_label: str) -> Finding | None:
    """Rule ``rule`` of system ``system`` over one complete local window (``window_start`` and
    ``window_end`` naive UTC; ``window_label`` its local hour ``2026-03-09 08:00`` or day
    ``2026-03-09``): ``value`` is the rule's measure there, ``last_week`` the same a week before."""
    threshold = spec_rule_threshold(rule, last_week)
    if value < threshold:
        return None

    def number(x: float) -> float | int:
        return int(x) if rule.measure == "count" else round(float(x), 6)

    return Finding(system, "spec_rule", rule.name, rule.severity, window_start, {
        "type": rule.type, "window": rule.window, "period": window_label, "measure": rule.measure,
        "value": number(value), "last_week": number(last_week), "threshold": round(threshold, 6),
        "window_end_utc": window_end.isoformat()})
