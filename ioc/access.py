"""Who may do what: the roles, what each may do, and how much personal data each sees.

Plain data and functions, no I/O, no web framework: the web layer (``callbacks/access.py``)
checks these on the server for every callback, export and route, the CLI and the exports follow
the same :func:`personal_data` rule.

========  =====================================================================================
role      may
========  =====================================================================================
viewer    read pages, with no personal data (plates, citizens' descriptions and addresses hidden)
wall      a revocable device token for kiosk screens; read-only (sources' errors included), no
          personal data, no exports
operator  acknowledge alerts under the signed-in name (never a typed one); personal data masked
leader    read everything (sources' errors and runs included); reports (aggregate CSVs of the
          charts); personal data masked
analyst   reports and record-level exports; unmasked personal data only with a stated reason,
          which is recorded in the audit trail
admin     users, wall tokens, sources, the audit trail; read everything, personal data masked
========  =====================================================================================
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    WALL = "wall"
    OPERATOR = "operator"
    LEADER = "leader"
    ANALYST = "analyst"
    ADMIN = "admin"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)


class Can(StrEnum):
    """What a callback, route or export needs. Each is granted to the roles in :data:`GRANTS`."""

    PUBLIC = "public"  # anyone, signed in or not (the sign-in page, /healthz, static files)
    READ = "read"  # the pages and their figures
    OPERATIONS = "operations"  # sources' error texts and run details (not for viewers)
    ACKNOWLEDGE = "acknowledge"  # alerts, under the signed-in name
    REPORT = "report"  # aggregate downloads (a chart's numbers)
    EXPORT = "export"  # record-level downloads (masked unless unmasked with a reason)
    UNMASK = "unmask"  # see personal data in clear, with a stated reason
    ADMINISTER = "administer"  # users, wall tokens, sources, the audit trail


_ALL = frozenset(ROLES)
GRANTS: dict[Can, frozenset[str]] = {
    Can.PUBLIC: _ALL,
    Can.READ: _ALL,
    Can.OPERATIONS: frozenset({Role.WALL, Role.OPERATOR, Role.LEADER, Role.ANALYST, Role.ADMIN}),
    Can.ACKNOWLEDGE: frozenset({Role.OPERATOR}),
    Can.REPORT: frozenset({Role.LEADER, Role.ANALYST, Role.ADMIN}),
    Can.EXPORT: frozenset({Role.ANALYST}),
    Can.UNMASK: frozenset({Role.ANALYST}),
    Can.ADMINISTER: frozenset({Role.ADMIN}),
}


class Personal(StrEnum):
    """How much personal data (plates, citizens' text and addresses, phones, e-mails) a reader sees."""

    HIDDEN = "hidden"  # not at all
    MASKED = "masked"  # masked (75A-123.**, 09xx xxx 456, a***@…)
    CLEAR = "clear"  # in clear (an analyst who stated a reason; the view is audited)


def may(role: str | None, need: Can | str) -> bool:
    """Whether ``role`` (None: nobody signed in and no anonymous access) may do ``need``."""
    need = Can(need)
    if need is Can.PUBLIC:
        return True
    return role is not None and role in GRANTS[need]


def personal_data(role: str | None, unmasked: bool = False) -> Personal:
    """What ``role`` sees of personal data; ``unmasked``: an unmasking with a stated reason is
    in force for this session (only roles that may :data:`Can.UNMASK` get it)."""
    if role in (None, Role.VIEWER, Role.WALL):
        return Personal.HIDDEN
    if unmasked and may(role, Can.UNMASK):
        return Personal.CLEAR
    return Personal.MASKED


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`, else ValueError naming the known ones."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    return role
