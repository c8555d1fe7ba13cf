"""Accounts and wall-screen tokens: create, list, disable, reset, verify (issue #12).

Passwords are hashed with Argon2id (``argon2-cffi``'s defaults, RFC 9106's second
recommendation); only the hash is stored. There is no default account and no default
password. After :data:`FREE_FAILURES` failed sign-ins in a row an account refuses attempts for
a delay that doubles with each further failure, up to :data:`MAX_LOCK`; a success resets it.
Wall tokens are random 32-byte strings shown once; only their SHA-256 is stored.

All times are naive UTC (the store's convention).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, insert, select, text, update

from ioc.access import Role, check_role
from ioc.domain.local_time import utcnow
from ioc.store.schema import meta
from ioc.store.schema_access import MAX_NAME, users, wall_tokens

FREE_FAILURES = 3
FIRST_LOCK = timedelta(seconds=2)
MAX_LOCK = timedelta(minutes=15)
MIN_PASSWORD = 10
USE_RECORDED_EVERY = timedelta(minutes=1)
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
_hasher = PasswordHasher()
# Verified against when the account does not exist, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A request about accounts that cannot be met; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    display_name: str | None
    role: str
    disabled: bool
    has_password: bool
    oidc_subject: str | None
    session_epoch: int
    created_at: datetime
    last_sign_in_at: datetime | None
    locked_until: datetime | None


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: ``user`` on success, else ``reason`` (``bad``: name or
    password wrong, said the same way for both; ``locked``: too many failures, ``retry_at``;
    ``disabled``)."""

    user: User | None
    reason: str | None = None
    retry_at: datetime | None = None


def normal_name(name: str) -> str:
    """The sign-in name as stored (trimmed, lower case); AccountError if it is not a valid one."""
    value = (name or "").strip().lower()
    if not _NAME.match(value):
        raise AccountError(f"user name {name!r} is not valid: 1–{MAX_NAME} letters a–z, digits, '.', '_', '@' or '-', "
                           "starting with a letter or digit")
    return value


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise AccountError("a password has at most 1024 characters")
    return password


def _user(row) -> User:  # noqa: ANN001 - a Row mapping
    return User(id=int(row["id"]), name=row["name"], display_name=row["display_name"], role=row["role"],
                disabled=bool(row["disabled"]), has_password=row["password_hash"] is not None,
                oidc_subject=row["oidc_subject"], session_epoch=int(row["session_epoch"] or 0),
                created_at=row["created_at"], last_sign_in_at=row["last_sign_in_at"], locked_until=row["locked_until"])


def add_user(engine: Engine, name: str, role: str, password: str | None, display_name: str | None = None,
             oidc_subject: str | None = None) -> User:
    """Create an account; AccountError if the name is taken or invalid. ``password`` None: the
    account signs in through OpenID Connect only (or after ``users reset``)."""
    name, role = normal_name(name), check_role(role)
    digest = _hasher.hash(check_password(password)) if password is not None else None
    now = utcnow()
    with engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
            raise AccountError(f"user {name!r} already exists")
        conn.execute(insert(users).values(
            name=name, display_name=(display_name or None) and display_name[:200], role=role, password_hash=digest,
            oidc_subject=oidc_subject, disabled=False, failed_count=0, session_epoch=0, created_at=now, updated_at=now))
    return get_user(engine, name)


def get_user(engine: Engine, name: str) -> User:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name.strip().lower())).mappings().first()
    if row is None:
        raise AccountError(f"no user named {name!r}")
    return _user(row)


def user_by_id(engine: Engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return None if row is None else _user(row)


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(select(users).order_by(users.c.name)).mappings()]


def _change(engine: Engine, name: str, **values) -> User:  # noqa: ANN003
    user = get_user(engine, name)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user.id).values(updated_at=utcnow(), **values))
    return get_user(engine, user.name)


def disable_user(engine: Engine, name: str, disabled: bool = True) -> User:
    """Disable (or enable) an account; a disabled account's sessions end at their next request."""
    user = get_user(engine, name)
    return _change(engine, user.name, disabled=disabled, session_epoch=user.session_epoch + 1)


def set_role(engine: Engine, name: str, role: str) -> User:
    user = get_user(engine, name)
    return _change(engine, user.name, role=check_role(role), session_epoch=user.session_epoch + 1)


def reset_password(engine: Engine, name: str, password: str) -> User:
    """Set a new password, clear the back-off and end the account's sessions."""
    user = get_user(engine, name)
    return _change(engine, user.name, password_hash=_hasher.hash(check_password(password)), failed_count=0,
                   locked_until=None, session_epoch=user.session_epoch + 1)


def lock_delay(failures: int) -> timedelta | None:
    """How long an account refuses attempts after ``failures`` failures in a row (None: not locked)."""
    if failures < FREE_FAILURES:
        return None
    return min(FIRST_LOCK * 2 ** (failures - FREE_FAILURES), MAX_LOCK)


def verify_password(engine: Engine, name: str, password: str, now: datetime | None = None) -> SignIn:
    """Check a local sign-in. Wrong names and wrong passwords look alike (same reason, same cost);
    a locked account is not even checked, so guessing during the lock is useless."""
    now = now or utcnow()
    try:
        key = normal_name(name)
    except AccountError:
        key = None
    with engine.connect() as conn:
        row = None if key is None else conn.execute(select(users).where(users.c.name == key)).mappings().first()
    if row is None or row["password_hash"] is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        return SignIn(None, "bad")
    if row["locked_until"] is not None and row["locked_until"] > now:
        return SignIn(None, "locked", row["locked_until"])
    try:
        _hasher.verify(row["password_hash"], password or "")
        ok = True
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    with engine.begin() as conn:
        if not ok:
            failures = int(row["failed_count"] or 0) + 1
            delay = lock_delay(failures)
            conn.execute(update(users).where(users.c.id == row["id"]).values(
                failed_count=failures, locked_until=None if delay is None else now + delay))
            return SignIn(None, "bad", None if delay is None else now + delay)
        values = {"failed_count": 0, "locked_until": None, "last_sign_in_at": now}
        if _hasher.check_needs_rehash(row["password_hash"]):
            values["password_hash"] = _hasher.hash(password)
        conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
    user = _user({**row, **values})
    if user.disabled:
        return SignIn(None, "disabled")
    return SignIn(user)


