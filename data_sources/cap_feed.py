"""Official warnings in CAP 1.2: from a URL (a CAP message, or an Atom/RSS feed of them) and
from files (``python -m ioc import warnings FILE``).

``[[sources]]`` of type ``cap`` (family ``warnings``)::

    [[sources]]
    name = "kttv-hue"
    type = "cap"
    url = "https://example.gov.vn/cap/feed.xml"   # a feed, or one CAP message
    every_seconds = 300
    max_items = 50        # linked messages fetched per run (default 50)

A feed's entries either embed their message (Atom ``content`` of type ``application/cap+xml``)
or link to it; linked messages are fetched within the run's budget, at most ``max_items`` a run,
and a link read once is not fetched again (CAP messages never change: a correction is a new
message that references the old one). The watermark keeps the last links read.

One bad entry never hides the rest: it is quarantined with where and why, and the others are
stored. A document that is not CAP at all, or an HTTP error, fails the run with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx

from data_sources.http import HttpJsonClient, TransientHTTPError
from ioc.cap import CapAlert, CapError, read_alert, read_document
from ioc.sources import Batch, Collector, ConfigurationError, Reject, SourceError

MAX_ITEMS = 50
REMEMBERED_LINKS = 500


def _reject(location: str, exc: CapError | str) -> Reject:
    return Reject(location=location, reason=str(exc), raw=None)


class CapFeedCollector(Collector):
    """A CAP message or an Atom/RSS feed of them, polled over HTTP (see the module docstring)."""

    type = "cap"
    family = "warnings"
    requires = ("url",)

    def _get(self, http: HttpJsonClient, url: str) -> bytes:
        try:
            response = http.fetch(url)
        except TransientHTTPError as exc:
            raise SourceError(str(exc)) from None
        if response.status >= 400:
            raise SourceError(http.redact(f"{response.url}: HTTP {response.status} {response.head(120)!r}"))
        return bytes(response.body)

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        url = self.spec.url or ""
        try:
            max_items = int(self.spec.option("max_items", MAX_ITEMS))
        except (TypeError, ValueError):
            raise ConfigurationError(f"source {self.spec.name}: max_items must be a whole number") from None
        seen = set(json.loads(watermark)) if watermark else set()
        http = HttpJsonClient(self.ctx.http_timeout_s, headers={"Accept": "application/cap+xml, application/atom+xml, "
                                                                 "application/rss+xml, application/xml"},
                              budget=self.ctx.budget)
        try:
            try:
                feed = read_document(self._get(http, url))
            except CapError as exc:
                raise SourceError(f"{http.redact(url)}: {exc}") from None
            alerts: list[CapAlert] = list(feed.alerts)
            rejects = [_reject(url, p) for p in feed.problems]
            links = [str(httpx.URL(url).join(link)) for link in feed.links]
            todo = [link for link in links if link not in seen][:max_items]
            for link in todo:
                try:
                    alerts.append(read_alert(self._get(http, link)))
                except CapError as exc:
                    rejects.append(_reject(link, exc))
                seen.add(link)
        finally:
            http.close()
        kept = [link for link in links if link in seen][-REMEMBERED_LINKS:]
        yield Batch(records=alerts, rejects=rejects, fetched=len(alerts) + len(rejects),
                    watermark=json.dumps(kept, ensure_ascii=False))


class CapFileCollector(Collector):
    """A file holding a CAP message or an Atom/RSS feed of them; a feed's links are read as
    files next to it (an http link belongs to a ``cap`` source and is quarantined as such)."""

    type = "file"
    family = "warnings"
    requires = ("path",)

    def batches(self, watermark: str | None) -> Iterator[Batch]:
        path = Path(self.spec.path or "")
        try:
            feed = read_document(path.read_bytes())
        except OSError as exc:
            raise SourceError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        except CapError as exc:
            raise SourceError(f"{path}: {exc}") from None
        alerts = list(feed.alerts)
        rejects = [_reject(str(path), p) for p in feed.problems]
        base = path.resolve().parent
        for link in feed.links:
            where = f"{path}: link {link}"
            if "://" in link:
                rejects.append(_reject(where, "a link to another address: read feeds over HTTP with a source of "
                                               "type \"cap\""))
                continue
            target = (base / link).resolve()
            if not target.is_relative_to(base):
                rejects.append(_reject(where, "outside the feed's folder"))
                continue
            try:
                alerts.append(read_alert(target.read_bytes()))
            except OSError as exc:
                rejects.append(_reject(where, f"cannot be read ({exc.strerror or exc})"))
            except CapError as exc:
                rejects.append(_reject(where, exc))
        yield Batch(records=alerts, rejects=rejects, fetched=len(alerts) + len(rejects))
