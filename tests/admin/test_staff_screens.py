"""Admins manage staff accounts from the browser; every change lands in the audit log."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from admin.models import AuditEntry, StaffAccount
from community.database import Database
from tests.admin.console import PASSWORD, StaffBrowser


def test_an_admin_adds_an_editor_who_can_then_log_in(
    db: Database, staff_as: Callable[..., StaffBrowser], anonymous: StaffBrowser
):
    admin = staff_as("admin")
    response = admin.post(
        "/admin/staff",
        {"email": "Rasa@Alytus.lt", "role": "editor", "password": "a long new password"},
    )
    assert response.status_code == 303
    assert "rasa@alytus.lt" in admin.get("/admin/staff").text
    assert anonymous.login("rasa@alytus.lt", "a long new password").status_code == 303
    with db.session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "staff.create")).one()
    assert entry.staff_email == "admin@alytus.test" and entry.after["role"] == "editor"
    assert "password" not in str(entry.after)


def test_a_short_password_is_refused_with_the_reason(staff_as: Callable[..., StaffBrowser]):
    admin = staff_as("admin")
    response = admin.post(
        "/admin/staff", {"email": "x@alytus.lt", "role": "editor", "password": "short"}
    )
    assert response.status_code == 400 and "at least 12 characters" in response.text


def test_a_role_change_takes_effect_at_once_and_is_audited(
    db: Database, staff_as: Callable[..., StaffBrowser]
):
    admin = staff_as("admin")
    editor = staff_as("editor")
    assert editor.get("/admin/kb").status_code == 200
    with db.session() as session:
        editor_id = (
            session.exec(select(StaffAccount).where(StaffAccount.email == "editor@alytus.test"))
            .one()
            .id
        )
    response = admin.post(f"/admin/staff/{editor_id}", {"role": "moderator", "active": "true"})
    assert response.status_code == 303
    # the role change ended the old session: the editor logs in again as a moderator
    assert editor.get("/admin/kb", follow_redirects=False).status_code == 303
    editor.login("editor@alytus.test", PASSWORD)
    assert editor.get("/admin/kb").status_code == 403
    with db.session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "staff.update")).one()
    assert (entry.before["role"], entry.after["role"]) == ("editor", "moderator")


def test_the_last_admin_cannot_lock_everyone_out(
    db: Database, staff_as: Callable[..., StaffBrowser]
):
    admin = staff_as("admin")
    with db.session() as session:
        admin_id = session.exec(select(StaffAccount)).one().id
    response = admin.post(f"/admin/staff/{admin_id}", {"role": "editor", "active": "true"})
    assert response.status_code == 400 and "last active admin" in response.text


def test_the_audit_log_shows_who_changed_what(staff_as: Callable[..., StaffBrowser]):
    admin = staff_as("admin")
    admin.post(
        "/admin/staff", {"email": "jonas@alytus.lt", "role": "moderator", "password": PASSWORD}
    )
    page = admin.get("/admin/audit?action=staff.create")
    assert page.status_code == 200
    assert "admin@alytus.test" in page.text and "jonas@alytus.lt" in page.text
    assert "moderator" in page.text


def test_only_admins_open_the_staff_and_audit_screens(staff_as: Callable[..., StaffBrowser]):
    moderator = staff_as("moderator")
    assert moderator.get("/admin/staff").status_code == 403
    assert moderator.get("/admin/audit").status_code == 403
