"""Text no database can store (NUL, lone surrogates) gets a clear 400 at the door, on every
route, instead of a 500 from PostgreSQL; ordinary requests pass with their bodies intact.
Runs on SQLite and PostgreSQL (the PostgreSQL pass is where the 500 showed)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import func, select

from community.database import Database
from community.models import Member
from tests.admin.console import StaffBrowser

REFUSAL = "must not contain NUL characters"


def members(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(Member)).one()


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "q=%ED%A0%80x%00"])
def test_a_search_with_a_nul_is_refused_not_a_server_error(
    staff_as: Callable[..., StaffBrowser], query: str
):
    admin = staff_as("admin")
    answer = admin.api("GET", f"/admin/api/members?{query}")
    assert answer.status_code == 400 and REFUSAL in answer.json()["detail"]
    assert admin.api("GET", "/admin/api/members?q=ona").status_code == 200


@pytest.mark.parametrize("text", ["labas\u0000", "\ud800 labas"])
def test_the_chat_refuses_unstorable_text_and_stores_nothing(
    admin_app: FastAPI, db: Database, text: str
):
    chat = TestClient(admin_app, base_url="https://testserver")
    before = members(db)
    body = json.dumps({"text": text})  # escaped: \u0000, \ud800
    answer = chat.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400 and REFUSAL in answer.text
    assert members(db) == before
    ok = chat.post("/api/chat", json={"payload": "/start"})  # the body reaches the route intact
    assert ok.status_code == 200 and ok.json()["replies"]


def test_a_form_and_a_path_with_a_nul_are_refused(
    staff_as: Callable[..., StaffBrowser], admin_app: FastAPI
):
    editor = staff_as("editor")
    assert editor.post("/admin/kb", {"q": "a\x00b"}).status_code == 400
    visitor = TestClient(admin_app, base_url="https://testserver")
    assert visitor.get("/join/abc%00def", follow_redirects=False).status_code == 400


def test_an_upload_may_hold_nul_bytes(staff_as: Callable[..., StaffBrowser]):
    editor = staff_as("editor")
    report = editor.post(
        "/admin/kb/import",
        {"status": "draft"},
        files=[("files", ("binary.pdf", b"%PDF-1.4\x00\x00 not a pdf", "application/pdf"))],
    )
    assert report.status_code == 200 and "binary.pdf" in report.text
