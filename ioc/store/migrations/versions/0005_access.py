"""Accounts, wall-screen tokens and the audit trail (issue #12): the tables ``users``,
``wall_tokens`` and ``audit_log`` (append-only: a trigger refuses UPDATE), created empty. There is
no default account: ``python -m ioc users add NAME --role admin`` makes the first one.

Frozen DDL (what :mod:`ioc.store.schema_access` creates on a new store at this revision).
Downgrade: not supported (restore the backup taken before upgrading).

Revision ID: 0005_access
Revises: 0004_alert_ids
"""

from __future__ import annotations

from alembic import op

revision = "0005_access"
down_revision = "0004_alert_ids"
branch_labels = None
depends_on = None

TABLES = {
    "sqlite": (
        'CREATE TABLE users ( id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, name VARCHAR(100) NOT NULL, display_name VARCHAR(200), role VARCHAR(16) NOT NULL, password_hash VARCHAR(200), oidc_subject VARCHAR(300), disabled BOOLEAN NOT NULL, failed_count INTEGER NOT NULL, locked_until DATETIME, session_epoch INTEGER NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, last_sign_in_at DATETIME, UNIQUE (name), UNIQUE (oidc_subject) )',
        'CREATE TABLE wall_tokens ( id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, label VARCHAR(100) NOT NULL, token_sha256 VARCHAR(64) NOT NULL, created_by VARCHAR(100) NOT NULL, created_at DATETIME NOT NULL, revoked_at DATETIME, last_used_at DATETIME, UNIQUE (token_sha256) )',
        'CREATE TABLE audit_log ( id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL, actor VARCHAR(100) NOT NULL, role VARCHAR(16), action VARCHAR(40) NOT NULL, target VARCHAR(300), detail TEXT, address VARCHAR(64) )',
        'CREATE INDEX ix_audit_log_at ON audit_log (at)',
    ),
    "postgresql": (
        'CREATE TABLE users ( id BIGSERIAL NOT NULL, name VARCHAR(100) NOT NULL, display_name VARCHAR(200), role VARCHAR(16) NOT NULL, password_hash VARCHAR(200), oidc_subject VARCHAR(300), disabled BOOLEAN NOT NULL, failed_count INTEGER NOT NULL, locked_until TIMESTAMP WITHOUT TIME ZONE, session_epoch INTEGER NOT NULL, created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, last_sign_in_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id), UNIQUE (name), UNIQUE (oidc_subject) )',
        'CREATE TABLE wall_tokens ( id BIGSERIAL NOT NULL, label VARCHAR(100) NOT NULL, token_sha256 VARCHAR(64) NOT NULL, created_by VARCHAR(100) NOT NULL, created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, revoked_at TIMESTAMP WITHOUT TIME ZONE, last_used_at TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (id), UNIQUE (token_sha256) )',
        'CREATE TABLE audit_log ( id BIGSERIAL NOT NULL, at TIMESTAMP WITHOUT TIME ZONE NOT NULL, actor VARCHAR(100) NOT NULL, role VARCHAR(16), action VARCHAR(40) NOT NULL, target VARCHAR(300), detail TEXT, address VARCHAR(64), PRIMARY KEY (id) )',
        'CREATE INDEX ix_audit_log_at ON audit_log (at)',
    ),
}
APPEND_ONLY = {
    "sqlite": ("CREATE TRIGGER IF NOT EXISTS audit_log_append_only BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
        'CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()',
    ),
}


def upgrade() -> None:
    conn = op.get_bind()
    for statement in (*TABLES[conn.dialect.name], *APPEND_ONLY[conn.dialect.name]):
        conn.exec_driver_sql(statement)


def downgrade() -> None:
    raise NotImplementedError("downgrade is not supported: restore the backup taken before upgrading")
