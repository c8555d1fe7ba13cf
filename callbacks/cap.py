"""The IOC's alerts as CAP 1.2 over HTTP (:mod:`ioc.cap_export`):

- ``GET /cap/alerts.xml``: an Atom feed of the active alerts and of those that ended in the last
  24 hours (as Cancel messages), each CAP message inline and linked;
- ``GET /cap/alerts/<identifier>.xml``: one message (``ioc.hue.alert.42`` or
  ``ioc.hue.alert.42.cancel``).

Readers: any role that reads pages (``Can.READ``; a partner system signs in with a wall token,
``Authorization: Bearer …``). A source's error text is only in it for roles that may see
operations, as on ``/api/live``.
"""

from __future__ import annotations

from typing import Any

import flask

from callbacks.access import readable_alert as _readable
from ioc.context import Context
from ioc.store.db import utcnow

ATOM_TYPE = "application/atom+xml; charset=utf-8"
CAP_TYPE = "application/cap+xml; charset=utf-8"


def publisher(ctx: Context, base_url: str) -> Any:
    from ioc.cap_export import Publisher
    from ioc.i18n import t

    return Publisher(sender=ctx.settings.cap_sender,
                     sender_name={lang: f"{t('product_long', lang)} ({t('product', lang)})" for lang in ("vi", "en")},
                     base_url=base_url, tz=ctx.tz,
                     simulated_families=frozenset(s.family for s in ctx.sources if s.type == "simulator"))


def _xml(body: bytes, mimetype: str) -> flask.Response:
    response = flask.Response(body, mimetype=mimetype.split(";")[0])
    response.headers["Content-Type"] = mimetype
    response.headers["Cache-Control"] = "no-store"
    return response


def register(server: flask.Flask, ctx: Context) -> None:
    @server.get("/cap/alerts.xml")
    def cap_alerts() -> flask.Response:
        from ioc import alerts, cap_export

        now = utcnow()
        episodes = [_readable(a) for a in alerts.recent_alerts(ctx.engine, since=now - cap_export.ENDED_KEPT)]
        pub = publisher(ctx, flask.request.host_url)
        return _xml(cap_export.feed(pub, episodes, ctx.engine, now, flask.request.base_url), ATOM_TYPE)

    @server.get("/cap/alerts/<string:identifier>.xml")
    def cap_alert(identifier: str) -> flask.Response:
        from ioc import alerts, cap_export

        pub = publisher(ctx, flask.request.host_url)
        wanted = cap_export.parse_identifier(pub, identifier)
        found = alerts.alert_by_id(ctx.engine, wanted[0]) if wanted else None
        if found is None or not cap_export.exportable(found) or (wanted[1] and found.ended_at is None):
            return flask.Response(f"no CAP message {identifier!r} here (expected {pub.sender}.alert.<id>"
                                  "[.cancel], a Cancel only once the alert ended)\n", status=404, mimetype="text/plain")
        return _xml(cap_export.document(pub, _readable(found), ctx.engine, cancel=wanted[1]), CAP_TYPE)
