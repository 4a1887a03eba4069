"""Schemathesis against the admin's JSON API (its OpenAPI document, served by the app itself):
generated requests of every shape (valid by the schema, and deliberately invalid), logged in
as an admin, never get a 5xx.

Schemathesis' pytest plugin (`from_fixture`) reads a pytest attribute that pytest 9 removed, so
each operation's Hypothesis strategy is driven here directly; the checks are Schemathesis'.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from admin.console import SESSION_COOKIE
from tests.admin.console import StaffBrowser

API = "^/admin/api/"
OPENAPI = "/admin/api/openapi.json"  # staff only (no public API description)
EXAMPLES = 50


@pytest.fixture
def admin_browser(staff_as: Callable[..., StaffBrowser]) -> StaffBrowser:
    return staff_as("admin")


def test_the_admin_api_is_documented(admin_app: FastAPI):
    paths = admin_app.openapi()["paths"]
    api = [path for path in paths if path.startswith("/admin/api/")]
    assert len(api) >= 8, api
    assert not [path for path in paths if path.startswith("/admin/") and path not in api], (
        "HTML screens should stay out of the API document"
    )


def test_no_request_gets_a_server_error(admin_app: FastAPI, admin_browser: StaffBrowser):
    cookie = admin_browser.client.cookies.get(SESSION_COOKIE)
    headers = {"X-CSRF-Token": admin_browser.csrf, "Cookie": f"{SESSION_COOKIE}={cookie}"}
    schema = schemathesis.openapi.from_asgi(OPENAPI, admin_app, headers=headers)
    schema = schema.include(path_regex=API)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:
        valid = operation.as_strategy(GenerationMode.POSITIVE)
        invalid = operation.as_strategy(GenerationMode.NEGATIVE)

        @given(case=valid | invalid)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def no_server_error(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(checks=[not_a_server_error], headers=headers)

        no_server_error()


def test_the_api_description_is_for_logged_in_staff_only(
    admin_app: FastAPI, admin_browser: StaffBrowser
):
    """Before, /docs and /openapi.json were public and showed the whole admin API."""
    from fastapi.testclient import TestClient

    anonymous = TestClient(admin_app, base_url="https://testserver")
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert anonymous.get(path).status_code == 404, path
    assert anonymous.get(OPENAPI).status_code == 401
    described = admin_browser.get(OPENAPI)
    assert described.status_code == 200 and "/admin/api/members" in described.json()["paths"]
