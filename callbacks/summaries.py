"""Each family at a glance: the tiles and the one-line note shown on the Overview's family
cards and on the operations wall's panels (one computation, two places). Each family's
declaration names its ``summary``; this module only caches it."""

from __future__ import annotations

from typing import Any

from ioc.context import Context
from ioc.registry import registry


def cached_summary(ctx: Context, family: str, lang: str, ttl_s: float = 30.0, wall: bool = False) -> Any:
    """A family's summary, computed once per data version, language and ``ttl_s`` for every
    screen and worker (200 wall screens asking at once cost one computation). The Overview's
    card: its ``overview_tiles`` with their change against the same period a year before.
    ``wall``: its wall panel's tiles (:attr:`ioc.family.Family.wall_tiles`, else its
    ``overview_tiles``) without comparisons: a wall is watched for what happens now, from across
    a room."""
    declared = registry().family(family)
    if wall:
        keys = declared.wall_tiles or declared.overview_tiles
        return ctx.query(family, "wall-summary", lang, lambda: declared.summary(ctx, lang, keys, False), ttl_s)
    return ctx.query(family, "summary", lang, lambda: declared.summary(ctx, lang, declared.overview_tiles, True),
                     ttl_s)
