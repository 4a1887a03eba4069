"""The staff admin under /admin: login, the session, the error pages, and each area's router.

`install_console` adds it to the web app. Each area (knowledge base, inbox, members, feed,
rewards, passport desk, analytics, audit, staff) lives in its own `*_screens.py` module with a
`build_*_router(console)`; this module only wires them.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from admin.accounts import LoginRefused, TooManyAttempts, authenticate
from admin.analytics_screens import build_analytics_router
from admin.audit_screens import build_audit_router
from admin.context import Console
from admin.desk_screens import build_desk_router
from admin.feed_screens import build_feed_router
from admin.guard import (
    BadCsrf,
    Forbidden,
    NotLoggedIn,
    check_csrf,
    log_in,
    log_out,
    open_session,
    signed_in,
)
from admin.handover_screens import build_handover_router
from admin.inbox_screens import build_inbox_router
from admin.kb_screens import build_kb_router
from admin.member_screens import build_member_router
from admin.models import StaffAccount
from admin.poll_screens import build_poll_router
from admin.prospect_screens import build_prospect_router
from admin.reward_screens import build_reward_router
from admin.roles import home_of
from admin.staff_screens import build_staff_router
from admin.suggestion_screens import build_suggestion_router
from bots.engine import Engine
from community.secrets import local_secret
from community.settings import Settings

SESSION_COOKIE = "alytus_admin"
API_PREFIX = "/admin/api/"


ROUTERS = (
    build_analytics_router,  # the dashboard at /admin/ and /admin/analytics
    build_kb_router,
    build_inbox_router,
    build_member_router,
    build_feed_router,
    build_reward_router,
    build_desk_router,
    build_handover_router,
    build_prospect_router,
    build_suggestion_router,
    build_poll_router,
    build_audit_router,
    build_staff_router,
)


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the admin (no open redirect to another site)."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return None


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _authenticate(
    console: Console, email: str, password: str, address: str
) -> tuple[StaffAccount, str]:
    """The account and a new server-side session's token (or LoginRefused)."""
    with console.db.session() as session:
        try:
            account = authenticate(session=session, email=email, password=password, address=address)
        except LoginRefused as refused:
            refusal = refused  # raised after the commit: the failed attempt is counted
        else:
            token = open_session(session, account)
            session.expunge(account)
            return account, token
    raise refusal


def build_login_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin", include_in_schema=False)

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str | None = None) -> HTMLResponse:
        return console.pages.render(request, "admin/login.html", None, next=_safe_next(next))

    @router.post("/login", response_class=HTMLResponse)
    async def login(
        request: Request,
        email: Annotated[str, Form(max_length=320)] = "",
        password: Annotated[str, Form(max_length=1000)] = "",
        next: Annotated[str | None, Form()] = None,
    ) -> Response:
        await check_csrf(request)
        error = None
        try:  # argon2 and SQL in a worker thread: a login never holds up other requests
            account, token = await run_in_threadpool(
                _authenticate, console, email, password, _client_address(request)
            )
        except TooManyAttempts as refused:
            error, status = str(refused), 429
        except LoginRefused as refused:
            error, status = str(refused), 401
        if error:
            return console.pages.render(
                request,
                "admin/login.html",
                None,
                status_code=status,
                error=error,
                email=email,
                next=_safe_next(next),
            )
        log_in(request, token)
        return RedirectResponse(_safe_next(next) or home_of(account.role), status_code=303)

    @router.post("/logout")
    async def logout(request: Request) -> RedirectResponse:
        await check_csrf(request)
        await run_in_threadpool(log_out, request, console.db)
        return RedirectResponse("/admin/login", status_code=303)

    return router


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def install_console(app: FastAPI, settings: Settings, engine: Engine) -> Console:
    """Mount the staff admin on `app`: session cookie, error pages, every area's routes."""
    console = Console(settings=settings, engine=engine)
    secret = local_secret(settings, "admin-session", settings.admin_session_secret)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret.decode("ascii", "replace"),
        session_cookie=SESSION_COOKIE,
        max_age=int(settings.admin_session_max_hours * 3600),
        path="/admin",
        same_site="strict",
        https_only=settings.public_url.startswith("https://"),
    )

    async def not_logged_in(request: Request, _: Exception) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Log in first."}, status_code=401)
        return RedirectResponse(f"/admin/login?next={request.url.path}", status_code=303)

    async def refused(request: Request, error: Exception) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(error)}, status_code=403)
        staff = getattr(request.state, "staff", None)
        return console.pages.render(
            request, "admin/refused.html", staff, status_code=403, reason=str(error)
        )

    async def invalid(request: Request, error: Exception) -> Response:
        # FastAPI's own 422 echoes the input back; text with a lone surrogate cannot be
        # encoded as UTF-8, which turned a bad request into a 500.
        assert isinstance(error, RequestValidationError)
        body = json.dumps({"detail": jsonable_encoder(error.errors())}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

    async def not_found(request: Request, error: Exception) -> Response:
        """An unknown staff page is a page (not raw JSON); other 404s stay as they were."""
        assert isinstance(error, StarletteHTTPException)
        path = request.url.path
        if error.status_code != 404 or not path.startswith("/admin") or _wants_json(request):
            return await http_exception_handler(request, error)
        staff = await run_in_threadpool(signed_in, request, console.db, settings)
        return console.pages.render(request, "admin/not-found.html", staff, status_code=404)

    @app.get(
        f"{API_PREFIX}openapi.json",
        include_in_schema=False,
        dependencies=[Depends(console.guard("dashboard"))],
    )
    def openapi_document() -> JSONResponse:
        """The JSON API's description, for staff only (it is not public)."""
        return JSONResponse(app.openapi())

    app.add_exception_handler(StarletteHTTPException, not_found)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(NotLoggedIn, not_logged_in)
    app.add_exception_handler(Forbidden, refused)
    app.add_exception_handler(BadCsrf, refused)
    app.include_router(build_login_router(console))
    for build in ROUTERS:
        app.include_router(build(console))
    return console
