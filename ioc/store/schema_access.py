"""Accounts, wall-screen tokens and the audit trail (issue #12), on the shared metadata.

- ``users``: local accounts (an Argon2id hash, never the password) and accounts signed in
  through OpenID Connect (``oidc_subject``: the provider's ``iss|sub``; no password). A
  disabled account cannot sign in and its sessions end at their next request. ``failed_count``
  and ``locked_until`` carry the back-off after repeated failed sign-ins.
- ``wall_tokens``: device tokens for kiosk screens. Only the token's SHA-256 is stored; a
  revoked token ends the screen's session at its next request.
- ``audit_log``: append-only (no code path updates a row; on both dialects a trigger refuses
  UPDATE). Rows older than the retention are deleted by ``python -m ioc audit --prune`` and the
  scheduler's daily job. ``id`` never goes back (SQLite AUTOINCREMENT).
"""

from __future__ import annotations

import sqlalchemy as sa

from ioc.store.schema import metadata
from ioc.store.table_builders import id_column

MAX_NAME = 100

users = sa.Table(
    "users",
    metadata,
    id_column(),
    sa.Column("name", sa.String(MAX_NAME), nullable=False, unique=True),  # the sign-in name, lower case
    sa.Column("display_name", sa.String(200)),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(200)),  # Argon2id; NULL: OIDC-only or reset pending
    sa.Column("oidc_subject", sa.String(300), unique=True),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("failed_count", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime),  # naive UTC: no sign-in attempt accepted before
    sa.Column("session_epoch", sa.Integer, nullable=False, default=0),  # bumped to end every session
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("last_sign_in_at", sa.DateTime),
    sqlite_autoincrement=True,
)

wall_tokens = sa.Table(
    "wall_tokens",
    metadata,
    id_column(),
    sa.Column("label", sa.String(MAX_NAME), nullable=False),  # the screen: "phòng IOC, màn 3"
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.String(MAX_NAME), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime),
    sa.Column("last_used_at", sa.DateTime),
    sqlite_autoincrement=True,
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    id_column(),
    sa.Column("at", sa.DateTime, nullable=False),  # naive UTC
    sa.Column("actor", sa.String(MAX_NAME), nullable=False),  # a user name, "wall:<label>", "anonymous", "cli:<os user>"
    sa.Column("role", sa.String(16)),
    sa.Column("action", sa.String(40), nullable=False),  # sign_in, sign_in_failed, acknowledge, export, unmask, user_add, …
    sa.Column("target", sa.String(300)),  # what it was about: an alert id, an export's name, a user
    sa.Column("detail", sa.Text),  # JSON: rows, masked, reason, …
    sa.Column("address", sa.String(64)),  # the client's address, when over HTTP
    sa.Index("ix_audit_log_at", "at"),
    sqlite_autoincrement=True,
)

# Append-only on the database itself, not just by convention (deletes stay possible for retention).
NO_UPDATE_SQLITE = ("CREATE TRIGGER IF NOT EXISTS audit_log_append_only BEFORE UPDATE ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
NO_UPDATE_POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
)


def append_only_statements(dialect: str) -> tuple[str, ...]:
    return (NO_UPDATE_SQLITE,) if dialect == "sqlite" else NO_UPDATE_POSTGRESQL


def seed(conn: sa.Connection) -> None:
    """A new store: the audit trail's trigger (no accounts: there is no default password)."""
    for statement in append_only_statements(conn.dialect.name):
        conn.exec_driver_sql(statement)
