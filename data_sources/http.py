"""HTTP for every HTTP collector: bounded whatever the upstream sends (issue #13), and careful
with credentials (issue #12).

Per request (:meth:`HttpJsonClient.fetch`):

- the run's :class:`~ioc.sources.RunBudget` is charged one request before each attempt
  (retries and redirects count too), and refuses once the run's requests or time are spent;
- a *total* deadline of ``min(budget.request_deadline_s, budget.remaining_s())`` of wall clock
  covers connecting, the headers, every redirect and the whole body. httpx only knows per-read
  timeouts, which a server dripping one byte every few seconds never trips, so the sockets are
  wrapped (:class:`_DeadlineBackend`): each read waits at most one slice of a second, then
  looks at the deadline and at ``budget.cancel`` (set on SIGTERM), so a stop or a deadline is
  noticed within about a second, in the headers as in the body;
- the body is streamed and refused past ``budget.max_body_bytes`` (at once when
  ``Content-Length`` says so), so memory per request is bounded by that limit;
- redirects are followed by hand (at most 5): when one leads to another scheme, host or port,
  credential headers (``X-API-Key``, ``Authorization``, any header named like a key or token),
  userinfo and key-like query parameters are not sent on;
- every error text goes through :func:`ioc.secrets.redact` with the source's secret values.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from ioc.secrets import is_secret_name, redact
from ioc.sources import RunBudget, RunStopped, SourceError

MAX_REDIRECTS = 5
_SLICE_S = 1.0  # the longest a socket wait goes without looking at the deadline and the cancel event
_CHUNK = 64 * 1024


class TransientHTTPError(SourceError):
    """A failure worth another attempt (timeout, broken connection, 5xx, invalid JSON)."""


class _Expired(httpcore.ReadTimeout):
    """The request's total deadline (or the run's) passed, or the run was cancelled."""


class _Clock:
    """The current request's deadline (monotonic seconds) and the run's cancel event, read by
    every socket wait of the client (one client serves one run, one request at a time)."""

    def __init__(self, cancel: threading.Event):
        self.cancel = cancel
        self.deadline = float("inf")
        self.why: str | None = None  # "cancel" or "deadline" once a wait gave up for that reason

    def wait_s(self, timeout: float | None) -> float:
        """How long the next socket wait may block: one slice, never past the deadline."""
        if self.cancel.is_set():
            self.why = "cancel"
            raise _Expired("cancelled")
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.why = "deadline"
            raise _Expired("deadline")
        return min(left, _SLICE_S, timeout if timeout is not None else _SLICE_S)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, clock: _Clock):
        self._inner, self._clock = inner, clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        # Wait in slices so that the total deadline and the cancel event are looked at while a
        # server says nothing; the per-read timeout still applies across the slices.
        give_up = None if timeout is None else time.monotonic() + timeout
        while True:
            slice_s = self._clock.wait_s(None if give_up is None else max(0.0, give_up - time.monotonic()))
            try:
                return self._inner.read(max_bytes, slice_s)
            except httpcore.ReadTimeout:
                if give_up is not None and time.monotonic() >= give_up:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        left = self._clock.deadline - time.monotonic()
        self._inner.write(buffer, max(0.01, min(left, timeout if timeout is not None else left)))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        left = max(0.01, self._clock.deadline - time.monotonic())
        inner = self._inner.start_tls(ssl_context, server_hostname, min(left, timeout or left))
        return _DeadlineStream(inner, self._clock)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def __init__(self, clock: _Clock):
        self._clock = clock

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        left = self._clock.deadline - time.monotonic()
        if left <= 0:
            self._clock.why = "deadline"
            raise _Expired("deadline")
        stream = super().connect_tcp(host, port, min(left, timeout if timeout is not None else left),
                                     local_address, socket_options)
        return _DeadlineStream(stream, self._clock)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport on sockets that honour :class:`_Clock` (httpx has no public way to give
    its pool a network backend, hence the replaced ``_pool``)."""

    def __init__(self, clock: _Clock):
        super().__init__()
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                             network_backend=_DeadlineBackend(clock))


@dataclass(frozen=True)
class HttpResponse:
    """A response read whole, within the budget."""

    status: int
    headers: httpx.Headers
    body: bytes | bytearray
    url: str  # after redirects, without userinfo and query (safe to show)

    def head(self, chars: int = 200) -> str:
        """The body's first ``chars`` characters (for error texts; never decodes it all)."""
        return bytes(self.body[:chars * 4]).decode("utf-8", errors="replace")[:chars]


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def public_url(url: httpx.URL | str) -> str:
    """A URL fit for an error text: no userinfo, no query (it may carry a key)."""
    url = httpx.URL(url)
    return str(url.copy_with(query=None, username=None, password=None))


