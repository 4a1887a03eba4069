"""Every admin route for every role: allowed or refused as the role says.

The expectations are written here, area by area, independently of admin/roles.py: a route
added under a path this table does not know fails the test until someone decides who may
open it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from tests.admin.console import StaffBrowser

ROLES = ("admin", "editor", "moderator", "partner")
EVERYONE_BUT_PARTNERS = {"admin", "editor", "moderator"}

# (path prefix, roles allowed); the first match wins, so longer prefixes come first
WHO_MAY_OPEN: list[tuple[str, set[str]]] = [
    ("/admin/api/openapi.json", EVERYONE_BUT_PARTNERS),  # the API's description: staff only
    ("/admin/api/kb", {"admin", "editor"}),
    ("/admin/api/inbox", EVERYONE_BUT_PARTNERS),
    ("/admin/api/members", {"admin", "moderator"}),
    ("/admin/api/feed", {"admin", "editor"}),
    ("/admin/api/broadcasts", {"admin", "editor"}),
    ("/admin/api/rewards", {"admin"}),
    ("/admin/api/ledger", {"admin"}),
    ("/admin/api/desk", {"admin", "partner"}),
    ("/admin/api/analytics", EVERYONE_BUT_PARTNERS),
    ("/admin/api/prospects", {"admin", "editor"}),
    ("/admin/api/campaigns", {"admin", "editor"}),
    ("/admin/api/suggestions", {"admin", "editor"}),
    ("/admin/api/polls", {"admin", "editor"}),
    ("/admin/api/handovers", EVERYONE_BUT_PARTNERS),
    ("/admin/prospects", {"admin", "editor"}),
    ("/admin/campaigns", {"admin", "editor"}),
    ("/admin/suggestions", {"admin", "editor"}),
    ("/admin/polls", {"admin", "editor"}),
    ("/admin/handovers", EVERYONE_BUT_PARTNERS),
    ("/admin/kb", {"admin", "editor"}),
    ("/admin/inbox", EVERYONE_BUT_PARTNERS),
    ("/admin/members", {"admin", "moderator"}),
    ("/admin/feed", {"admin", "editor"}),
    ("/admin/broadcasts", {"admin", "editor"}),
    ("/admin/rewards", {"admin"}),
    ("/admin/desk", {"admin", "partner"}),
    ("/admin/analytics", EVERYONE_BUT_PARTNERS),
    ("/admin/audit", {"admin"}),
    ("/admin/staff", {"admin"}),
    ("/admin/", EVERYONE_BUT_PARTNERS),  # the dashboard
]
OPEN_TO_ALL = {"/admin/login", "/admin/logout"}
PARAMETER = re.compile(r"\{[^}]+\}")


def expected_roles(path: str) -> set[str]:
    for prefix, roles in WHO_MAY_OPEN:
        if prefix == "/admin/":
            if path in ("/admin", "/admin/"):
                return roles
        elif path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "."):
            return roles
    raise AssertionError(f"{path}: nobody decided which roles may open it (add it above)")


def _flat(routes: Iterable[Any]) -> Iterator[Any]:
    """Every endpoint route, also inside included routers (FastAPI 0.16x no longer lists
    them flat in `app.routes`; each inclusion is one entry with its effective routes)."""
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from _flat(route.effective_candidates())
        else:
            yield route


def admin_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) for every staff route; path parameters filled with 1."""
    found = set()
    for route in _flat(app.routes):
        path, methods = getattr(route, "path", ""), getattr(route, "methods", None) or set()
        if not path.startswith("/admin") or path in OPEN_TO_ALL or path.startswith("/admin/static"):
            continue
        for method in methods - {"HEAD"}:
            found.add((method, PARAMETER.sub("1", path)))
    return sorted(found)


def test_every_admin_route_has_an_owner(admin_app: FastAPI):
    routes = admin_routes(admin_app)
    assert len(routes) >= 30, "the admin's screens are not mounted"
    for _, path in routes:
        expected_roles(path)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_its_areas(
    role: str, admin_app: FastAPI, staff_as: Callable[..., StaffBrowser], db
):
    partner_id = None
    if role == "partner":
        from rewards.partners import add_partner

        with db.session() as session:
            partner_id = add_partner(session=session, name="Kavinė Test").id
    browser = staff_as(role, partner_id=partner_id)
    wrong = []
    for method, path in admin_routes(admin_app):
        allowed = role in expected_roles(path)
        if method != "GET" and allowed:
            continue  # refusals are checked for every method; allowed changes by other tests
        response = browser.client.request(
            method, path, headers={"X-CSRF-Token": browser.csrf}, follow_redirects=False
        )
        refused = response.status_code == 403
        if allowed and (refused or response.status_code >= 500 or response.status_code == 401):
            wrong.append(f"{role} {method} {path}: {response.status_code}, expected to open")
        if not allowed and not refused:
            wrong.append(f"{role} {method} {path}: {response.status_code}, expected 403")
    assert not wrong, "\n".join(wrong)


def test_anonymous_visitors_are_sent_to_the_login_or_get_401(
    admin_app: FastAPI, anonymous: StaffBrowser
):
    for method, path in admin_routes(admin_app):
        response = anonymous.client.request(method, path, follow_redirects=False)
        if path.startswith("/admin/api/"):
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/admin/login")
