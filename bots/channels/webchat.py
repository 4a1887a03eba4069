"""The web chat channel: `POST /api/chat` JSON in, replies JSON out.

The member is known by an unguessable token in an HttpOnly cookie; a client message id makes
a retried request answer once. The widget on another site cannot count on that cookie
(browsers block third-party cookies), so it sends the same token in the X-Alytus-Chat-Session
header instead and gets it back as `session`; the cookie is then neither read nor set.
"""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from bots.channels.wire import ReplyJSON, reply_to_json
from bots.engine import Engine
from bots.messages import Incoming

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


def build_router(engine: Engine, *, secure_cookies: bool = False) -> APIRouter:
    """The chat API the page (and the embeddable widget later) talks to."""
    router = APIRouter()

    @router.post("/api/chat", response_model=ChatOut)
    async def chat(body: ChatIn, request: Request, response: Response) -> ChatOut:
        session = widget_session(request)
        if session is not None:
            replies = await engine.handle(incoming_from_request(body, session))
            return ChatOut(replies=[reply_to_json(reply) for reply in replies], session=session)
        user_id = request.cookies.get(COOKIE)
        if not user_id or len(user_id) > 64:
            user_id = secrets.token_urlsafe(24)
        response.set_cookie(
            COOKIE,
            user_id,
            max_age=60 * 60 * 24 * 365,
            httponly=True,
            samesite="lax",
            secure=secure_cookies,
        )
        replies = await engine.handle(incoming_from_request(body, user_id))
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
