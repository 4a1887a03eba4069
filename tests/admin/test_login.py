"""Staff login: argon2 passwords, rate limiting, CSRF, session cookie flags, security headers."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from admin.accounts import authenticate
from admin.models import StaffAccount
from community.database import Database
from tests.admin.console import PASSWORD, StaffBrowser, add_staff


def test_anonymous_visitors_get_the_login_page(anonymous: StaffBrowser):
    page = anonymous.get("/admin/kb", follow_redirects=True)
    assert page.status_code == 200
    assert "Staff login" in page.text and str(page.url).endswith("/admin/login?next=/admin/kb")


def test_passwords_are_stored_as_argon2_hashes(db: Database):
    add_staff(db, "editor")
    with db.session() as session:
        account = session.exec(select(StaffAccount)).one()
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_a_staff_member_logs_in_and_lands_on_their_start_page(
    db: Database, anonymous: StaffBrowser
):
    email = add_staff(db, "editor")
    response = anonymous.login(email)
    assert response.status_code == 303 and response.headers["location"] == "/admin/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    assert "path=/admin" in cookie


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    db: Database, anonymous: StaffBrowser
):
    email = add_staff(db, "editor")
    wrong = anonymous.login(email, "not the password at all")
    unknown = anonymous.login("nobody@alytus.test", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password" in wrong.text and "Wrong email or password" in unknown.text


def test_five_failed_logins_lock_the_email_for_a_while_even_with_the_right_password(
    db: Database, anonymous: StaffBrowser
):
    email = add_staff(db, "editor")
    for _ in range(5):
        assert anonymous.login(email, "guess guess guess").status_code == 401
    locked = anonymous.login(email)
    assert locked.status_code == 429 and "Too many failed logins" in locked.text


def test_a_login_form_without_the_csrf_token_is_refused(db: Database, anonymous: StaffBrowser):
    email = add_staff(db, "editor")
    anonymous.refresh_csrf()
    response = anonymous.client.post(
        "/admin/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403


def test_a_change_posted_from_another_site_is_refused(staff_as: Callable[..., StaffBrowser]):
    editor = staff_as("editor")
    response = editor.post("/admin/logout", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert editor.get("/admin/").status_code == 200  # still logged in


def test_logging_out_ends_the_session(staff_as: Callable[..., StaffBrowser]):
    editor = staff_as("editor")
    assert editor.post("/admin/logout").status_code == 303
    assert editor.get("/admin/", follow_redirects=False).status_code == 303


def test_a_disabled_account_is_logged_out_at_its_next_request(
    db: Database, staff_as: Callable[..., StaffBrowser]
):
    editor = staff_as("editor")
    with db.session() as session:
        account = session.exec(select(StaffAccount)).one()
        account.active = False
    assert editor.get("/admin/", follow_redirects=False).status_code == 303


def test_every_admin_page_carries_the_security_headers(anonymous: StaffBrowser):
    page = anonymous.get("/admin/login")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_authenticate_upgrades_nothing_for_a_disabled_account(db: Database):
    email = add_staff(db, "moderator")
    with db.session() as session:
        session.exec(select(StaffAccount)).one().active = False
    with db.session() as session:
        try:
            authenticate(session=session, email=email, password=PASSWORD, address="127.0.0.1")
        except Exception as error:  # noqa: BLE001 - the type is what the test reads
            assert type(error).__name__ == "LoginRefused"
        else:
            raise AssertionError("a disabled account logged in")
