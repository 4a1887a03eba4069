"""Fixtures for the staff admin: the app on the rolled-back test database, and a logged-in
staff browser per role (`staff_as("editor")`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from admin.web import create_app
from bots.engine import Engine
from community.database import Database
from community.settings import Settings
from tests.admin.console import StaffBrowser, add_staff


@pytest.fixture
def admin_app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


@pytest.fixture
def staff_as(admin_app: FastAPI, db: Database) -> Callable[..., StaffBrowser]:
    """Log in a new staff member of `role` (HTTPS, as the session cookie is Secure)."""

    def login(
        role: str, *, email: str | None = None, partner_id: int | None = None
    ) -> StaffBrowser:
        email = add_staff(db, role, email=email, partner_id=partner_id)
        browser = StaffBrowser(TestClient(admin_app, base_url="https://testserver"))
        response = browser.login(email)
        assert response.status_code == 303, response.text
        return browser

    return login


@pytest.fixture
def anonymous(admin_app: FastAPI) -> StaffBrowser:
    return StaffBrowser(TestClient(admin_app, base_url="https://testserver"))
