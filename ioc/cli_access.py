"""``python -m ioc users|tokens|audit``: accounts, wall-screen tokens and the audit trail.

Whoever runs these has the server's shell, so they act as administrators; every change is
recorded in the audit trail under ``cli:<operating-system user>``. Passwords are read from the
terminal (twice) or, for scripts, from standard input with ``--password-stdin``; never from
the command line, where ``ps`` and the shell history would show them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, datetime, time, timedelta
from typing import Any

from ioc.access import ROLES

ACTIONS_HELP = "sign_in, sign_in_failed, acknowledge, export, unmask, user_add, token_add, …"


class AccessCliError(Exception):
    """A one-line message; exit code 2 (the CLI's CliError)."""


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli:?"


def _engine():  # noqa: ANN202
    from ioc.context import context

    return context().engine


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise AccessCliError("no terminal to ask for the password: pipe it with --password-stdin")
        value = getpass.getpass("password: ")
        if getpass.getpass("again: ") != value:
            raise AccessCliError("the two passwords differ")
    return value


def _fmt(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def cmd_users(args: argparse.Namespace) -> int:
    from ioc import accounts, audit

    engine = _engine()
    try:
        if args.action == "add":
            password = None if args.no_password else _password(args)
            user = accounts.add_user(engine, args.name, args.role, password, display_name=args.display_name)
            audit.record(engine, cli_actor(), "user_add", target=user.name, detail={"role": user.role,
                                                                                "password": password is not None})
            print(f"user {user.name} ({user.role}) created" + ("" if password else "; signs in through OpenID Connect"))
        elif args.action == "list":
            rows = accounts.list_users(engine)
            if args.json:
                print(json.dumps([{"name": u.name, "display_name": u.display_name, "role": u.role,
                                   "disabled": u.disabled, "password": u.has_password, "oidc": u.oidc_subject is not None,
                                   "created_at": u.created_at.isoformat() + "Z",
                                   "last_sign_in_at": u.last_sign_in_at and u.last_sign_in_at.isoformat() + "Z"}
                                  for u in rows], ensure_ascii=False, indent=2))
            else:
                for u in rows:
                    state = "disabled" if u.disabled else "active"
                    how = "password" if u.has_password else "oidc" if u.oidc_subject else "no password"
                    print(f"{u.name:<24} {u.role:<9} {state:<9} {how:<11} last sign-in {_fmt(u.last_sign_in_at)}")
                if not rows:
                    print("no users (add one: python -m ioc users add NAME --role admin)")
        elif args.action in ("disable", "enable"):
            user = accounts.disable_user(engine, args.name, disabled=args.action == "disable")
            audit.record(engine, cli_actor(), f"user_{args.action}", target=user.name)
            print(f"user {user.name} {args.action}d" + ("; its sessions end now" if args.action == "disable" else ""))
        elif args.action == "reset":
            user = accounts.reset_password(engine, args.name, _password(args))
            audit.record(engine, cli_actor(), "user_reset", target=user.name)
            print(f"password of {user.name} reset; its sessions end now")
        elif args.action == "role":
            user = accounts.set_role(engine, args.name, args.role)
            audit.record(engine, cli_actor(), "user_role", target=user.name, detail={"role": user.role})
            print(f"user {user.name} is now {user.role}; its sessions end now")
    except accounts.AccountError as exc:
        raise AccessCliError(str(exc)) from None
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    from ioc import accounts, audit

    engine = _engine()
    try:
        if args.action == "add":
            token, secret = accounts.add_wall_token(engine, args.label, cli_actor())
            audit.record(engine, cli_actor(), "token_add", target=f"wall token {token.id}", detail={"label": token.label})
            print(f"wall token {token.id} for {token.label!r} (shown once; keep it like a password):\n{secret}\n"
                  f"screen address: /signin/wall?token={secret}&next=/wall%3Fkiosk%3D1")
        elif args.action == "list":
            rows = accounts.list_wall_tokens(engine)
            if args.json:
                print(json.dumps([{"id": w.id, "label": w.label, "created_by": w.created_by,
                                   "created_at": w.created_at.isoformat() + "Z",
                                   "revoked_at": w.revoked_at and w.revoked_at.isoformat() + "Z",
                                   "last_used_at": w.last_used_at and w.last_used_at.isoformat() + "Z"} for w in rows],
                                 ensure_ascii=False, indent=2))
            else:
                for w in rows:
                    state = f"revoked {_fmt(w.revoked_at)}" if w.revoked_at else f"last used {_fmt(w.last_used_at)}"
                    print(f"{w.id:>4}  {w.label:<30} {state}")
                if not rows:
                    print("no wall tokens (add one: python -m ioc tokens add 'IOC room, screen 1')")
        elif args.action == "revoke":
            token = accounts.revoke_wall_token(engine, args.id)
            audit.record(engine, cli_actor(), "token_revoke", target=f"wall token {token.id}", detail={"label": token.label})
            print(f"wall token {token.id} ({token.label}) revoked: its screen signs out at its next request")
    except accounts.AccountError as exc:
        raise AccessCliError(str(exc)) from None
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from ioc import audit
    from ioc.config import settings
    from ioc.kpi.periods import parse_date

    engine = _engine()
    if args.prune:
        gone = audit.prune(engine, settings().audit_retention_days)
        print(f"audit trail: {gone} entries older than {settings().audit_retention_days} days deleted")
        return 0
    since = None
    if args.since:
        day = parse_date(args.since, "--since")
        since = datetime.combine(day, time(0), settings().tz).astimezone(UTC).replace(tzinfo=None)
    elif not args.all:
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30)
    rows = audit.entries(engine, since=since, action=args.action, actor=args.actor, limit=args.limit)
    if args.json:
        print(json.dumps([e.as_json() for e in rows], ensure_ascii=False, indent=2))
        return 0
    for e in rows:
        detail = json.dumps(e.detail, ensure_ascii=False) if e.detail else ""
        print(f"{_fmt(e.at)}  {e.actor:<20} {e.role or '—':<9} {e.action:<15} {e.target or '':<24} {detail}")
    if not rows:
        print("no audit entries" + (" in the last 30 days (--all for every one)" if since and not args.since else ""))
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("users", help="local accounts: add, list, disable, enable, reset, role")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("add", help="create an account (asks for the password; there is no default)")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=[r for r in ROLES if r != "wall"])
    a.add_argument("--display-name", help="the name shown and recorded with acknowledgements")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.add_argument("--no-password", action="store_true", help="an OpenID Connect account (no local password)")
    a = actions.add_parser("list", help="every account")
    a.add_argument("--json", action="store_true")
    for name, text in (("disable", "disable an account (its sessions end)"), ("enable", "enable a disabled account")):
        actions.add_parser(name, help=text).add_argument("name")
    a = actions.add_parser("reset", help="set a new password (ends the account's sessions, clears the back-off)")
    a.add_argument("name")
    a.add_argument("--password-stdin", action="store_true")
    a = actions.add_parser("role", help="change an account's role (ends its sessions)")
    a.add_argument("name")
    a.add_argument("role", choices=[r for r in ROLES if r != "wall"])
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("tokens", help="wall-screen device tokens: add, list, revoke")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("add", help="a new token for a kiosk screen (shown once)").add_argument(
        "label", help="which screen: 'IOC room, screen 3'")
    actions.add_parser("list", help="every token (never the secret)").add_argument("--json", action="store_true")
    actions.add_parser("revoke", help="revoke a token: its screen signs out").add_argument("id", type=int)
    p.set_defaults(func=cmd_tokens)

    p = sub.add_parser("audit", help="the audit trail: sign-ins, acknowledgements, exports, unmasking, changes")
    p.add_argument("--json", action="store_true")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="from this local date (default: the last 30 days)")
    p.add_argument("--all", action="store_true", help="every entry kept (see IOC_AUDIT_RETENTION_DAYS)")
    p.add_argument("--action", help=f"only this action ({ACTIONS_HELP})")
    p.add_argument("--actor", help="only this actor")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--prune", action="store_true", help="delete entries older than the retention, now")
    p.set_defaults(func=cmd_audit)
