"""Request bodies are limited before anything parses them: by size while they stream in, and
JSON by nesting depth.

Without this, a 50 MB body to the chat API was read whole and parsed before its 422, and JSON
nested 30,000 deep ended the process (see ledger/recursion.py). The limit depends on the door:
the chat and its widget take 64 KB, the platforms' webhooks 1 MB (Messenger's signature is
checked on at most that), file uploads ALYTUS_MAX_UPLOAD_MB, everything else 1 MB. A declared
Content-Length over the limit is refused unread; a body without one is counted as it arrives
and refused the moment it passes the limit. Starlette and uvicorn set no such limits, and the
standard JSON parser no depth limit, so both are written here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

KB = 1024
CHAT_BYTES = 64 * KB
WEBHOOK_BYTES = 1024 * KB
DEFAULT_BYTES = 1024 * KB
MAX_JSON_DEPTH = 64
CHAT_PATHS = ("/api/chat",)
WEBHOOK_PATHS = ("/webhooks/",)


class BodyTooLarge(Exception):
    """The body passed its limit while the app was reading it."""


@dataclass(frozen=True)
class Limits:
    """Bytes a request body may have, by door."""

    upload_bytes: int = 20 * KB * KB

    def for_request(self, path: str, content_type: str) -> int:
        if path.startswith(CHAT_PATHS):
            return CHAT_BYTES
        if path.startswith(WEBHOOK_PATHS):
            return WEBHOOK_BYTES
        if content_type.startswith("multipart/form-data"):
            return self.upload_bytes
        return DEFAULT_BYTES


def json_depth_over(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when JSON text opens more than `limit` arrays or objects inside each other.

    A scan without recursion (strings and their escapes skipped), so a hostile body costs
    one pass over at most the size limit."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1").strip().lower()
    return ""


def _size(limit: int) -> str:
    return f"{limit // (KB * KB)} MB" if limit >= KB * KB else f"{limit // KB} KB"


def too_large_message(limit: int) -> str:
    return f"The request is larger than {_size(limit)}, the most this address accepts."


class BodyLimits:
    """ASGI middleware: 413 for a body over its door's limit, 400 for JSON nested too deep."""

    def __init__(self, app: ASGIApp, limits: Limits | None = None) -> None:
        self.app = app
        self.limits = limits or Limits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type")
        limit = self.limits.for_request(scope.get("path", ""), content_type)
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, too_large_message(limit))
            return
        if content_type.startswith("multipart/form-data"):
            await self._streamed(scope, receive, send, limit)
            return
        body, complete = await read_body(receive, limit)
        if not complete:
            await _answer(send, 413, too_large_message(limit))
            return
        looks_json = content_type.startswith("application/json") or body.lstrip()[:1] in (
            b"[",
            b"{",
        )
        if looks_json and json_depth_over(body):
            await _answer(send, 400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
            return
        await self.app(scope, replayed(body, receive), send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """An upload goes to the app as it arrives, counted; past the limit it is cut off."""
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await _answer(send, 413, too_large_message(limit))


async def read_body(receive: Receive, limit: int | None = None) -> tuple[bytes, bool]:
    """The body, and False when it passed `limit` (reading stops there)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), True


def replayed(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the body read here to the app, then waits as the server does."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
