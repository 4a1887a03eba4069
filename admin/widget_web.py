"""What the embeddable chat widget (`/static/widget.js`) needs from the app: its words, and
CORS on the chat API for the sites allowed to embed it (`ALYTUS_WIDGET_ORIGINS`).

CORS is scoped to `/api/chat*`: the rest of the app (staff pages, passports) stays
same-origin only. The widget sends no cookies; its session travels in a header (webchat.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from bots.catalog import LANGUAGES, Catalog
from bots.channels.webchat import SESSION_HEADER
from community.settings import Settings

CHAT_API = "/api/chat"
WIDGET_KEYS = {
    "title": "chat.title",
    "subtitle": "chat.subtitle",
    "placeholder": "chat.placeholder",
    "send": "chat.send",
    "error": "chat.error",
    "download": "chat.download",
    "open": "widget.open",
    "close": "widget.close",
}


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, the form browsers send in the Origin header."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(settings: Settings) -> list[str]:
    """The embedding sites, plus the app's own origin."""
    origins = [origin_of(origin) for origin in settings.widget_origins if origin.strip()]
    return sorted({*origins, origin_of(settings.public_url)})


class ChatCORS:
    """Starlette's CORS middleware, applied to the chat API only: an allowed origin gets
    `Access-Control-Allow-Origin: <origin>` with credentials; others get no CORS headers
    (and a refused preflight), so their pages cannot read the answers."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Accept", SESSION_HEADER],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(CHAT_API):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def build_widget_router(catalog: Catalog) -> APIRouter:
    """`GET /api/chat/widget?lang=`: the widget's words in the host page's language."""
    router = APIRouter()

    @router.get(f"{CHAT_API}/widget")
    def widget_words(request: Request) -> dict[str, object]:
        asked = request.query_params.get("lang", "")[:2].lower()
        lang = asked if asked in LANGUAGES else LANGUAGES[0]
        ui = {name: catalog.text(lang, key) for name, key in WIDGET_KEYS.items()}
        return {"lang": lang, "ui": ui}

    return router
