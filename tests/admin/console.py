"""Driving the staff admin over HTTP in tests: staff accounts, login, forms with the CSRF token.

`StaffBrowser` is a TestClient logged in as one staff member; `post` adds the session's CSRF
token the way the admin's forms and HTMX do.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from admin.accounts import create_staff
from community.database import Database

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def add_staff(
    db: Database, role: str, *, email: str | None = None, partner_id: int | None = None
) -> str:
    """Create a staff account with PASSWORD; returns its email."""
    email = email or f"{role}@alytus.test"
    with db.session() as session:
        create_staff(
            session=session, email=email, role=role, password=PASSWORD, partner_id=partner_id
        )
    return email


class StaffBrowser:
    """One staff member's browser session against the app (cookies kept between calls)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def refresh_csrf(self, path: str = "/admin/login") -> str:
        page = self.client.get(path)
        found = CSRF.search(page.text)
        assert found, f"no CSRF token on {path}"
        self.csrf = found.group(1)
        return self.csrf

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        self.refresh_csrf()
        response = self.client.post(
            "/admin/login",
            data={"email": email, "password": password, "csrf_token": self.csrf},
            follow_redirects=False,
        )
        if response.status_code == 303:
            self.refresh_csrf()  # the same session token every page of this session carries
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """A form post with the CSRF token, not following the redirect (303 = done)."""
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(path, data={**(data or {}), "csrf_token": self.csrf}, **kwargs)

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A JSON API call with the token in the X-CSRF-Token header."""
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)
