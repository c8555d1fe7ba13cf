"""ioc.secrets: which options are secret, what the store keeps, and redaction (issue #12)."""

from __future__ import annotations

import logging

from ioc.secrets import RedactingFilter, is_secret_name, public_options, redact, remember_secrets, secret_values


def test_secret_names() -> None:
    for name in ("api_key", "X-API-Key", "Authorization", "token", "client_secret", "db_password", "apikey"):
        assert is_secret_name(name), name
    for name in ("api_key_env", "page_cap", "jurisdiction_id", "url", "window_days"):
        assert not is_secret_name(name), name


def test_public_options_mask_secrets_at_every_depth() -> None:
    options = {"api_key": "k1", "page_cap": 50, "api_key_env": "VAR", "query": {"token": "t1", "from": "{since}"},
               "password": ""}
    assert public_options(options) == {"api_key": "***", "page_cap": 50, "api_key_env": "VAR",
                                       "query": {"token": "***", "from": "{since}"}, "password": ""}
    assert sorted(secret_values(options)) == ["k1", "t1"]


def test_short_secrets_do_not_mask_ordinary_text() -> None:
    assert redact("HTTP 500 at window 1", ["1"]) == "HTTP 500 at window 1"
    assert redact(None, ["x"]) is None


def test_log_records_are_redacted_with_remembered_secrets() -> None:
    remember_secrets(["hunter2-key"])
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: GET %s echo %s", (
        "http://u:p@h/requests.json?api_key=abc", "hunter2-key"), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "HTTP Request: GET http://***@h/requests.json?api_key=*** echo ***"
