"""Refuse, with a 400, any request whose text no database can store.

PostgreSQL refuses NUL characters in text, and no driver encodes a lone UTF-16 surrogate;
either, reaching a query, became a 500 (the admin API fuzz test found it on PostgreSQL). One
check at the door covers every route: the path, the query string, and form or JSON bodies.
File uploads (multipart) pass untouched, since binary files rightly hold NUL bytes; their text
is cleaned where it is read. No library does this check, so it is written here.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from admin.body_limits import read_body, replayed

MESSAGE = b'{"detail":"Text must not contain NUL characters or invalid Unicode."}'
CHECKED_BODIES = ("application/json", "application/x-www-form-urlencoded")


def unstorable(text: str) -> bool:
    """True when `text` holds a NUL or a lone surrogate."""
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def _holds_unstorable(value: Any) -> bool:
    """Walks decoded JSON: keys and strings at any depth."""
    if isinstance(value, str):
        return unstorable(value)
    if isinstance(value, dict):
        return any(_holds_unstorable(k) or _holds_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_unstorable(item) for item in value)
    return False


def _pairs_unstorable(raw: str) -> bool:
    return any(unstorable(k) or unstorable(v) for k, v in parse_qsl(raw, keep_blank_values=True))


def _body_unstorable(content_type: str, body: bytes) -> bool:
    if content_type.startswith("application/json"):
        try:
            return _holds_unstorable(json.loads(body))
        except ValueError:
            return False  # not JSON: the route itself answers 4xx (depth: BodyLimits)
    return _pairs_unstorable(body.decode("utf-8", "replace"))


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.decode("latin-1").lower()
    return ""


class TextGuard:
    """ASGI middleware: a 400 before any route sees text it could not store."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        if unstorable(scope.get("path", "")) or _pairs_unstorable(query):
            await _refuse(send)
            return
        content_type = _content_type(scope)
        if not content_type.startswith(CHECKED_BODIES):
            await self.app(scope, receive, send)
            return
        body, _ = await read_body(receive)  # its size was limited by BodyLimits, outside
        if _body_unstorable(content_type, body):
            await _refuse(send)
            return
        await self.app(scope, replayed(body, receive), send)


async def _refuse(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(MESSAGE)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": MESSAGE})
