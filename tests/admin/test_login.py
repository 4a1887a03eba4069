"""Staff login: argon2 passwords, rate limiting, CSRF, session cookie flags, security headers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from admin.accounts import authenticate, set_password
from admin.models import StaffAccount, StaffSession
from community.database import Database
from community.models import utcnow
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


def test_a_cookie_saved_before_logout_opens_nothing_afterwards(
    staff_as: Callable[..., StaffBrowser], admin_app
):  # type: ignore[no-untyped-def]
    """The session lives on the server: logging out ends it for every copy of the cookie
    (before, the signed cookie alone was the session, and a saved copy still opened /admin/kb)."""
    editor = staff_as("editor")
    saved = dict(editor.client.cookies)
    assert editor.post("/admin/logout").status_code == 303
    thief = TestClient(admin_app, base_url="https://testserver", cookies=saved)
    page = thief.get("/admin/kb", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/admin/login")


def test_a_session_unused_for_the_idle_time_ends_and_one_in_use_goes_on(
    db: Database, staff_as: Callable[..., StaffBrowser], settings
):  # type: ignore[no-untyped-def]
    idle = timedelta(hours=settings.admin_session_hours)
    busy, resting = staff_as("editor"), staff_as("moderator")
    with db.session() as session:
        for held in session.exec(select(StaffSession)):
            account = session.get(StaffAccount, held.account_id)
            ago = (
                idle - timedelta(minutes=5)
                if account.role == "editor"
                else idle + timedelta(minutes=1)
            )
            held.last_seen_at = utcnow() - ago
            session.add(held)
    assert busy.get("/admin/kb", follow_redirects=False).status_code == 200
    assert busy.get("/admin/kb", follow_redirects=False).status_code == 200  # touched: fresh again
    gone = resting.get("/admin/inbox", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/admin/login")
    with db.session() as session:
        assert len(session.exec(select(StaffSession)).all()) == 1


def test_a_password_change_ends_the_accounts_other_sessions(
    db: Database, staff_as: Callable[..., StaffBrowser]
):
    email = "twice@alytus.lt"
    first = staff_as("editor", email=email)
    with db.session() as session:
        account = session.exec(select(StaffAccount).where(StaffAccount.email == email)).one()
        set_password(session=session, account=account, password="an entirely new password")
    assert first.get("/admin/kb", follow_redirects=False).status_code == 303


def test_password_hashing_runs_off_the_event_loop(
    db: Database, anonymous: StaffBrowser, monkeypatch
):  # type: ignore[no-untyped-def]
    """argon2 takes tens of milliseconds of CPU; run in the async handler it froze every other
    request (16 concurrent logins held /healthz for 2.3 s; bench/hostile_requests.py measures
    it). Here: the verification happens in a thread with no event loop running."""
    import asyncio

    from admin import accounts

    seen: list[bool] = []

    class Watched:
        """The real hasher, noting whether an event loop runs where it verifies."""

        def __init__(self, real: object) -> None:
            self.real = real

        def verify(self, hashed: str, password: str) -> bool:
            try:
                asyncio.get_running_loop()
                seen.append(True)
            except RuntimeError:
                seen.append(False)
            return self.real.verify(hashed, password)  # type: ignore[attr-defined]

        def __getattr__(self, name: str) -> object:
            return getattr(self.real, name)

    monkeypatch.setattr(accounts, "_hasher", Watched(accounts._hasher))
    email = add_staff(db, "editor")
    assert anonymous.login(email).status_code == 303
    assert anonymous.login("nobody@alytus.lt").status_code == 401
    assert seen == [False, False]


def test_an_unknown_admin_address_is_a_page_and_the_api_answers_json(
    staff_as: Callable[..., StaffBrowser], anonymous: StaffBrowser
):
    """Before, a mistyped admin address showed raw {"detail":"Not Found"}."""
    editor = staff_as("editor")
    page = editor.get("/admin/knowledge-base")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "Page not found" in page.text and 'href="/admin/kb"' in page.text
    stranger = anonymous.get("/admin/nope")
    assert stranger.status_code == 404 and "Go to the login page" in stranger.text
    api = editor.api("GET", "/admin/api/nope")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
