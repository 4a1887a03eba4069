"""Which screens each staff role opens: one table, read by the guard and by the navigation.

Partners (a merchant's staff) see only the passport desk, never members' personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from admin.models import StaffRole

ADMIN, EDITOR, MODERATOR, PARTNER = (
    StaffRole.ADMIN,
    StaffRole.EDITOR,
    StaffRole.MODERATOR,
    StaffRole.PARTNER,
)

STAFF = frozenset({ADMIN, EDITOR, MODERATOR})  # everyone but partners


@dataclass(frozen=True)
class Area:
    """A part of the admin: its name in the URL, its label in the menu, who may open it."""

    name: str
    label: str
    path: str
    roles: frozenset[StaffRole]


AREAS: tuple[Area, ...] = (
    Area("dashboard", "Dashboard", "/admin/", STAFF),
    Area("kb", "Knowledge base", "/admin/kb", frozenset({ADMIN, EDITOR})),
    Area("inbox", "Unanswered", "/admin/inbox", STAFF),
    Area("members", "Members", "/admin/members", frozenset({ADMIN, MODERATOR})),
    Area(
        "handovers",
        "Coordinator requests",
        "/admin/handovers",
        STAFF,
    ),
    Area("feed", "Feed & broadcasts", "/admin/feed", frozenset({ADMIN, EDITOR})),
    Area("prospects", "Prospects & campaigns", "/admin/prospects", frozenset({ADMIN, EDITOR})),
    Area("suggestions", "Group suggestions", "/admin/suggestions", frozenset({ADMIN, EDITOR})),
    Area("polls", "City polls", "/admin/polls", frozenset({ADMIN, EDITOR})),
    Area("rewards", "Rewards & ledger", "/admin/rewards", frozenset({ADMIN})),
    Area("desk", "Passport desk", "/admin/desk", frozenset({ADMIN, PARTNER})),
    Area("analytics", "Analytics", "/admin/analytics", STAFF),
    Area("audit", "Audit log", "/admin/audit", frozenset({ADMIN})),
    Area("staff", "Staff", "/admin/staff", frozenset({ADMIN})),
)
BY_NAME = {area.name: area for area in AREAS}


def allowed(role: str, area: str) -> bool:
    """May a staff member with `role` open `area`?"""
    return role in BY_NAME[area].roles


def areas_for(role: str) -> list[Area]:
    """The menu of a role, in the order above."""
    return [area for area in AREAS if role in area.roles]


def home_of(role: str) -> str:
    """Where a role lands after login: the first screen it may open."""
    return areas_for(role)[0].path
