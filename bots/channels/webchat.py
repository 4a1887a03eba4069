"""The web chat channel: `POST /api/chat` JSON in, replies JSON out.

The member is known by an unguessable token in an HttpOnly cookie; a client message id makes
a retried request answer once. The widget on another site cannot count on that cookie
(browsers block third-party cookies), so it sends the same token in the X-Alytus-Chat-Session
header instead and gets it back as `session`; the cookie is then neither read nor set.

A reply marked `forget` (the member erased their data) replaces the token: the page gets a
new cookie, the widget a new `session`, and both drop the conversation they kept.
"""

from __future__ import annotations

import re
import secrets
import time

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bots.channels.wire import ReplyJSON, reply_to_json
from bots.engine import Engine, guess_language
from bots.messages import Incoming
from community.members import find_member
from community.rate_limits import allow

COOKIE = "alytus_chat"
PLATFORM = "web"
SESSION_HEADER = "X-Alytus-Chat-Session"
SESSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # as secrets.token_urlsafe makes them
MAX_BODY_TEXT = 20_000  # above this a request is refused; above the engine's limit, a polite reply


class ChatIn(BaseModel):
    """What the chat page sends: typed text or a pressed button's payload."""

    text: str | None = Field(default=None, max_length=MAX_BODY_TEXT)
    payload: str | None = Field(default=None, max_length=500)
    id: str | None = Field(default=None, max_length=100, description="client message id")
    locale: str | None = Field(default=None, max_length=35)


class ChatOut(BaseModel):
    replies: list[ReplyJSON]
    session: str | None = Field(
        default=None, description=f"the member's token, only for requests with {SESSION_HEADER}"
    )


def widget_session(request: Request) -> str | None:
    """The widget's token: None for the page (no header), a new token for a new widget."""
    sent = request.headers.get(SESSION_HEADER)
    if sent is None:
        return None
    return sent if SESSION_TOKEN.fullmatch(sent) else secrets.token_urlsafe(24)


def incoming_from_request(body: ChatIn, user_id: str) -> Incoming:
    return Incoming(
        platform=PLATFORM,
        user_id=user_id,
        text=body.text,
        payload=body.payload,
        locale=body.locale,
        update_id=f"{user_id}:{body.id}" if body.id else None,
    )


def within_limits(engine: Engine, address: str, user_id: str | None) -> str | None:
    """Count the message against its address and its session (a visitor without one yet is
    counted by address only: no row per made-up session). None within the limits; past
    either, the language to say so in (the member's, when the session is a member's)."""
    settings = engine.settings
    with engine.db.session() as session:
        by_address = allow(
            session=session,
            key=f"web-address:{address}",
            per_minute=settings.chat_rate_per_address_per_minute,
        )
        by_session = user_id is None or allow(
            session=session, key=f"{PLATFORM}:{user_id}", per_minute=settings.chat_rate_per_minute
        )
        if by_address and by_session:
            return None
        member = user_id and find_member(session=session, platform=PLATFORM, user_id=user_id)
        return member.language if member else ""


def slow_down(engine: Engine, body: ChatIn, language: str) -> JSONResponse:
    """429 with the polite request in the member's language (else the page's); the page puts
    the text back in the box, so nothing typed is lost."""
    language = language or guess_language(body.locale, engine.settings.default_language)
    seconds = 60 - int(time.time()) % 60
    return JSONResponse(
        {"detail": engine.catalog.text(language, "common.slow_down")},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


def build_router(engine: Engine, *, secure_cookies: bool = False) -> APIRouter:
    """The chat API the page (and the embeddable widget later) talks to."""
    router = APIRouter()

    @router.post(
        "/api/chat",
        response_model=ChatOut,
        responses={429: {"description": "too many messages this minute; the text says so"}},
    )
    async def chat(body: ChatIn, request: Request, response: Response) -> ChatOut | JSONResponse:
        session = widget_session(request)
        known = session or request.cookies.get(COOKIE)
        user_id = known if known and len(known) <= 64 else secrets.token_urlsafe(24)
        address = request.client.host if request.client else "unknown"
        over = await run_in_threadpool(within_limits, engine, address, user_id if known else None)
        if over is not None:
            return slow_down(engine, body, over)
        replies = await engine.handle(incoming_from_request(body, session or user_id))
        if any(reply.forget for reply in replies):  # erased: a new token, a new visitor
            user_id = secrets.token_urlsafe(24)
            session = user_id if session is not None else None
        if session is not None:
            return ChatOut(replies=[reply_to_json(reply) for reply in replies], session=session)
        response.set_cookie(
            COOKIE,
            user_id,
            max_age=60 * 60 * 24 * 365,
            httponly=True,
            samesite="lax",
            secure=secure_cookies,
        )
        return ChatOut(replies=[reply_to_json(reply) for reply in replies])

    @router.get("/api/chat/updates", response_model=ChatOut)
    async def updates(request: Request) -> ChatOut:
        """What the bot has to say unprompted (e.g. an answer staff found); polled by the page."""
        sent = request.headers.get(SESSION_HEADER)
        user_id = request.cookies.get(COOKIE) if sent is None else sent
        if not user_id or (sent is not None and not SESSION_TOKEN.fullmatch(sent)):
            return ChatOut(replies=[])
        replies = await engine.pending(PLATFORM, user_id)
        return ChatOut(replies=[reply_to_json(reply) for reply in replies])

    return router
