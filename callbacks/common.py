"""Helpers every page's callbacks use: the local date, unit names, the language."""

from __future__ import annotations

from datetime import date

from ioc.context import Context
from ioc.domain.units import Unit
from ioc.i18n import resolve_lang
from ioc.kpi.periods import to_local
from ioc.store.db import load_units, utcnow


def local_today(ctx: Context) -> date:
    """Today's date in the deployment's time zone."""
    return to_local(utcnow(), ctx.tz).date()


def units(ctx: Context) -> list[Unit]:
    """Every unit in the store (units are data, not code)."""
    with ctx.engine.connect() as conn:
        return load_units(conn)


def unit_rows(ctx: Context) -> list[tuple[str, str, str]]:
    """(code, name, level) of every unit in the store."""
    return [(u.code, u.name, u.level) for u in units(ctx)]


def unit_names(ctx: Context) -> dict[str, str]:
    return {code: name for code, name, _level in unit_rows(ctx)}


def page_lang(ctx: Context, lang: str | None) -> str:
    return resolve_lang(lang, default=ctx.settings.lang)
