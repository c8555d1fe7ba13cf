"""Secrets in source configuration: which options are secret, how they are kept out of the
database, and one redaction function for every text that may be stored, logged or shown
(issue #12).

An error text reaches ``collector_runs.error``, ``/api/live``, the wall ticker and the logs, so
it must never carry a credential, whatever encoding a library or a server used to echo it:
:func:`redact` removes userinfo from URLs, the value of any key-like query parameter, and every
configured secret value in plain, percent-encoded (``%2B`` / ``+`` for spaces), and base64 form.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"

# An option (or query parameter, or header) whose name says it holds a credential.
_SECRET_NAME = re.compile(r"(key|token|secret|passw|auth|credential|signature)", re.IGNORECASE)
# Options that *name* where a secret lives (an environment variable) are not secrets themselves.
_NOT_SECRET = re.compile(r"_env$", re.IGNORECASE)

# scheme://user:password@host → scheme://***@host (also user@host: a token is often the user).
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s@?#]+)@")
# name=value in a query string or form body, where the name looks like a credential's.
_KEY_PARAM = re.compile(
    r"(?P<name>[?&;\s\"'{,]?[A-Za-z0-9_.-]*(?:key|token|secret|passw|auth|signature)[A-Za-z0-9_.-]*)"
    r"(?P<sep>=|%3D|\"?\s*:\s*\"?)(?P<value>[^&\s\"',;}#]+)",
    re.IGNORECASE)
_BEARER = re.compile(r"\b(?P<scheme>Bearer|Basic|Token)\s+(?P<value>[A-Za-z0-9._~+/=-]{4,})")


def is_secret_name(name: str) -> bool:
    """Whether an option, query parameter or header named ``name`` holds a credential
    (``api_key``, ``token``, ``X-API-Key``, ``Authorization``, ``db_password`` …); an option
    ending in ``_env`` names an environment variable and is not one."""
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET.search(name)


def secret_values(options: Mapping[str, Any]) -> list[str]:
    """The values of the secret options of a source (nested tables included)."""
    out: list[str] = []
    for name, value in options.items():
        if isinstance(value, Mapping):
            out += secret_values(value)
        elif is_secret_name(str(name)) and isinstance(value, str | int) and str(value):
            out.append(str(value))
    return out


def public_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with every secret value replaced by :data:`MASK` (what the database and the
    screens may hold)."""
    out: dict[str, Any] = {}
    for name, value in options.items():
        if isinstance(value, Mapping):
            out[name] = public_options(value)
        elif is_secret_name(str(name)) and value not in (None, ""):
            out[name] = MASK
        else:
            out[name] = value
    return out


def _forms(secret: str) -> set[str]:
    """A secret as a library or a server may echo it."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}
    raw = secret.encode()
    for enc in (base64.b64encode, base64.urlsafe_b64encode):
        text = enc(raw).decode()
        forms |= {text, text.rstrip("=")}
    return {f for f in forms if len(f) >= 4}  # a 1–3 character "secret" would mask ordinary text


def redact(text: str | None, secrets: Iterable[str] = ()) -> str | None:
    """``text`` without credentials: URL userinfo, values of key-like parameters
    (``api_key=…``, ``token%3D…``, ``"password": "…"``) and each of ``secrets`` in any of its
    encodings become ``***``. None stays None."""
    if not text:
        return text
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        for form in sorted(_forms(str(secret)), key=len, reverse=True):
            text = text.replace(form, MASK)
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = _BEARER.sub(lambda m: f"{m['scheme']} {MASK}", text)
    return _KEY_PARAM.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)


# Secret values met by this process (every source run adds its own), for the log filter.
_KNOWN: set[str] = set()


def remember_secrets(values: Iterable[str]) -> None:
    """Let :class:`RedactingFilter` know these values (a source's secrets, before it runs)."""
    _KNOWN.update(v for v in values if v)


class RedactingFilter(logging.Filter):
    """A handler filter that passes every record (message, arguments and traceback) through
    :func:`redact` with the remembered secrets: httpx logs request URLs with their query, and a
    collector's traceback may quote a URL with a key."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), _KNOWN)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, _KNOWN)
        return True


_FACTORY = {"installed": False}


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Redact every log record of this process: in the log record factory (so records reach
    every handler redacted: gunicorn's, Python's last-resort one, handlers added later), and with
    :class:`RedactingFilter` on the handlers of ``logger`` (default: the root logger) for records
    made before. Idempotent."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    if _FACTORY["installed"]:
        return
    previous = logging.getLogRecordFactory()
    scrub = RedactingFilter()

    def redacted_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            scrub.filter(record)
        except (TypeError, ValueError):  # a message whose arguments do not fit: logging reports it
            pass
        return record

    logging.setLogRecordFactory(redacted_record)
    _FACTORY["installed"] = True
