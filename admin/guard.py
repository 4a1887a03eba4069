"""Who is asking: the staff session, the role check and CSRF, as FastAPI dependencies.

The session lives on the server (admin.models.StaffSession); Starlette's signed cookie
(HttpOnly, SameSite=Strict, Secure behind TLS, path /admin) carries its random token and a
CSRF token. Logout deletes the row, so a copy of the cookie kept from before opens nothing.
Every request that changes something must carry that token (form field `csrf_token` or
header `X-CSRF-Token`) and, when the browser sends one, an Origin of this site.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from sqlalchemy import delete
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from admin.models import StaffAccount, StaffSession
from admin.roles import allowed
from community.database import Database
from community.models import as_utc, utcnow
from community.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
TOUCH_EVERY = timedelta(minutes=1)  # how stale a session's last_seen_at may be
MAX_IDLE = timedelta(hours=168)  # rows older than any idle setting allows are cleared


class NotLoggedIn(Exception):
    """No (valid) staff session: HTML pages redirect to the login, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but this role may not open this area (403)."""


class BadCsrf(Exception):
    """A change without the session's CSRF token, or from another site's page (403)."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (also for the login form)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request that lacks this session's token or comes from elsewhere."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.url.netloc:
        raise BadCsrf("This request came from another site.")
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if not given and "form" in request.headers.get("content-type", ""):
        given = str((await request.form()).get(CSRF_FIELD) or "")
    if not expected or not given or not hmac.compare_digest(str(expected), given):
        raise BadCsrf("The form expired or did not come from this site; reload the page.")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, account: StaffAccount, now: datetime | None = None) -> str:
    """A server-side session for `account` (and expired ones cleared away); its token."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.exec(delete(StaffSession).where(col(StaffSession.last_seen_at) < now - MAX_IDLE))  # type: ignore[call-overload]
    session.add(
        StaffSession(id=_digest(token), account_id=account.id, created_at=now, last_seen_at=now)
    )
    session.flush()
    return token


def log_in(request: Request, token: str) -> None:
    """The cookie for a session opened by `open_session` (a new CSRF token too: no session
    fixation)."""
    request.session.clear()
    request.session.update({"sid": token, "csrf": secrets.token_urlsafe(32)})


def log_out(request: Request, db: Database) -> None:
    """End the session on the server: the cookie, wherever a copy of it is, opens nothing."""
    token = request.session.get("sid")
    if isinstance(token, str):
        with db.session() as session:
            session.exec(delete(StaffSession).where(col(StaffSession.id) == _digest(token)))  # type: ignore[call-overload]
    request.session.clear()


def signed_in(
    request: Request, db: Database, settings: Settings, now: datetime | None = None
) -> StaffAccount | None:
    """The account of this session, if the session is open on the server, not idle too
    long or older than its maximum, and the account still active."""
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    now = now or utcnow()
    idle = timedelta(hours=settings.admin_session_hours)
    oldest = timedelta(hours=settings.admin_session_max_hours)
    with db.session() as session:
        held = session.get(StaffSession, _digest(token))
        if held is None:
            return None
        if now - as_utc(held.last_seen_at) > idle or now - as_utc(held.created_at) > oldest:
            session.delete(held)
            return None
        account = session.get(StaffAccount, held.account_id)
        if account is None or not account.active:
            return None
        if now - as_utc(held.last_seen_at) > TOUCH_EVERY:  # not a write on every request
            held.last_seen_at = now
            session.add(held)
        session.expunge(account)
    return account


def require(
    db: Database, settings: Settings, area: str
) -> Callable[[Request], Coroutine[Any, Any, StaffAccount]]:
    """Dependency: the signed-in staff member allowed into `area`, with CSRF checked."""

    async def dependency(request: Request) -> StaffAccount:
        account = await run_in_threadpool(signed_in, request, db, settings)
        if account is None:
            raise NotLoggedIn()
        request.state.staff = account
        if not allowed(account.role, area):
            raise Forbidden(f"The {account.role} role cannot open this page.")
        await check_csrf(request)
        return account

    return dependency
