"""`/webhooks/messenger`: Meta's verification handshake and the signed webhook.

Each event is processed and answered before the 200 goes back, so a crash before the answer
means Meta redelivers (and the engine's update id check answers a redelivery once) rather
than a message lost in a background task. A reply the Send API refuses for a while (a rate
limit, an outage) waits in the outbox for the delivery worker (bots/reply_later.py); one
to a member who blocked the page is dropped.
"""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from bots.channels.messenger import (
    MalformedWebhook,
    MessengerOutput,
    SendApi,
    incomings_from_webhook,
    signature_ok,
)
from bots.engine import Engine, guess_language
from bots.reply_later import keep_for_later
from community.settings import Settings

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Hub-Signature-256"

# What the webhook reads of Meta's Messenger webhook event
# (https://developers.facebook.com/docs/messenger-platform/webhooks), for the API description
# and the fuzz tests.
_ID = {"type": "object", "properties": {"id": {"type": "string"}}}
EVENT_SCHEMA = {
    "type": "object",
    "required": ["object", "entry"],
    "properties": {
        "object": {"enum": ["page"]},
        "entry": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "time": {"type": "integer"},
                    "messaging": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "sender": {
                                    "type": "object",
                                    "properties": {"id": {"type": "string"}},
                                },
                                "recipient": {
                                    "type": "object",
                                    "properties": {"id": {"type": "string"}},
                                },
                                "timestamp": {"type": "integer"},
                                "message": {
                                    "type": "object",
                                    "properties": {
                                        "mid": {"type": "string"},
                                        "text": {"type": "string"},
                                        "quick_reply": {
                                            "type": "object",
                                            "properties": {"payload": {"type": "string"}},
                                        },
                                    },
                                },
                                "postback": {
                                    "type": "object",
                                    "properties": {
                                        "mid": {"type": "string"},
                                        "payload": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def _header(name: str) -> dict[str, object]:
    return {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}


def messenger_configured(settings: Settings) -> bool:
    return bool(
        settings.messenger_verify_token
        and settings.messenger_app_secret
        and settings.messenger_page_token
    )


def build_messenger_router(
    settings: Settings, engine: Engine, *, api: SendApi | None = None
) -> APIRouter:
    """The webhook routes; an empty router when the three Messenger secrets are not all set."""
    router = APIRouter()
    if not messenger_configured(settings):
        return router
    assert settings.messenger_verify_token and settings.messenger_app_secret
    verify_token = settings.messenger_verify_token.get_secret_value()
    app_secret = settings.messenger_app_secret.get_secret_value()
    output = MessengerOutput(api or SendApi.from_settings(settings))

    @router.get("/webhooks/messenger", response_class=PlainTextResponse)
    def verify(
        mode: str = Query("", alias="hub.mode"),
        token: str = Query("", alias="hub.verify_token"),
        challenge: str = Query("", alias="hub.challenge"),
    ) -> str:
        """Meta subscribes the webhook by asking us to echo its challenge."""
        if mode == "subscribe" and hmac.compare_digest(token.encode(), verify_token.encode()):
            return challenge
        raise HTTPException(status_code=403, detail="verification failed")

    @router.post(
        "/webhooks/messenger",
        response_class=PlainTextResponse,
        openapi_extra={
            "requestBody": {"content": {"application/json": {"schema": EVENT_SCHEMA}}},
            "parameters": [
                {
                    "name": SIGNATURE_HEADER,
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
        },
        responses={400: {"description": "malformed"}, 403: {"description": "bad signature"}},
    )
    async def receive(request: Request) -> str:
        """Events from Meta, signed with the app secret."""
        body = await request.body()
        if not signature_ok(app_secret, body, request.headers.get(SIGNATURE_HEADER)):
            raise HTTPException(status_code=403, detail="bad signature")
        try:
            incomings = incomings_from_webhook(json.loads(body))
        except (ValueError, RecursionError, MalformedWebhook) as error:
            raise HTTPException(status_code=400, detail="malformed webhook") from error
        for incoming in incomings:
            for place, reply in enumerate(await engine.handle(incoming)):
                outcome = await output.deliver(incoming.user_id, reply)
                if not outcome.delivered and not outcome.unreachable:
                    await run_in_threadpool(
                        keep_for_later,
                        db=engine.db,
                        platform=incoming.platform,
                        user_id=incoming.user_id,
                        reply=reply,
                        occasion=f"{incoming.update_id}:{place}" if incoming.update_id else None,
                        language=guess_language(incoming.locale, settings.default_language),
                    )
        return "EVENT_RECEIVED"

    return router
