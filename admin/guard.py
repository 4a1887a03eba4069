"""Who is asking: the staff session, the role check and CSRF, as FastAPI dependencies.

The session is Starlette's signed cookie (HttpOnly, SameSite=Strict, Secure behind TLS,
path /admin) holding the account id, its session epoch and a CSRF token. Every request that
changes something must carry that token (form field `csrf_token` or header `X-CSRF-Token`)
and, when the browser sends one, an Origin of this site.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request

from admin.models import StaffAccount
from admin.roles import allowed
from community.database import Database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


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


def log_in(request: Request, account: StaffAccount) -> None:
    """Start a fresh session for `account` (a new CSRF token too: no session fixation)."""
    request.session.clear()
    request.session.update(
        {"staff": account.id, "epoch": account.session_epoch, "csrf": secrets.token_urlsafe(32)}
    )


def log_out(request: Request) -> None:
    request.session.clear()


def signed_in(request: Request, db: Database) -> StaffAccount | None:
    """The account of this session, if it is still active and its epoch current."""
    staff_id = request.session.get("staff")
    if not isinstance(staff_id, int):
        return None
    with db.session() as session:
        account = session.get(StaffAccount, staff_id)
        if account is None or not account.active:
            return None
        if account.session_epoch != request.session.get("epoch"):
            return None
        session.expunge(account)
    return account


def require(db: Database, area: str) -> Callable[[Request], Coroutine[Any, Any, StaffAccount]]:
    """Dependency: the signed-in staff member allowed into `area`, with CSRF checked."""

    async def dependency(request: Request) -> StaffAccount:
        account = signed_in(request, db)
        if account is None:
            raise NotLoggedIn()
        request.state.staff = account
        if not allowed(account.role, area):
            raise Forbidden(f"The {account.role} role cannot open this page.")
        await check_csrf(request)
        return account

    return dependency
