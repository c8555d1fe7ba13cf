"""The scheduled briefs: a daily brief (yesterday) and a weekly one (last Monday to Sunday),
written as PDFs to ``IOC_BRIEF_DIR`` and mailed to ``IOC_BRIEF_TO`` when an SMTP server is set.

The job runs every day at ``IOC_BRIEF_HOUR`` local time under a database job lock (one
scheduler of several writes them, :func:`ioc.scheduler.locked_job`); the weekly brief is
written on Mondays. A brief already in the folder is not written again, so a restarted
scheduler, or a second tick, sends no second mail. Nothing here raises into the scheduler:
failures are logged and the next day's run tries again.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ioc.kpi.periods import Period, to_local

log = logging.getLogger(__name__)

KINDS = ("daily", "weekly")


@dataclass(frozen=True)
class Written:
    kind: str
    lang: str
    period: Period
    path: Path


def due_periods(today: date) -> list[tuple[str, Period]]:
    """The briefs due on local ``today``: yesterday's, and on a Monday the week just ended
    (Monday to Sunday). Both periods are whole days that have ended."""
    due = [("daily", Period(today - timedelta(days=1), today))]
    if today.weekday() == 0:
        due.append(("weekly", Period(today - timedelta(days=7), today)))
    return due


def write_briefs(ctx: Any, now: datetime, kinds: tuple[str, ...] | None = None) -> list[Written]:
    """Write the briefs due at ``now`` (naive UTC) to ``IOC_BRIEF_DIR``, in every language of
    ``IOC_BRIEF_LANG``; ``kinds`` restricts them (e.g. ``("weekly",)``, whatever the weekday).
    Files already there are kept. Returns those written now. Raises when the folder is not set."""
    from ioc.brief import PdfPrinter, collect_brief, report_filename

    cfg = ctx.settings
    if cfg.brief_dir is None:
        raise ValueError("IOC_BRIEF_DIR is not set: no folder to write the briefs to")
    folder = Path(cfg.brief_dir)
    folder.mkdir(parents=True, exist_ok=True)
    today = to_local(now, ctx.tz).date()
    due = due_periods(today) if kinds is None else \
        [(k, p) for k, p in (("daily", Period(today - timedelta(days=1), today)),
                             ("weekly", Period(today - timedelta(days=7), today))) if k in kinds]
    todo = [(kind, period, lang) for kind, period in due for lang in cfg.brief_langs
            if not (folder / report_filename(kind, period, lang, "pdf")).exists()]
    written: list[Written] = []
    if not todo:
        return written
    with PdfPrinter() as printer:
        for kind, period, lang in todo:
            brief = collect_brief(ctx.engine, cfg, period, {}, simulated=ctx.simulated, now=now)
            path = folder / report_filename(kind, period, lang, "pdf")
            partial = path.with_suffix(".pdf.part")
            partial.write_bytes(printer.print_brief(brief, lang))
            partial.replace(path)  # a reader of the folder never sees half a file
            log.info("brief written: %s", path)
            written.append(Written(kind, lang, period, path))
    return written


def mail_brief(cfg: Any, item: Written) -> None:
    """Mail one written brief to ``IOC_BRIEF_TO`` through ``IOC_SMTP_HOST`` (STARTTLS, SSL or
    plain, as ``IOC_SMTP_TLS`` says; login when ``IOC_SMTP_USER`` is set)."""
    from ioc.i18n import fmt_date, t

    last = item.period.end - timedelta(days=1)
    span = fmt_date(last, item.lang) if last == item.period.start else \
        t("brief_period_span", item.lang, start=fmt_date(item.period.start, item.lang), end=fmt_date(last, item.lang))
    msg = EmailMessage()
    title = f"{t('brief_title', item.lang)} ({t(f'brief_kind_{item.kind}', item.lang)})"
    msg["Subject"] = t("brief_mail_subject", item.lang, title=title, period=span)
    msg["From"] = cfg.smtp_from
    msg["To"] = ", ".join(cfg.brief_to)
    msg.set_content(t("brief_mail_body", item.lang, period=span))
    msg.add_attachment(item.path.read_bytes(), maintype="application", subtype="pdf", filename=item.path.name)
    context = ssl.create_default_context()
    if cfg.smtp_tls == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(cfg.smtp_host, cfg.smtp_port, timeout=30, context=context)
    else:
        server = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=30)
    with server:
        if cfg.smtp_tls == "starttls":
            server.starttls(context=context)
        if cfg.smtp_user:
            server.login(cfg.smtp_user, cfg.smtp_password or "")
        server.send_message(msg)


def run_briefs(ctx: Any, now: datetime) -> list[Written]:
    """The job's work: write the briefs due, then mail each when SMTP and recipients are set.
    A failed mail is logged and does not stop the others."""
    written = write_briefs(ctx, now)
    cfg = ctx.settings
    if written and cfg.smtp_host and cfg.brief_to:
        for item in written:
            try:
                mail_brief(cfg, item)
                log.info("brief mailed to %d recipient(s): %s", len(cfg.brief_to), item.path.name)
            except Exception:  # noqa: BLE001 - the mail server may be away; the file is written
                log.exception("brief %s could not be mailed", item.path.name)
    return written
