"""The HTTP app: the web chat page, the privacy notice, health, the chat API, and the staff
admin under /admin (admin/console.py).

Built by `create_app()` from settings (never at import time); `alytus serve` runs it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.assembly import build_engine
from admin.body_limits import BodyLimits, Limits
from admin.console import install_console
from admin.ledger_web import build_ledger_router
from admin.messenger_web import build_messenger_router
from admin.passport_web import build_passport_router
from admin.telegram_web import build_telegram_router
from admin.text_guard import TextGuard
from admin.widget_web import ChatCORS, allowed_origins, build_widget_router
from bots.catalog import LANGUAGES, Catalog, default_catalog
from bots.channels.webchat import build_router
from bots.engine import Engine
from community.settings import Settings, get_settings

HERE = Path(__file__).parent
UI_KEYS = ("title", "subtitle", "placeholder", "send", "error", "download")


def page_language(request: Request) -> str:
    """?lang= first, then the browser's Accept-Language, then Lithuanian."""
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in LANGUAGES:
            return code
    return LANGUAGES[0]


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob: https:; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
}


access = logging.getLogger("alytus.access")


class AccessLog:
    """One line a request, the outermost layer, so requests refused at the door (413, 400)
    are logged too: the route's pattern ("/join/{token}", "-" when none matched), never the
    path, query or client address, since invitation and passport tokens and addresses are
    personal data (uvicorn's own access log, which prints them, is off)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            route = getattr(scope.get("route"), "path", None) or "-"
            elapsed = (time.perf_counter() - started) * 1000
            access.info("%s %s %d %.0f ms", scope["method"], route, status, elapsed)


async def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Headers every page gets: no MIME sniffing, no framing, scripts only from us."""
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def create_app(
    settings: Settings | None = None, engine: Engine | None = None, catalog: Catalog | None = None
) -> FastAPI:
    """The whole web app; pass an engine to share one (tests), or it is built from settings."""
    settings = settings or get_settings()
    catalog = catalog or default_catalog()
    engine = engine or build_engine(settings)
    templates = Jinja2Templates(directory=HERE / "templates")

    # no public /docs or /openapi.json: the API's description is for staff (admin/console.py)
    app = FastAPI(
        title="Alytus Connect", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.middleware("http")(security_headers)
    app.state.engine = engine
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    secure = settings.public_url.startswith("https://")
    app.include_router(build_router(engine, secure_cookies=secure))
    app.include_router(build_passport_router(settings, engine.db, catalog))
    app.include_router(build_ledger_router(settings, engine.db, catalog))
    if settings.telegram_token:
        app.include_router(build_telegram_router(settings, engine))
    app.include_router(build_messenger_router(settings, engine))
    app.include_router(build_widget_router(catalog))
    app.add_middleware(ChatCORS, origins=allowed_origins(settings))
    install_console(app, settings, engine)
    app.add_middleware(TextGuard)  # no route sees text a database cannot store
    # outermost: sizes and JSON depth before anything reads a body
    app.add_middleware(BodyLimits, limits=Limits(upload_bytes=settings.max_upload_mb * 1024**2))
    app.add_middleware(AccessLog)  # outside everything: refusals at the door are logged too

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/", response_class=HTMLResponse)
    def chat_page(request: Request) -> HTMLResponse:
        lang = page_language(request)
        ui = {key: catalog.text(lang, f"chat.{key}") for key in UI_KEYS}
        return templates.TemplateResponse(request, "chat.html", {"lang": lang, "ui": ui})

    @app.get("/privacy", response_class=HTMLResponse)
    def privacy_page(request: Request) -> HTMLResponse:
        lang = page_language(request)
        return templates.TemplateResponse(
            request,
            "privacy.html",
            {
                "lang": lang,
                "title": catalog.text(lang, "privacy_page.title"),
                "paragraphs": catalog.text(lang, "privacy_page.body").split("\n"),
                "version": settings.privacy_notice_version,
            },
        )

    return app