def oidc_user(engine: Engine, subject: str, name: str, display_name: str | None, role: str | None,
              default_role: str = Role.VIEWER) -> User:
    """The account of an OpenID Connect sign-in (``subject``: ``iss|sub``), created on first
    sign-in with ``role`` (from the provider's role claim) or ``default_role``; a known account
    keeps the role given here, when the provider gives one, else its own."""
    now = utcnow()
    with engine.begin() as conn:
        row = conn.execute(select(users).where(users.c.oidc_subject == subject)).mappings().first()
        if row is None:
            base = normal_name(re.sub(r"[^a-z0-9._@-]", "-", (name or subject).lower())[:MAX_NAME].lstrip("._@-") or "oidc")
            candidate, n = base, 1
            while conn.execute(select(users.c.id).where(users.c.name == candidate)).first() is not None:
                n += 1
                candidate = f"{base[:MAX_NAME - 4]}-{n}"
            conn.execute(insert(users).values(
                name=candidate, display_name=display_name, role=check_role(role or default_role), password_hash=None,
                oidc_subject=subject, disabled=False, failed_count=0, session_epoch=0, created_at=now, updated_at=now,
                last_sign_in_at=now))
        else:
            values = {"last_sign_in_at": now, "updated_at": now, "display_name": display_name or row["display_name"]}
            if role is not None and role != row["role"]:
                values["role"] = check_role(role)
            conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
        row = conn.execute(select(users).where(users.c.oidc_subject == subject)).mappings().first()
    return _user(row)


# --- wall tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WallToken:
    id: int
    label: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_wall_token(engine: Engine, label: str, created_by: str) -> tuple[WallToken, str]:
    """A new device token for a kiosk screen: (its record, the token, shown only now)."""
    label = (label or "").strip()
    if not label or len(label) > MAX_NAME:
        raise AccountError(f"a wall token needs a label of 1–{MAX_NAME} characters (which screen it is for)")
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(insert(wall_tokens).values(label=label, token_sha256=_digest(token), created_by=created_by[:MAX_NAME],
                                                created_at=utcnow()))
        row = conn.execute(select(wall_tokens).where(wall_tokens.c.token_sha256 == _digest(token))).mappings().one()
    return _token(row), token


def _token(row) -> WallToken:  # noqa: ANN001
    return WallToken(id=int(row["id"]), label=row["label"], created_by=row["created_by"], created_at=row["created_at"],
                     revoked_at=row["revoked_at"], last_used_at=row["last_used_at"])


def list_wall_tokens(engine: Engine) -> list[WallToken]:
    with engine.connect() as conn:
        return [_token(r) for r in conn.execute(select(wall_tokens).order_by(wall_tokens.c.id)).mappings()]


def revoke_wall_token(engine: Engine, token_id: int) -> WallToken:
    with engine.begin() as conn:
        done = conn.execute(update(wall_tokens).where(wall_tokens.c.id == token_id, wall_tokens.c.revoked_at.is_(None))
                            .values(revoked_at=utcnow())).rowcount
        row = conn.execute(select(wall_tokens).where(wall_tokens.c.id == token_id)).mappings().first()
    if row is None:
        raise AccountError(f"no wall token with id {token_id}")
    if not done:
        raise AccountError(f"wall token {token_id} ({row['label']}) was already revoked")
    return _token(row)


def wall_token_by_secret(engine: Engine, token: str) -> WallToken | None:
    """The live (not revoked) token whose secret is ``token``, its use recorded; else None."""
    if not token or len(token) > 200:
        return None
    digest = _digest(token)
    with engine.begin() as conn:
        row = conn.execute(select(wall_tokens).where(wall_tokens.c.token_sha256 == digest,
                                                     wall_tokens.c.revoked_at.is_(None))).mappings().first()
        now = utcnow()
        # A probe polls every few seconds: its use is recorded at most once a minute, not per poll.
        if row is not None and (row["last_used_at"] is None or row["last_used_at"] < now - USE_RECORDED_EVERY):
            conn.execute(update(wall_tokens).where(wall_tokens.c.id == row["id"]).values(last_used_at=now))
    return None if row is None else _token(row)


def stored_session_key(engine: Engine) -> str:
    """The random key kept in the store's ``meta`` table that signs session cookies when no
    ``IOC_SECRET_KEY`` is set (loopback only), made on first use. Workers start together: the
    first key written wins, the others read it."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('session_secret', :v) ON CONFLICT (key) DO NOTHING"),
                     {"v": secrets.token_urlsafe(48)})
        return conn.execute(select(meta.c.value).where(meta.c.key == "session_secret")).scalar_one()


def wall_token_live(engine: Engine, token_id: int) -> WallToken | None:
    """The token ``token_id`` if it is not revoked (a screen's session is checked against it)."""
    with engine.connect() as conn:
        row = conn.execute(select(wall_tokens).where(wall_tokens.c.id == token_id,
                                                     wall_tokens.c.revoked_at.is_(None))).mappings().first()
    return None if row is None else _token(row)