class HttpJsonClient:
    """GET JSON within the run's budget, retrying timeouts, connection errors, 5xx and broken
    JSON with exponential backoff (tenacity, never sleeping past the run's deadline); anything
    still failing becomes :class:`SourceError` with a redacted text.

    ``timeout_s`` is the longest silence tolerated from a server (connect or read), ``headers``
    are sent with every request to the configured host (and credential ones never to another),
    ``secrets`` are the values to redact from error texts."""

    def __init__(self, timeout_s: float, attempts: int = 3, backoff_s: float = 0.5,
                 headers: dict[str, str] | None = None, *, budget: RunBudget | None = None,
                 secrets: Iterable[str] = (), sleep: Callable[[float], None] | None = None):
        self.budget = budget or RunBudget()
        self._clock = _Clock(self.budget.cancel)
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False, transport=_DeadlineTransport(self._clock))
        self.timeout_s = timeout_s
        self._headers = dict(headers or {})
        self._attempts = attempts
        self._backoff = backoff_s
        self.secrets = [s for s in secrets if s]
        for name, value in self._headers.items():
            if is_secret_name(name) and value:
                self.secrets.append(value)
        self._sleep = sleep

    def close(self) -> None:
        self._client.close()

    def redact(self, text: str) -> str:
        return redact(text, self.secrets) or ""

    # --- one request ---------------------------------------------------------------------
    def fetch(self, url: str, params: Mapping[str, Any] | None = None) -> HttpResponse:
        """One GET (following redirects) read whole within the budget; raises SourceError
        (RunStopped when cancelled) for a transport failure, a deadline or an oversized body.
        Status codes are the caller's business."""
        target = httpx.URL(url)
        if params:  # httpx replaces a URL's own query whenever params is passed: merge instead
            target = target.copy_merge_params({k: v for k, v in params.items() if v is not None})
        where = public_url(target)
        self.budget.take_request(where)
        limit = min(self.budget.request_deadline_s, self.budget.remaining_s())
        self._clock.deadline = time.monotonic() + limit
        self._clock.why = None
        origin = _origin(target)
        headers = dict(self._headers)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                with self._client.stream("GET", target, headers=headers) as response:
                    if response.is_redirect and "location" in response.headers:
                        nxt = target.join(response.headers["location"])
                        if _origin(nxt) != origin:
                            nxt, headers = self._strip_credentials(nxt, headers)
                            origin = _origin(nxt)
                        target = nxt
                        continue
                    body = self._read_body(response, where)
                    return HttpResponse(response.status_code, response.headers, body, public_url(target))
            raise SourceError(self.redact(f"{where}: more than {MAX_REDIRECTS} redirects"))
        except httpx.TimeoutException:
            raise self._expired(where) from None
        except httpx.TransportError as exc:
            if self._clock.why is not None:
                raise self._expired(where) from None
            raise TransientHTTPError(self.redact(f"{where}: {type(exc).__name__}: {exc}")) from None

    def _strip_credentials(self, url: httpx.URL, headers: dict[str, str]) -> tuple[httpx.URL, dict[str, str]]:
        """A redirect to another origin gets no credential: no key header, no Authorization,
        no userinfo, no key-like query parameter and no parameter holding a secret value."""
        kept = [(k, v) for k, v in url.params.multi_items() if not is_secret_name(k) and v not in self.secrets]
        url = url.copy_with(username=None, password=None, query=None)
        if kept:
            url = url.copy_merge_params(kept)
        return url, {k: v for k, v in headers.items() if not is_secret_name(k) and k.lower() != "cookie"}

    def _read_body(self, response: httpx.Response, where: str) -> bytearray:
        cap = self.budget.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > cap:
            raise SourceError(f"{where}: response larger than {cap} bytes (Content-Length {int(declared)}); "
                              "raise IOC_HTTP_MAX_BODY_BYTES if this is expected")
        body = bytearray()
        for chunk in response.iter_bytes(_CHUNK):  # decoded: a compressed bomb is counted as it inflates
            body += chunk
            if len(body) > cap:
                raise SourceError(f"{where}: response larger than {cap} bytes; "
                                  "raise IOC_HTTP_MAX_BODY_BYTES if this is expected")
        return body  # not copied into bytes: that would hold the body twice

    def _expired(self, where: str) -> SourceError:
        if self._clock.why == "cancel" or self.budget.cancel.is_set():
            return RunStopped(f"{where}: run stopped: the scheduler is shutting down")
        if self._clock.why == "deadline":
            if self.budget.remaining_s() <= 0:
                return SourceError(f"{where}: run deadline of {self.budget.deadline_s:g} s reached "
                                   f"during a request ({self.budget.requests} request(s))")
            return SourceError(f"{where}: no complete response within the request deadline of "
                               f"{self.budget.request_deadline_s:g} s")
        return TransientHTTPError(f"{where}: timed out after {self.timeout_s:g}s ({self._attempts} attempts)")

    # --- JSON with retries ---------------------------------------------------------------
    def _wait(self, seconds: float) -> None:
        """Sleep between attempts, but never past the run's deadline and not after a stop."""
        if seconds >= self.budget.remaining_s():
            self.budget.check()
            raise SourceError(f"run deadline of {self.budget.deadline_s:g} s would pass before the next retry "
                              f"({self.budget.requests} request(s))")
        if self._sleep is not None:
            self._sleep(seconds)
        elif self.budget.cancel.wait(seconds):
            self.budget.check()

    def retrying(self) -> Retrying:
        return Retrying(retry=retry_if_exception(lambda e: isinstance(e, TransientHTTPError)),
                        stop=stop_after_attempt(self._attempts), wait=wait_exponential(multiplier=self._backoff, max=10),
                        sleep=self._wait, reraise=True)

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        """The JSON at ``url`` (``params`` merged into its query); 4xx fails at once, 5xx,
        timeouts, broken connections and invalid JSON are retried."""
        def once() -> Any:
            response = self.fetch(url, params)
            if response.status >= 500:
                raise TransientHTTPError(f"{response.url}: HTTP {response.status}")
            if response.status >= 400:
                raise SourceError(self.redact(f"{response.url}: HTTP {response.status} {response.head(200)!r}"))
            try:
                return json.loads(response.body)
            except ValueError as exc:
                raise TransientHTTPError(f"{response.url}: response is not valid JSON ({str(exc)[:200]})") from None

        try:
            return self.retrying()(once)
        except TransientHTTPError as exc:
            raise SourceError(self.redact(str(exc))) from None
        except SourceError as exc:
            raise type(exc)(self.redact(str(exc))) from None

