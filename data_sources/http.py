"""HTTP with timeouts and retries, shared by every HTTP collector."""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from ioc.sources import SourceError


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, _TransientHTTPError | httpx.TransportError)


class _TransientHTTPError(SourceError):
    pass


class HttpJsonClient:
    """GET JSON with a timeout, retrying timeouts, connection errors, 5xx and broken JSON
    with exponential backoff (tenacity); anything still failing becomes :class:`SourceError`."""

    def __init__(self, timeout_s: float, attempts: int = 3, backoff_s: float = 0.5,
                 headers: dict[str, str] | None = None):
        self._client = httpx.Client(timeout=timeout_s, headers=headers or {}, follow_redirects=True)
        self._attempts = attempts
        self._backoff = backoff_s

    def close(self) -> None:
        self._client.close()

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        @retry(
            retry=retry_if_exception(_transient),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._backoff, max=10),
            reraise=True,
        )
        def once() -> Any:
            # httpx replaces a URL's own query whenever params is passed: merge instead.
            target = httpx.URL(url)
            if params:
                target = target.copy_merge_params(params)
            response = self._client.get(target)
            # Without the query string: it may carry an API key, and errors end up on screen.
            where = response.request.url.copy_with(query=None)
            if response.status_code >= 500:
                raise _TransientHTTPError(f"{where}: HTTP {response.status_code}")
            if response.status_code >= 400:
                raise SourceError(f"{where}: HTTP {response.status_code} {response.text[:200]!r}")
            try:
                return response.json()
            except ValueError as exc:
                raise _TransientHTTPError(f"{where}: response is not valid JSON ({exc})") from None

        public = httpx.URL(url).copy_with(query=None)
        try:
            return once()
        except httpx.TimeoutException:
            raise SourceError(f"{public}: timed out after {self._client.timeout.read}s "
                              f"({self._attempts} attempts)") from None
        except httpx.TransportError as exc:
            raise SourceError(f"{public}: {type(exc).__name__}: {exc}") from None
